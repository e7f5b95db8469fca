//! The server's guard: request limits, the same-origin rule for server functions, strict
//! consent forms, and security headers with a fresh CSP nonce per request.

use crate::config::SiteSettings;
use crate::consent::{
    api::{server::snapshot_of, SaveConsent},
    cookie,
};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::nonce::Nonce;
use leptos::server_fn::ServerFn;
use std::sync::Arc;

/// Larger `Cookie` headers are refused: this site writes one short cookie.
pub const MAX_COOKIE_BYTES: usize = 8 * 1024;
/// Larger server function bodies are refused: a consent form is under 200 bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Where server functions live; every POST there must come from this site.
const SERVER_FN_PREFIX: &str = "/api/";
const CONSENT_FIELDS: &[&str] = &["choice", "source", "return_to"];

/// Microsoft Clarity's tag, its scripts, and where it sends data (each after a space, as
/// they follow other sources in the policy).
const CLARITY_SCRIPT_HOSTS: &str = " https://www.clarity.ms https://scripts.clarity.ms";
const CLARITY_DATA_HOSTS: &str = " https://*.clarity.ms https://c.bing.com";

/// A request refused before it reaches the application, with the reason in plain text.
struct Refusal {
    status: StatusCode,
    message: String,
}

fn refuse(status: StatusCode, message: &str) -> Refusal {
    Refusal {
        status,
        message: format!("{message}\n"),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.message,
        )
            .into_response()
    }
}

/// Refuses what no browser of a real visitor sends, before anything reads it.
pub async fn guard(request: Request, next: Next) -> Response {
    if let Err(refusal) = check_cookies(request.headers()) {
        return refusal.into_response();
    }
    let server_fn = request.uri().path().starts_with(SERVER_FN_PREFIX);
    if server_fn && request.method() == Method::POST && !is_same_origin(request.headers()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Cross-site request refused: the consent can only be changed from this site.",
        )
        .into_response();
    }
    let request = if request.uri().path() == <SaveConsent as ServerFn>::PATH {
        match strict_consent_form(request).await {
            Ok(request) => request,
            Err(refusal) => return refusal.into_response(),
        }
    } else {
        request
    };
    let response = next.run(request).await;
    if server_fn {
        argument_errors_are_bad_requests(response).await
    } else {
        response
    }
}

fn check_cookies(headers: &HeaderMap) -> Result<(), Refusal> {
    let cookies = headers.get_all(header::COOKIE);
    let size: usize = cookies.iter().map(HeaderValue::len).sum();
    if size > MAX_COOKIE_BYTES {
        return Err(refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "The Cookie header is too large. Clear this site's cookies and try again.",
        ));
    }
    if cookies.iter().any(|value| value.to_str().is_err()) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "The Cookie header is not valid text. Clear this site's cookies and try again.",
        ));
    }
    if cookie::read(headers) == cookie::ConsentCookie::Ambiguous {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Several different lf_cookie_consent cookies were sent. Clear this site's cookies and choose again.",
        ));
    }
    Ok(())
}

/// `Origin` must name this host; without it, `Sec-Fetch-Site` must say same-origin; without
/// either, the `Referer` must be on this host. A request that shows none of them is refused.
pub fn is_same_origin(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let Some(host) = text(header::HOST) else {
        return false;
    };
    let same_host = |url: &str| authority(url).is_some_and(|a| a.eq_ignore_ascii_case(host));
    if let Some(origin) = text(header::ORIGIN) {
        return same_host(origin);
    }
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin";
    }
    text(header::REFERER).is_some_and(same_host)
}

/// `host[:port]` of an absolute http(s) URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty() && !a.contains('@'))
}

/// The consent form accepts its own fields only, URL-encoded, and small.
async fn strict_consent_form(request: Request) -> Result<Request, Refusal> {
    let form_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if request.method() != Method::POST || !form_type {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The consent endpoint takes a URL-encoded form posted with POST.",
        ));
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The consent form is larger than allowed.",
        )
    })?;
    for (key, _) in form_urlencoded::parse(&bytes) {
        let known = CONSENT_FIELDS.contains(&key.as_ref())
            || key
                .strip_prefix("categories[")
                .is_some_and(|k| k.ends_with(']'));
        if !known || key.contains('\u{fffd}') {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Unknown field `{}` in the consent form.",
                    key.escape_default()
                ),
            ));
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Leptos answers arguments it cannot decode with a 500; they are the client's fault.
async fn argument_errors_are_bad_requests(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if bytes.starts_with(b"Args|") || bytes.starts_with(b"Deserialization|") {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Settings the header middleware needs, fixed at start-up.
#[derive(Clone)]
pub struct HeaderPolicy {
    pub settings: Arc<SiteSettings>,
    /// `cargo leptos watch`'s live-reload socket (after a space), allowed only while watching.
    pub reload_socket: Option<String>,
}

/// Adds the security headers, with a nonce the page render uses for its inline scripts.
pub async fn secure_headers(
    State(policy): State<HeaderPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    let clarity = clarity_allowed(&policy.settings, request.headers());
    request.extensions_mut().insert(nonce.clone());
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
    if policy.settings.secure_cookies {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

/// Clarity's hosts are in the policy unless the visitor refused analytics, by a choice or by
/// Global Privacy Control (or Clarity is not configured). An undecided visitor keeps them so
/// that Accept can load Clarity without a reload; the consent gate, not the policy, is what
/// keeps Clarity away until then.
fn clarity_allowed(settings: &SiteSettings, headers: &HeaderMap) -> bool {
    let snapshot = snapshot_of(headers, settings);
    snapshot.clarity_project_id.is_some() && !snapshot.refused()
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
         connect-src 'self'{data}{reload}; img-src 'self' data:{data}; style-src 'self'; \
         object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn same_origin_needs_evidence() {
        let host = ("host", "leadistry.com");
        for (evidence, same) in [
            (("origin", "https://leadistry.com"), true),
            (("origin", "http://LEADISTRY.com"), true),
            (("origin", "https://evil.example"), false),
            (("origin", "https://leadistry.com.evil.example"), false),
            (("origin", "null"), false),
            (("sec-fetch-site", "same-origin"), true),
            (("sec-fetch-site", "cross-site"), false),
            (("sec-fetch-site", "same-site"), false),
            (("referer", "https://leadistry.com/x?y"), true),
            (("referer", "https://evil.example/leadistry.com"), false),
            (("referer", "https://leadistry.com@evil.example/"), false),
        ] {
            assert_eq!(
                is_same_origin(&headers(&[host, evidence])),
                same,
                "{evidence:?}"
            );
        }
        assert!(!is_same_origin(&headers(&[host])), "no evidence at all");
        assert!(
            !is_same_origin(&headers(&[("origin", "https://leadistry.com")])),
            "no host"
        );
        // Origin decides when present, even if the other headers would agree.
        assert!(!is_same_origin(&headers(&[
            host,
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin")
        ])));
    }

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
