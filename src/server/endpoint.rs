//! The consent endpoint's guard: only this site may post, each client at a bounded rate,
//! only the consent form's own fields, URL-encoded, small and in time. A visitor without
//! JavaScript whose save fails gets the settings page inside the site layout, saying that
//! nothing changed, with the status of the failure: never a redirect to the `Referer`.

use super::{client, csrf::is_same_origin};
use crate::config::SiteSettings;
use crate::consent::{
    api::SaveConsent,
    form::is_known_field,
    server::{is_plain_form, SaveFailure},
};
use crate::wording::WORDING;
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, request::Parts, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Router,
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::server_fn::ServerFn;
use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::Duration,
};
use tower::ServiceExt;

/// Larger server function bodies are refused: a consent form is under 200 bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Where server functions live; every POST there must come from this site.
const SERVER_FN_PREFIX: &str = "/api/";
/// Where a visitor without JavaScript learns that a save failed, and can try again.
const FAILURE_PAGE: &str = "/cookie-settings";
/// How often the rate limiter forgets clients whose allowance is full again.
const FORGET_EVERY: u32 = 4096;
/// How long an answer over the rate limit is held: a flooder's connections each get four
/// answers a second instead of thousands, so its flood costs the server little. A person
/// over the limit (many visitors behind one address) does not notice.
const OVER_LIMIT_HOLD: Duration = Duration::from_millis(250);

/// What the guard needs, fixed at start-up.
#[derive(Clone)]
pub struct Endpoint {
    settings: Arc<SiteSettings>,
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    checks: Arc<AtomicU32>,
    /// The site's pages, to render the failure page.
    pages: Router,
}

impl Endpoint {
    pub fn new(settings: Arc<SiteSettings>, pages: Router) -> Self {
        let per_minute =
            NonZeroU32::new(settings.limits.saves_per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.limits.saves_burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            checks: Arc::new(AtomicU32::new(0)),
            settings,
            pages,
        }
    }

    /// `None` when the client may save now, else the seconds until it may.
    fn over_limit(&self, client: IpAddr) -> Option<u64> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(FORGET_EVERY)
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&client).err().map(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// The answer to a save that failed: for a browser's own form post, the settings page in
    /// the site layout with `message`; for a script, the reason in plain text.
    async fn failure(
        &self,
        request: &Parts,
        status: StatusCode,
        message: &'static str,
        reason: &str,
        retry_after: Option<HeaderValue>,
    ) -> Response {
        let mut response = if is_plain_form(request) {
            let mut page = Request::get(FAILURE_PAGE)
                .body(Body::empty())
                .expect("valid");
            *page.headers_mut() = request.headers.clone();
            page.headers_mut().remove(header::CONTENT_TYPE);
            page.headers_mut().remove(header::CONTENT_LENGTH);
            *page.extensions_mut() = request.extensions.clone();
            page.extensions_mut().insert(SaveFailure(message));
            self.pages
                .clone()
                .oneshot(page)
                .await
                .unwrap_or_else(|never| match never {})
        } else {
            refuse(status, reason)
        };
        *response.status_mut() = status;
        response.headers_mut().remove(header::SET_COOKIE);
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after);
        }
        response
    }
}

/// A request refused before it reaches the application, with the reason in plain text.
pub fn refuse(status: StatusCode, reason: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{reason}\n"),
    )
        .into_response()
}

pub async fn guard(State(endpoint): State<Endpoint>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let settings = &endpoint.settings;
    if request.method() == Method::POST
        && !is_same_origin(request.headers(), settings.public_origin.as_ref())
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "Cross-site request refused: the consent can only be changed from this site.",
        );
    }
    if path != <SaveConsent as ServerFn>::PATH {
        return argument_errors_are_bad_requests(next.run(request).await).await;
    }
    let client = client::address(&request, settings);
    let (mut parts, body) = request.into_parts();
    if let Some(seconds) = endpoint.over_limit(client) {
        tracing::debug!(%client, "consent saves over the rate limit");
        tokio::time::sleep(OVER_LIMIT_HOLD).await;
        let reason = "Too many consent saves from this client: nothing was changed.";
        let status = StatusCode::TOO_MANY_REQUESTS;
        return endpoint
            .failure(
                &parts,
                status,
                WORDING.errors.too_many,
                reason,
                Some(HeaderValue::from(seconds)),
            )
            .await;
    }
    let body = match strict_consent_form(&parts, body, settings).await {
        Ok(body) => body,
        Err((status, reason)) => {
            return endpoint
                .failure(&parts, status, WORDING.errors.invalid, &reason, None)
                .await
        }
    };
    // The `Referer` served the origin check; Leptos would send a plain form's failure there.
    parts.headers.remove(header::REFERER);
    let plain_form = is_plain_form(&parts).then(|| parts.clone());
    let response = argument_errors_are_bad_requests(
        next.run(Request::from_parts(parts, Body::from(body))).await,
    )
    .await;
    let status = response.status();
    match plain_form {
        Some(parts) if status.is_client_error() || status.is_server_error() => {
            let message = if status == StatusCode::SERVICE_UNAVAILABLE {
                WORDING.errors.not_saved
            } else {
                WORDING.errors.invalid
            };
            let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
            endpoint
                .failure(&parts, status, message, "", retry_after)
                .await
        }
        _ => response,
    }
}

/// The consent form's own fields only, URL-encoded, small, and received in time.
async fn strict_consent_form(
    parts: &Parts,
    body: Body,
    settings: &SiteSettings,
) -> Result<axum::body::Bytes, (StatusCode, String)> {
    let form_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if parts.method != Method::POST || !form_type {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The consent endpoint takes a URL-encoded form posted with POST.".into(),
        ));
    }
    let bytes = tokio::time::timeout(
        settings.limits.body_read_timeout,
        to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    .map_err(|_| {
        (
            StatusCode::REQUEST_TIMEOUT,
            "The consent form did not arrive in time.".to_string(),
        )
    })?
    .map_err(|_| {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The consent form is larger than allowed.".to_string(),
        )
    })?;
    for (key, _) in form_urlencoded::parse(&bytes) {
        if !is_known_field(&key) || key.contains('\u{fffd}') {
            return Err((
                StatusCode::BAD_REQUEST,
                format!(
                    "Unknown field `{}` in the consent form.",
                    key.escape_default()
                ),
            ));
        }
    }
    Ok(bytes)
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
