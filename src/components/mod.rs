//! The site's components: the layout and the consent controls (islands).
//!
//! Pages are kept per path and visitor class (`render_cache`): a view reads only the path, the
//! documents and `ConsentState`; a decided visitor's own texts only through `Decided::show`.

pub mod consent;
#[cfg(feature = "ssr")]
pub mod layout;
