//! The consent layer: reads the visitor's consent from the request once, before the page
//! and the security headers use it.

use crate::consent::server::{state_of, VisitorConsent};
use crate::state::AppState;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};

pub async fn read_consent(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let visitor = state_of(request.headers(), &state.settings, &state.keys);
    request.extensions_mut().insert(VisitorConsent(visitor));
    next.run(request).await
}
