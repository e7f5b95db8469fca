//! The Leadistry website: pages rendered on the server and hydrated in the browser.

pub mod analytics;
pub mod app;
pub mod catalog;
pub mod components;
pub mod consent;
pub mod routes;

#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod receipts;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
