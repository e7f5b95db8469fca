//! The operator listener (`operator-addr`, off by default): `/metrics` for Prometheus,
//! `/healthz` and `/readyz` for a load balancer, and the consent figures of the last 30 days
//! as a page (`/stats`, chart and table, no script) and as JSON (`/stats.json`). The public
//! listener has none of these paths.

use crate::config::keys::OperatorToken;
use crate::receipts::ConsentLog;
use crate::stats::{self, chart, counters::Counters, By, Days, Stats};
use axum::{
    extract::{FromRef, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics_exporter_prometheus::PrometheusHandle;
use std::{fmt::Write, sync::Arc, time::Duration};
use subtle::ConstantTimeEq;

/// The days `/stats` and `/stats.json` show, today included.
pub const STATS_DAYS: i64 = 30;
/// How long `/readyz` waits for its write before it says the log does not take writes.
const READY_WITHIN: Duration = Duration::from_secs(2);

#[derive(Clone, FromRef)]
pub struct Operator {
    pub log: ConsentLog,
    pub counters: Counters,
    pub token: Option<Arc<OperatorToken>>,
    pub metrics: PrometheusHandle,
}

pub fn router(operator: Operator) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/stats", get(stats_page))
        .route("/stats.json", get(stats_json))
        .route_layer(middleware::from_fn_with_state(
            operator.clone(),
            require_token,
        ))
        // A load balancer asks these without a token: they say only up and ready.
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(operator)
}

/// With `operator-token` set, only a request that carries it gets through: as a bearer token
/// (Prometheus, scripts) or as the password of Basic authentication (a browser asks for it),
/// compared in constant time.
async fn require_token(State(operator): State<Operator>, request: Request, next: Next) -> Response {
    let Some(token) = &operator.token else {
        return next.run(request).await;
    };
    let sent = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| sent_token(value.as_bytes()));
    if sent.is_some_and(|sent| bool::from(sent.ct_eq(token.0.as_bytes()))) {
        return next.run(request).await;
    }
    let mut response = text(StatusCode::UNAUTHORIZED, "operator-token required\n");
    for challenge in [
        "Basic realm=\"leadistry operator\", charset=\"UTF-8\"",
        "Bearer realm=\"leadistry operator\"",
    ] {
        let challenge = HeaderValue::from_static(challenge);
        response
            .headers_mut()
            .append(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// The token of an `Authorization` header: a bearer token, or a Basic password (any user).
fn sent_token(authorization: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    if let Some(token) = authorization.strip_prefix(b"Bearer ") {
        return Some(token.to_vec());
    }
    let encoded = authorization.strip_prefix(b"Basic ")?;
    let pair = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let colon = pair.iter().position(|&b| b == b':')?;
    Some(pair[colon + 1..].to_vec())
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn metrics(State(handle): State<PrometheusHandle>) -> Response {
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// 200 while the consent log takes writes (a place in the receipt queue and a write that
/// succeeds in time), else 503: a save now would be refused.
async fn ready(State(log): State<ConsentLog>) -> Response {
    match log.takes_writes(READY_WITHIN).await {
        true => text(StatusCode::OK, "ready\n"),
        false => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the consent log does not take writes\n",
        ),
    }
}

/// The last 30 days' figures, this instance's latest counts included.
async fn last_days(operator: &Operator) -> Result<Stats, Response> {
    if let Err(error) = operator.counters.flush(&operator.log.store).await {
        tracing::warn!(%error, "could not add this instance's counters before the statistics");
    }
    let days = Days::last(STATS_DAYS, crate::date::now() as i64);
    stats::read(&operator.log.store, days, By::Day)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not read the consent figures");
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the consent log could not be read\n",
            )
        })
}

async fn stats_json(State(operator): State<Operator>) -> Response {
    match last_days(&operator).await {
        Ok(stats) => (
            [(header::CONTENT_TYPE, "application/json")],
            stats.to_json(),
        )
            .into_response(),
        Err(response) => response,
    }
}

const STYLE: &str = "\
:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.45}\
body{margin:0;background:Canvas;color:CanvasText}\
main{max-width:1200px;margin:0 auto;padding:24px}\
h1{font-size:1.5rem;margin:0 0 4px}\
p{margin:0 0 16px;color:GrayText}\
figure{margin:0 0 24px;overflow-x:auto}\
figure svg{background:#fff;border-radius:8px;min-width:640px;max-width:100%;height:auto}\
.table{overflow-x:auto}\
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.875rem}\
th,td{padding:4px 8px;text-align:right;border-bottom:1px solid color-mix(in srgb,CanvasText 15%,transparent)}\
th:first-child,td:first-child{text-align:left;white-space:nowrap}\
thead th{position:sticky;top:0;background:Canvas}\
tfoot th,tfoot td{font-weight:600;border-top:2px solid CanvasText}";

/// The CSP of `/stats`: nothing but its own stylesheet, by hash (no script at all).
fn stats_policy() -> HeaderValue {
    let hash = crate::csp::source_hash(STYLE);
    let policy = format!(
        "default-src 'none'; style-src{hash}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
}

async fn stats_page(State(operator): State<Operator>) -> Response {
    let stats = match last_days(&operator).await {
        Ok(stats) => stats,
        Err(response) => return response,
    };
    let chart = chart::svg(&stats, 960, 440).unwrap_or_else(|error| {
        tracing::error!(%error, "could not draw the consent chart");
        String::new()
    });
    let from = stats.since.as_deref().unwrap_or_default();
    let mut page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Consent statistics · Leadistry</title><style>{STYLE}</style></head><body><main>\
         <h1>Consent statistics</h1>\
         <p>The last {STATS_DAYS} days (UTC), from {from}, every instance added up. \
         As JSON: <a href=\"/stats.json\">/stats.json</a>.</p>\
         <figure aria-label=\"Decisions per day, granted and denied, and the opt-in rate\">\
         {chart}</figure><div class=\"table\"><table><caption hidden>Consent figures per day\
         </caption><thead><tr>"
    );
    for heading in stats::table_headings() {
        let _ = write!(page, "<th scope=\"col\">{heading}</th>");
    }
    page.push_str("</tr></thead><tbody>");
    for row in stats.rows.iter().rev() {
        write_row(&mut page, &row.period, &stats::table_cells(&row.figures));
    }
    page.push_str("</tbody><tfoot>");
    write_row(&mut page, stats::TOTAL, &stats::table_cells(&stats.total));
    page.push_str("</tfoot></table></div></main></body></html>\n");
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, stats_policy());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A table row; its cells are figures and dates, never text from outside.
fn write_row(page: &mut String, period: &str, cells: &[String]) {
    let _ = write!(page, "<tr><th scope=\"row\">{period}</th>");
    for cell in cells {
        let _ = write!(page, "<td>{cell}</td>");
    }
    page.push_str("</tr>");
}
