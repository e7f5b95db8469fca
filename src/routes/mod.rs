//! One module per page.
//!
//! Pages are kept per path and visitor class (`render_cache`): a view reads only the path, the
//! documents and `ConsentState`; a decided visitor's own texts only through `Decided::show`.

pub mod cookie_notice;
pub mod cookie_settings;
pub mod document;
pub mod home;
pub mod not_found;
