//! The visitor's consent: the decision and its rules, the state a page renders from, the
//! consent form, the visitor's own texts in a page, and (on the server) how a request's cookie
//! becomes a state. It imports nothing of the site but leaves.

pub mod decision;
pub mod error;
pub mod form;
pub mod personal;
pub mod redirect;
pub mod state;

#[cfg(feature = "ssr")]
pub mod server;
