//! The operator listener (`operator-addr`, off by default): `/metrics` for Prometheus,
//! `/healthz` and `/readyz` for a load balancer, the consent figures of the last 30 days as a
//! page (`/stats`, chart and table, no script, and the head of the seals) and as JSON
//! (`/stats.json`), and the seals (`/seals.json`). The public listener has none of these paths.

use crate::config::keys::OperatorToken;
use crate::receipts::ConsentLog;
use crate::stats::{self, counters::Counters, By, Days, Stats};
use axum::{
    extract::{FromRef, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics_exporter_prometheus::PrometheusHandle;
use std::{sync::Arc, time::Duration};
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
        .route("/seals.json", get(seals_json))
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

/// The last `STATS_DAYS` days' figures, this instance's latest counts included.
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

/// Every seal, newest first: the head to publish, and the chain behind it.
async fn seals_json(State(log): State<ConsentLog>) -> Response {
    match log.store.seals().await {
        Ok(mut seals) => {
            seals.reverse();
            let seals: Vec<serde_json::Value> = seals.iter().map(|seal| seal.to_json()).collect();
            let body = serde_json::to_string_pretty(&seals).unwrap_or_default() + "\n";
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "could not read the seals");
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the consent log could not be read\n",
            )
        }
    }
}

async fn stats_page(State(operator): State<Operator>) -> Response {
    let stats = match last_days(&operator).await {
        Ok(stats) => stats,
        Err(response) => return response,
    };
    let head = operator.log.store.head().await.unwrap_or_else(|error| {
        tracing::error!(%error, "could not read the head of the seals");
        None
    });
    let page = stats::page::html(&stats, STATS_DAYS, head.as_ref());
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        stats::page::content_security_policy(),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
