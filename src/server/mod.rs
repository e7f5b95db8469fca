//! Server-only setup: the axum router, static files, logging and shutdown.

pub mod client;
pub mod csrf;
pub mod endpoint;
pub mod headers;
pub mod listener;
pub mod metrics;
pub mod operator;
pub mod visitor;

use crate::app::{shell, App};
use crate::assets::check_hash_file;
use crate::config::{keys::ConsentKeys, Config};
use crate::receipts::ConsentLog;
use crate::render_cache;
use crate::state::AppState;
use axum::{
    http::{header, StatusCode},
    middleware, Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{future::IntoFuture, sync::Arc, time::Duration};
use tower_http::{
    compression::CompressionLayer, services::ServeDir, set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer, trace::TraceLayer,
};

/// What page renders and server functions read from the reactive context: the application
/// state; and an empty nonce in place of the random one leptos_axum provides for each render:
/// the policy names the inline scripts by hash (`csp`), and a page must be the same for
/// every visitor of its class.
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let state = state.clone();
    move || {
        provide_context(state.clone());
        provide_context(leptos::nonce::Nonce::from_value(""));
    }
}

/// The whole application: pages, server functions, static assets.
pub fn router(state: AppState) -> Router {
    let leptos = &state.leptos;
    let context = page_context(&state);
    let routes = generate_route_list(App);

    // Hashed file names change with their content, so they can be cached for good.
    let pkg_cache = if leptos.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let pkg_dir = format!("{}/{}", leptos.site_root, leptos.site_pkg_dir);
    let pkg = Router::new()
        .fallback_service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(pkg_cache),
        ));

    let app = {
        let leptos = leptos.clone();
        move || shell(leptos.clone())
    };

    Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), app)
        .nest(&format!("/{}", leptos.site_pkg_dir), pkg)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        // Pages depend on the visitor's cookies: never serve one visitor's page to another.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-cache"),
        ))
        .layer(CompressionLayer::new())
        // Outside the compression, so that pages are kept compressed.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            render_cache::serve_cached,
        ))
        // Outside in: log; time out; read the visitor's consent; add the security headers
        // (the policy by hashes); then guard the consent endpoint.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            endpoint::guard,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            visitor::read_consent,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.settings.request_timeout,
        ))
        .layer(
            // One line per request: the span carries method and URI, the event status and time.
            TraceLayer::new_for_http()
                .make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                )
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        .with_state(state)
}

pub fn init_tracing() {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    // Logs go to stderr: stdout carries the output of `leadistry export`. A line that cannot
    // be written (stderr a file on a full disk) is dropped: reporting it with `eprintln!`
    // would panic whatever task was logging, a save among them.
    fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .init();
}

/// Binds, serves until SIGINT or SIGTERM, then lets requests in progress finish for at most
/// the shutdown timeout.
pub async fn serve(config: Config, keys: ConsentKeys, log: ConsentLog) -> std::io::Result<()> {
    check_hash_file(&config.leptos)?;
    let addr = config.leptos.site_addr;
    for setting in &config.in_force {
        if let Some(from) = &setting.source {
            tracing::info!("setting {} = {} (from {from})", setting.key, setting.shown);
        }
    }
    let mut site = config.site.clone();
    if site.clarity_project_id.is_none() {
        tracing::info!("no Clarity project id configured: Clarity will not be loaded");
    }
    if site.lacks_public_origin_for(addr) {
        tracing::warn!(
            "public-origin is not set: consent posts must come from http:// and the Host \
             header, and cookies are not Secure; behind a TLS proxy set public-origin"
        );
    }
    // Each connection is a file descriptor: raise the soft limit, and keep the cap under it.
    let descriptors = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let affordable = usize::try_from(descriptors.saturating_sub(64)).unwrap_or(usize::MAX);
    if site.max_connections > affordable {
        tracing::warn!(
            max_connections = site.max_connections,
            affordable,
            "max-connections is above what the file descriptor limit allows: using the lower"
        );
        site.max_connections = affordable.max(1);
    }
    log.start(site.policy_revision).await;
    let state = AppState::new(config.leptos, config.site, keys, log.clone());
    let counters = state.counters.clone();
    let mut app = router(state);
    let operator = match site.operator_addr {
        Some(operator_addr) => {
            let metrics = metrics::install().map_err(std::io::Error::other)?;
            // Histograms are drained into what `/metrics` shows by this upkeep; unscraped,
            // they would otherwise keep every sample.
            let upkeep = metrics.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(Duration::from_secs(5));
                loop {
                    ticks.tick().await;
                    upkeep.run_upkeep();
                }
            });
            app = app.layer(middleware::from_fn(metrics::record_request));
            let operator = operator::router(operator::Operator {
                log: log.clone(),
                counters: counters.clone(),
                token: site.operator_token.clone().map(Arc::new),
                metrics,
            });
            let listener = tokio::net::TcpListener::bind(operator_addr).await?;
            tracing::info!("operator listener on http://{operator_addr}");
            let serve = axum::serve(listener, operator).with_graceful_shutdown(shutdown_signal());
            Some(tokio::spawn(serve.into_future()))
        }
        None => None,
    };
    // Several instances may seal at once: each day's seal is the same whoever makes it.
    let sealing = tokio::spawn(crate::receipts::seal_every(
        log.store.clone(),
        SEAL_EVERY,
        site.seal_grace.as_secs() as i64,
    ));
    let flushing = tokio::spawn(
        counters
            .clone()
            .flush_every(log.store.clone(), crate::stats::counters::FLUSH_EVERY),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    listener::serve(listener, app, &site, shutdown_signal()).await;
    flushing.abort();
    sealing.abort();
    if let Some(operator) = operator {
        operator.abort();
    }
    match tokio::time::timeout(Duration::from_secs(2), counters.flush(&log.store)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "the last counts did not reach the consent log"),
        Err(_) => tracing::warn!("the last counts did not reach the consent log within 2 s"),
    }
    // Writes still under way finish in milliseconds; a consent log that hangs does not hold
    // the exit back.
    if tokio::time::timeout(Duration::from_millis(500), log.store.close())
        .await
        .is_err()
    {
        tracing::warn!("the consent log did not close within 0.5 s");
    }
    tracing::info!("shut down");
    Ok(())
}

/// How often the server looks for finished days to seal.
const SEAL_EVERY: Duration = Duration::from_secs(60);

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
