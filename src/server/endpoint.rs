//! The consent endpoint's guard: only this site may post, only the consent form's own fields,
//! URL-encoded and small; arguments Leptos cannot decode are the client's fault (400).

use super::csrf::is_same_origin;
use crate::consent::{api::SaveConsent, form::is_known_field};
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::server_fn::ServerFn;

/// Larger server function bodies are refused: a consent form is under 200 bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Where server functions live; every POST there must come from this site.
const SERVER_FN_PREFIX: &str = "/api/";

/// A request refused before it reaches the application, with the reason in plain text.
pub struct Refusal {
    status: StatusCode,
    message: String,
}

pub fn refuse(status: StatusCode, message: &str) -> Refusal {
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

pub async fn guard(request: Request, next: Next) -> Response {
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
        if !is_known_field(&key) || key.contains('\u{fffd}') {
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
    Response::from_parts(parts, Body::from(bytes)).into_response()
}
