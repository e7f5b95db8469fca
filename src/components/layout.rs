//! The site's header and footer, around every page; the footer holds "Cookie Settings".

use super::consent::settings::{CookieSettingsLink, GpcNotice};
use leptos::prelude::*;
use leptos_router::components::A;

/// The documents the Cookie Notice lists under "Related", with their paths.
pub const RELATED: &[(&str, &str)] = &[
    ("Cookie Notice", "/cookie-notice"),
    ("Privacy Notice", "/privacy"),
    ("Terms of Service", "/terms"),
    ("Acceptable Use Policy", "/acceptable-use"),
];

#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="container header-inner">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">
                        "L"
                    </span>
                    "Leadistry"
                </A>
                <nav aria-label="Main">
                    <ul class="nav-list">
                        <li>
                            <a href="/#how-it-works">"How it works"</a>
                        </li>
                        <li>
                            <a href="/#features">"Features"</a>
                        </li>
                        <li>
                            <A href="/cookie-notice">"Cookies"</A>
                        </li>
                    </ul>
                </nav>
            </div>
        </header>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container footer-inner">
                <div>
                    <p class="footer-brand">"© 2026 Leadistry"</p>
                    <GpcNotice />
                </div>
                <nav aria-label="Legal">
                    <ul class="footer-links">
                        {RELATED
                            .iter()
                            .map(|(label, href)| {
                                view! {
                                    <li>
                                        <A href=*href>{*label}</A>
                                    </li>
                                }
                            })
                            .collect_view()}
                        <li>
                            <CookieSettingsLink />
                        </li>
                    </ul>
                </nav>
            </div>
        </footer>
    }
}
