//! Why a save failed: the consent server function's typed error, with the HTTP status and
//! `Retry-After` it answers with.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct SaveError {
    pub status: u16,
    pub message: String,
    /// Seconds after which a retry may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl SaveError {
    fn new(status: u16, message: impl Into<String>, retry_after: Option<u64>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after,
        }
    }

    /// The form is not one the consent controls post (400).
    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::new(400, reason, None)
    }

    /// Another site posted (403).
    pub fn cross_site() -> Self {
        let reason = "Cross-site request refused: the consent can only be changed from this site.";
        Self::new(403, reason, None)
    }

    /// The client is over the rate limit (429).
    pub fn too_many(retry_after: u64) -> Self {
        let reason = "Too many consent saves from this client: nothing was changed.";
        Self::new(429, reason, Some(retry_after))
    }

    /// The receipt could not be written, so nothing was saved (503).
    pub fn not_recorded(retry_after: u64) -> Self {
        let reason = "Your choice could not be recorded, so nothing was saved.";
        Self::new(503, reason, Some(retry_after))
    }

    /// The form did not arrive as one: wrong type (415), too large (413), too slow (408).
    pub fn unreadable(status: u16, reason: &str) -> Self {
        Self::new(status, reason, None)
    }

    /// Something the server got wrong (500).
    pub fn internal(reason: impl Into<String>) -> Self {
        Self::new(500, reason, None)
    }

    /// The sentence a visitor without JavaScript reads on the page that answers.
    pub fn wording(&self) -> &'static str {
        let errors = &crate::wording::WORDING.errors;
        match self.status {
            429 => errors.too_many,
            500.. => errors.not_saved,
            _ => errors.invalid,
        }
    }
}

#[cfg(feature = "ssr")]
impl SaveError {
    pub fn status_code(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Sets the status and `Retry-After` of the answer the server function gives: Leptos
    /// answers every error with 500, and its `ResponseOptions` are how a server function
    /// says otherwise.
    pub fn answer(self) -> Self {
        use leptos::prelude::use_context;
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status_code());
            if let Some(seconds) = self.retry_after {
                response.insert_header(http::header::RETRY_AFTER, seconds.into());
            }
        }
        self
    }
}

impl leptos::server_fn::error::FromServerFnError for SaveError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    /// Arguments Leptos cannot decode are the client's fault; anything else is the server's.
    fn from_server_fn_error(error: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr::*;
        let error = match error {
            Args(reason) | Deserialization(reason) | MissingArg(reason) => Self::invalid(reason),
            other => Self::internal(other.to_string()),
        };
        #[cfg(feature = "ssr")]
        let error = error.answer();
        error
    }
}
