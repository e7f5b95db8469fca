//! Every response's security headers; the page's Content-Security-Policy is made once
//! (`csp`).

use crate::consent::server::VisitorConsent;
use crate::state::AppState;
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// Adds the security headers. Runs inside the consent layer, whose reading of the visitor
/// decides the CSP's hosts.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Clarity's hosts are in the policy unless the visitor refused analytics, by a choice or
    // by Global Privacy Control (or Clarity is not configured). An undecided visitor keeps
    // them so that Accept can load Clarity without a reload; the consent gate, not the
    // policy, keeps Clarity away until then.
    let clarity = request
        .extensions()
        .get::<VisitorConsent>()
        .map(VisitorConsent::state)
        .is_some_and(|visitor| visitor.clarity_project_id.is_some() && !visitor.refused());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        state.page_csp.value(clarity).clone(),
    );
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
    );
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if state.settings.secure() {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}
