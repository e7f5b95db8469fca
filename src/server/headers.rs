//! Every response's security headers, with a fresh CSP nonce, and the visitor's consent state
//! read from the request once for the page and the policy.

use crate::config::{keys::ConsentKeys, SiteSettings};
use crate::consent::server::{state_of, RequestConsent};
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::nonce::Nonce;
use std::sync::Arc;

/// Microsoft Clarity's tag, its scripts, and where it sends data (each after a space, as
/// they follow other sources in the policy).
const CLARITY_SCRIPT_HOSTS: &str = " https://www.clarity.ms https://scripts.clarity.ms";
const CLARITY_DATA_HOSTS: &str = " https://*.clarity.ms https://c.bing.com";

/// Settings the header middleware needs, fixed at start-up.
#[derive(Clone)]
pub struct HeaderPolicy {
    pub settings: Arc<SiteSettings>,
    pub keys: Arc<ConsentKeys>,
    /// `cargo leptos watch`'s live-reload socket (after a space), allowed only while watching.
    pub reload_socket: Option<String>,
}

/// Reads the visitor's state and adds the security headers, with a nonce the page render
/// uses for its inline scripts.
pub async fn secure_headers(
    State(policy): State<HeaderPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    let state = state_of(request.headers(), &policy.settings, &policy.keys);
    // Clarity's hosts are in the policy unless the visitor refused analytics, by a choice or
    // by Global Privacy Control (or Clarity is not configured). An undecided visitor keeps
    // them so that Accept can load Clarity without a reload; the consent gate, not the
    // policy, keeps Clarity away until then.
    let clarity = state.clarity_project_id.is_some() && !state.refused();
    let extensions = request.extensions_mut();
    extensions.insert(nonce.clone());
    extensions.insert(RequestConsent(state));
    let mut response = next.run(request).await;
    let csp = content_security_policy(&nonce, clarity, policy.reload_socket.as_deref());
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
    if policy.settings.secure() {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

pub fn content_security_policy(
    nonce: &Nonce,
    clarity: bool,
    reload_socket: Option<&str>,
) -> String {
    let (scripts, data) = if clarity {
        (CLARITY_SCRIPT_HOSTS, CLARITY_DATA_HOSTS)
    } else {
        ("", "")
    };
    let reload = reload_socket.unwrap_or_default();
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
