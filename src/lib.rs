//! The Leadistry website.
//!
//! Pages render on the server only. The browser hydrates the islands (the consent controls,
//! in `components::consent`), so the WASM holds those and nothing of the router or pages.

// The page's view type, nested inside an island, is deeper than the default limit allows.
#![recursion_limit = "256"]

pub mod analytics;
pub mod catalog;
pub mod components;
pub mod consent;

#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod receipts;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
