use crate::components::{
    consent::{Consent, ConsentLayer},
    layout::{SiteFooter, SiteHeader},
};
use crate::routes::{
    cookie_notice::CookieNoticePage, cookie_settings::CookieSettingsPage, document::DocumentPage,
    home::HomePage, not_found::NotFound,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    SsrMode, StaticSegment,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
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
    Consent::provide();
    mark_hydrated();

    view! {
        <Title formatter=|page: String| format!("{page} · Leadistry") />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            // First in the page, so that keyboard and screen reader users meet the choice first.
            <ConsentLayer />
            <SiteHeader />
            <main id="main" tabindex="-1">
                // Async rendering waits for the consent state (and a document's title) and puts
                // everything in place in the first HTML: the banner works without JavaScript,
                // and no out-of-order chunk can arrive after it.
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
        </Router>
    }
}

/// Sets `data-hydrated` on `<html>` once client code runs: tests wait for it, and it is
/// the plainest proof that hydration finished without a panic.
fn mark_hydrated() {
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
