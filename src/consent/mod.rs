//! The visitor's consent: the decision and its cookie format, the server functions that
//! read and save it, and (on the server) the cookie headers.

pub mod api;
pub mod decision;
pub mod redirect;

#[cfg(feature = "ssr")]
pub mod cookie;
