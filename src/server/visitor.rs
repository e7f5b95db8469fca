//! The consent layer: reads the visitor's consent from the request once, before the page
//! and the security headers use it; and counts the pages that asked (the banner) or where the
//! browser's privacy signal decided, for the operator's figures.

use crate::consent::server::consent_of;
use crate::state::AppState;
use crate::stats::counters::Counter;
use axum::{
    extract::{Request, State},
    http::{header, Method},
    middleware::Next,
    response::Response,
};

pub async fn read_consent(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let visitor = consent_of(request.headers(), &state.settings, &state.keys);
    // A browser's own navigation to a page: not a script, a prefetch of a resource, or most bots.
    let navigation = request.method() == Method::GET
        && request
            .headers()
            .get("sec-fetch-dest")
            .is_some_and(|dest| dest == "document");
    let counter = match (navigation, visitor.state().asks(), visitor.state().gpc) {
        (true, true, _) => Some(Counter::Impression),
        (true, false, true) => Some(Counter::GpcPage),
        _ => None,
    };
    request.extensions_mut().insert(visitor);
    let response = next.run(request).await;
    let page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"text/html"));
    if let Some(counter) = counter.filter(|_| page) {
        state.counters.add(counter);
    }
    response
}
