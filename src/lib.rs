//! The Leadistry website.
//!
//! Pages render on the server only. The browser hydrates the islands (the consent controls,
//! in `components::consent`), so the WASM holds those and nothing of the router or pages.
//!
//! Dependencies point one way, from the top: `server`, `cli` → `app`, `routes`, `content` →
//! `components` → `save` (a save, as a use case) → `state` (what every request reads) → what it
//! holds (`receipts`, `stats`, `render_cache`, `csp`) → `consent` (the decision and its rules)
//! → the leaves (`catalog`, `wording`, `date`, `config`, `assets`, `analytics`);
//! `tests/architecture.rs` holds the layers and finds any import cycle.

// The page's view type, nested inside an island, is deeper than the default limit allows.
#![recursion_limit = "256"]

pub mod analytics;
pub mod catalog;
pub mod components;
pub mod consent;
pub mod date;
pub mod notice;
pub mod save;
pub mod wording;

#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod assets;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod content;
#[cfg(feature = "ssr")]
pub mod csp;
#[cfg(feature = "ssr")]
pub mod receipts;
#[cfg(feature = "ssr")]
pub mod render_cache;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod stats;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
