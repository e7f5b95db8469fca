use crate::components::{
    consent::ConsentRoot,
    layout::{SiteFooter, SiteHeader},
};
use crate::consent::server::page_state;
use crate::routes::{
    cookie_notice::CookieNoticePage, cookie_settings::CookieSettingsPage, document::DocumentPage,
    home::HomePage, not_found::NotFound,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    SsrMode, StaticSegment,
};
use std::sync::Arc;

/// The URL of the site's stylesheet, with its content hash when `hash-files` is on.
#[derive(Clone)]
pub struct Stylesheet(pub Arc<str>);

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = use_context::<Stylesheet>().map(|s| s.0);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <link id="leptos" rel="stylesheet" href=stylesheet />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let (initial, return_to) = page_state();

    view! {
        <Title formatter=|page: String| format!("{page} · Leadistry") />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <ConsentRoot initial return_to>
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
