//! The page shell and the router's pages (the start-axum shape: `shell` and `App`).
//!
//! Pages are kept per path and visitor class (`render_cache`): a view reads only the path, the
//! documents and `ConsentState`; a decided visitor's own texts only through `Decided::show`.

use crate::assets::Stylesheet;
use crate::components::{
    consent::ConsentRoot,
    layout::{SiteFooter, SiteHeader},
};
use crate::consent::server::page_state;
use crate::routes::{
    cookie_notice::CookieNoticePage, cookie_settings::CookieSettingsPage, document::DocumentPage,
    home::HomePage, not_found::NotFound,
};
use crate::state::AppState;
use crate::wording::{STATUS, WORDING};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    SsrMode, StaticSegment,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let assets = AppState::from_context().map(|state| state.assets.clone());
    let (state, return_to) = page_state();
    // Islands mode: the page itself renders without hydration markers; islands add theirs.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let body = state.to_attributes(return_to);
    let status = &STATUS;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                // Before a linked stylesheet: a script after it would wait for it, and so
                // would the rest of the page.
                // Inline, named by its hash in the page's policy (`csp`).
                <script>{assets.as_ref().map(|a| a.loader.clone())}</script>
                {assets
                    .map(|a| match a.stylesheet {
                        Stylesheet::Inline(css) => view! { <style>{css}</style> }.into_any(),
                        Stylesheet::Linked(url) => view! { <link id="leptos" rel="stylesheet" href=url /> }.into_any(),
                    })}
                <MetaTags />
            </head>
            <body {..body}>
                <App />
                // Outside the islands: the island loader says here what a control taken
                // before they are ready is doing.
                <p
                    id="consent-status"
                    class="visually-hidden"
                    role="status"
                    data-saving=status.saving
                    data-saved=status.saved
                    data-failed=WORDING.errors.not_saved
                    data-opening=status.opening
                ></p>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|page: String| format!("{page} · Leadistry") />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <ConsentRoot>
            <SiteHeader />
            <main id="main" tabindex="-1">
                // Async rendering waits for a document (and its title) and puts everything in
                // place in the first HTML: no out-of-order chunk can arrive after the page.
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route
                        path=StaticSegment("cookie-notice")
                        view=CookieNoticePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("cookie-settings")
                        view=CookieSettingsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("privacy")
                        view=|| view! { <DocumentPage slug="privacy" /> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("terms")
                        view=|| view! { <DocumentPage slug="terms" /> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("acceptable-use")
                        view=|| view! { <DocumentPage slug="acceptable-use" /> }
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
            <SiteFooter />
            </ConsentRoot>
        </Router>
    }
}
