//! The consent endpoint's guard: only this site may post, each client at a bounded rate, a
//! URL-encoded form, small and in time. The server function checks the form itself. A
//! visitor without JavaScript whose save fails gets the settings page inside the site
//! layout, saying that nothing changed, with the status of the failure: never a redirect.

use super::{client, csrf::is_same_origin};
use crate::app::shell;
use crate::consent::{
    error::SaveError,
    server::{is_plain_form, SaveFailure},
};
use crate::save::SaveConsent;
use crate::state::AppState;
use crate::stats::counters::Counter;
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, request::Parts, HeaderValue, Method, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::server_fn::{error::FromServerFnError, ServerFn};
use std::time::Duration;

/// Larger server function bodies are refused: a consent form is under 200 bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Where server functions live; every POST there must come from this site.
const SERVER_FN_PREFIX: &str = "/api/";
/// Where a visitor without JavaScript learns that a save failed, and can try again.
const FAILURE_PAGE: &str = "/cookie-settings";
/// How long an answer over the rate limit is held: a flooder's connections each get four
/// answers a second instead of thousands, so its flood costs the server little. A person
/// over the limit (many visitors behind one address) does not notice.
const OVER_LIMIT_HOLD: Duration = Duration::from_millis(250);

/// A request refused before it reaches the application, with the reason in plain text.
pub fn refuse(status: StatusCode, reason: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{reason}\n"),
    )
        .into_response()
}

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let settings = &state.settings;
    if request.method() == Method::POST
        && !is_same_origin(request.headers(), settings.public_origin.as_ref())
    {
        let error = SaveError::cross_site();
        return refuse(error.status_code(), &error.message);
    }
    if path != <SaveConsent as ServerFn>::PATH {
        return next.run(request).await;
    }
    let client = client::address(&request, settings);
    let (mut parts, body) = request.into_parts();
    if let Some(seconds) = state.limiter.over_limit(client) {
        tracing::debug!(%client, "consent saves over the rate limit");
        state.counters.add(Counter::RateLimited);
        tokio::time::sleep(OVER_LIMIT_HOLD).await;
        return failure(&state, &parts, SaveError::too_many(seconds)).await;
    }
    let body = match received_form(&parts, body, settings.body_read_timeout).await {
        Ok(body) => body,
        Err(error) => return failure(&state, &parts, error).await,
    };
    // The `Referer` served the origin check; Leptos would send a plain form there.
    parts.headers.remove(header::REFERER);
    if !is_plain_form(&parts) {
        return next.run(Request::from_parts(parts, Body::from(body))).await;
    }
    let page = parts.clone();
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if response.status().is_success() || response.status().is_redirection() {
        return response;
    }
    // The server function's own error, in its own encoding.
    let bytes = to_bytes(response.into_body(), MAX_BODY_BYTES)
        .await
        .unwrap_or_default();
    failure(&state, &page, SaveError::de(bytes)).await
}

/// A URL-encoded form, small, and received in time.
async fn received_form(
    parts: &Parts,
    body: Body,
    timeout: Duration,
) -> Result<axum::body::Bytes, SaveError> {
    let form_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if parts.method != Method::POST || !form_type {
        let reason = "The consent endpoint takes a URL-encoded form posted with POST.";
        return Err(SaveError::unreadable(415, reason));
    }
    tokio::time::timeout(timeout, to_bytes(body, MAX_BODY_BYTES))
        .await
        .map_err(|_| SaveError::unreadable(408, "The consent form did not arrive in time."))?
        .map_err(|_| SaveError::unreadable(413, "The consent form is larger than allowed."))
}

/// The answer to a save that failed: for a browser's own form post, the settings page in
/// the site layout saying so; for a script, the reason in plain text.
async fn failure(state: &AppState, request: &Parts, error: SaveError) -> Response {
    let mut response = if is_plain_form(request) {
        failure_page(state, request, error.wording()).await
    } else {
        refuse(error.status_code(), &error.message)
    };
    *response.status_mut() = error.status_code();
    response.headers_mut().remove(header::SET_COOKIE);
    response.headers_mut().remove(header::LOCATION);
    if let Some(seconds) = error.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The settings page, rendered for the visitor whose post failed, with `message`.
async fn failure_page(state: &AppState, request: &Parts, message: &'static str) -> Response {
    let mut page = Request::new(Body::empty());
    *page.uri_mut() = Uri::from_static(FAILURE_PAGE);
    *page.headers_mut() = request.headers.clone();
    page.headers_mut().remove(header::CONTENT_TYPE);
    page.headers_mut().remove(header::CONTENT_LENGTH);
    *page.extensions_mut() = request.extensions.clone();
    page.extensions_mut().insert(SaveFailure(message));
    let options = state.leptos.clone();
    let render =
        leptos_axum::render_app_async_with_context(super::page_context(state), move || {
            shell(options.clone())
        });
    render(page).await
}
