use crate::components::{
    consent::ConsentRoot,
    layout::{SiteFooter, SiteHeader},
};
use crate::consent::{server::page_state, state::attribute};
use crate::routes::{
    cookie_notice::CookieNoticePage, cookie_settings::CookieSettingsPage, document::DocumentPage,
    home::HomePage, not_found::NotFound,
};
use leptos::{attr::custom::custom_attribute, nonce::use_nonce, prelude::*};
use leptos_meta::{provide_meta_context, Link, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    SsrMode, StaticSegment,
};
use std::sync::Arc;

/// The project's island loader (in place of Leptos' `HydrationScripts`, which preloads the
/// whole bundle on every page): see the file for when it loads what.
const ISLAND_LOADER: &str = include_str!("islands.js");

/// The page's assets, read once at start-up: the stylesheet, and the island loader, which
/// names the bundle's JS and WASM (with their content hashes when `hash-files` is on).
#[derive(Clone)]
pub struct Assets {
    pub stylesheet: Stylesheet,
    pub loader: Arc<str>,
}

/// The stylesheet is inlined: a request for it would hold the first paint back by a round
/// trip (in the browser bench, a third of the paint's time). While `cargo leptos watch`
/// serves the site it is linked, so that its live reload can swap it.
#[derive(Clone)]
pub enum Stylesheet {
    Inline(Arc<str>),
    Linked(Arc<str>),
}

impl Assets {
    pub fn new(stylesheet: Stylesheet, js: &str, wasm: &str) -> Self {
        // Whole-line comments and indentation are for readers of the file, not of every page.
        let loader: String = ISLAND_LOADER
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            stylesheet,
            loader: format!("{loader}({js:?}, {wasm:?});").into(),
        }
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let assets = use_context::<Assets>();
    // The attributes `ConsentState::from_attributes` reads in the browser.
    let (state, return_to) = page_state();
    // Islands mode: the page itself renders without hydration markers; islands add theirs.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    // Named by the same constants that `ConsentState::from_attributes` reads.
    let body = (
        custom_attribute(
            attribute::DECISION,
            state.decision.as_ref().map(ToString::to_string),
        ),
        custom_attribute(
            attribute::POLICY_CHANGED,
            state.policy_changed.then_some(""),
        ),
        custom_attribute(attribute::GPC, state.gpc.then_some("")),
        custom_attribute(attribute::CLARITY, state.clarity_project_id),
        custom_attribute(attribute::RETURN_TO, return_to),
    );
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
                <script nonce=use_nonce()>{assets.as_ref().map(|a| a.loader.clone())}</script>
                {assets
                    .map(|a| match a.stylesheet {
                        Stylesheet::Inline(css) => view! { <style nonce=use_nonce()>{css}</style> }.into_any(),
                        Stylesheet::Linked(url) => view! { <link id="leptos" rel="stylesheet" href=url /> }.into_any(),
                    })}
                <MetaTags />
            </head>
            <body {..body}>
                <App />
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
