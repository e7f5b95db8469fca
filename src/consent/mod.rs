//! The visitor's consent: the decision and its rules, the state a page renders from, the
//! consent form, the page's consent context, the server function that saves a decision, and
//! (on the server) how a request's cookie becomes a state.

pub mod api;
pub mod context;
pub mod decision;
pub mod error;
pub mod form;
pub mod personal;
pub mod redirect;
pub mod state;

#[cfg(feature = "ssr")]
pub mod server;
