//! Live metrics for the operator's `/metrics` (Prometheus text format), recorded through the
//! `metrics` facade: requests, consent saves and refusals, receipt write time, the receipt
//! queue and open connections. Recorded only while the operator listener is on.

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use std::time::Instant;

/// Seconds: from a fraction of a millisecond (a page, a receipt on a fast disk) to seconds.
const BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Installs the process's metrics recorder; its handle renders `/metrics`.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .install_recorder()?;
    describe_counter!(
        "leadistry_http_requests_total",
        "Requests answered, by route and status."
    );
    describe_histogram!(
        "leadistry_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by route."
    );
    describe_counter!(
        "leadistry_consent_saves_total",
        "Consent decisions saved, by choice of analytics and method."
    );
    describe_counter!(
        "leadistry_consent_refused_total",
        "Consent saves refused, by reason."
    );
    describe_histogram!(
        "leadistry_receipt_write_seconds",
        Unit::Seconds,
        "Time to write a receipt to the consent log."
    );
    describe_gauge!(
        "leadistry_receipt_queue_depth",
        "Receipt writes under way or waiting."
    );
    describe_gauge!("leadistry_open_connections", "Open client connections.");
    describe_counter!(
        "leadistry_consent_log_unkept_total",
        "Readiness probes that found the consent log acknowledging a write it did not keep."
    );
    Ok(handle)
}

/// Counts and times each request by its route (the route's pattern, so that the labels stay
/// few whatever paths clients ask for) and status.
pub async fn record_request(request: Request, next: Next) -> Response {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None if request.uri().path().starts_with("/pkg/") => "/pkg/{file}".into(),
        None => String::new(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    // Outside the routes: a file from the site root, or a page that does not exist.
    let route = match route.is_empty() {
        false => route,
        true if status.is_success() || status.is_redirection() => "/{file}".into(),
        true => "unmatched".into(),
    };
    metrics::histogram!("leadistry_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed());
    metrics::counter!(
        "leadistry_http_requests_total",
        "route" => route,
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    response
}
