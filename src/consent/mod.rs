//! The visitor's consent: the decision and its cookie format, how the server reads it from a
//! request, the server function that saves it, and (on the server) the cookie headers.

pub mod api;
pub mod decision;
pub mod redirect;

#[cfg(feature = "ssr")]
pub mod cookie;
