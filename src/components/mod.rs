pub mod consent;
#[cfg(feature = "ssr")]
pub mod layout;
