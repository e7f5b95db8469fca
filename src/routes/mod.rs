//! One module per page.

pub mod cookie_notice;
pub mod cookie_settings;
pub mod document;
pub mod home;
pub mod not_found;
