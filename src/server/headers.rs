//! Every response's security headers, with a fresh CSP nonce that the page's inline script
//! and stylesheet carry.

use crate::consent::server::VisitorConsent;
use crate::state::AppState;
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::nonce::Nonce;

/// Microsoft Clarity's tag, its scripts, and where it sends data (each after a space, as
/// they follow other sources in the policy).
const CLARITY_SCRIPT_HOSTS: &str = " https://www.clarity.ms https://scripts.clarity.ms";
const CLARITY_DATA_HOSTS: &str = " https://*.clarity.ms https://c.bing.com";

/// Adds the security headers, with a nonce the page render uses for its inline scripts.
/// Runs inside the consent layer, whose reading of the visitor decides the CSP's hosts.
pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    // Clarity's hosts are in the policy unless the visitor refused analytics, by a choice or
    // by Global Privacy Control (or Clarity is not configured). An undecided visitor keeps
    // them so that Accept can load Clarity without a reload; the consent gate, not the
    // policy, keeps Clarity away until then.
    let clarity =
        request
            .extensions()
            .get::<VisitorConsent>()
            .is_some_and(|VisitorConsent(visitor)| {
                visitor.clarity_project_id.is_some() && !visitor.refused()
            });
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let csp = content_security_policy(&nonce, clarity, state.assets.live_reload.as_deref());
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
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

/// The Content-Security-Policy header's value. `live_reload`: `cargo leptos watch`'s socket
/// (after a space), allowed only while it serves the site.
pub fn content_security_policy(nonce: &Nonce, clarity: bool, live_reload: Option<&str>) -> String {
    let (scripts, data) = if clarity {
        (CLARITY_SCRIPT_HOSTS, CLARITY_DATA_HOSTS)
    } else {
        ("", "")
    };
    let reload = live_reload.unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{scripts}; \
         connect-src 'self'{data}{reload}; img-src 'self' data:{data}; style-src 'self' 'nonce-{nonce}'; \
         object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_clarity_only_when_allowed() {
        let nonce = Nonce::from_value("abc123");
        let without = content_security_policy(&nonce, false, None);
        assert!(without.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!without.contains("clarity"));
        for directive in [
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(without.contains(directive), "{directive}");
        }
        assert!(!without.contains("unsafe-inline"));
        let with = content_security_policy(&nonce, true, None);
        assert!(with.contains("https://www.clarity.ms"));
        assert!(with.contains("connect-src 'self' https://*.clarity.ms"));
        assert!(with.contains("img-src 'self' data: https://*.clarity.ms"));
    }
}
