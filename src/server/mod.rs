//! Server-only setup: the axum router, static files, logging and shutdown.

pub mod client;
pub mod csrf;
pub mod endpoint;
pub mod headers;
pub mod listener;

use crate::app::{shell, App, Assets, Stylesheet};
use crate::config::{keys::ConsentKeys, Config, SiteSettings};
use crate::receipts::ConsentLog;
use axum::{
    http::{header, StatusCode},
    middleware, Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{sync::Arc, time::Duration};
use tower_http::{
    compression::CompressionLayer, services::ServeDir, set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer, trace::TraceLayer,
};

/// Everything server functions and page renders can read from context, including the CSP
/// nonce of this response, so that inline scripts carry the one the header names.
fn provide_server_context(
    settings: Arc<SiteSettings>,
    keys: Arc<ConsentKeys>,
    log: ConsentLog,
    assets: Assets,
) -> impl Fn() + Clone + Send + Sync {
    move || {
        provide_context(settings.clone());
        provide_context(keys.clone());
        provide_context(log.clone());
        provide_context(assets.clone());
        let nonce = with_context::<http::request::Parts, _>(|parts| {
            parts.extensions.get::<leptos::nonce::Nonce>().cloned()
        });
        if let Some(nonce) = nonce.flatten() {
            provide_context(nonce);
        }
    }
}

/// The whole application: pages, server functions, static assets.
pub fn router(config: Config, keys: ConsentKeys, log: ConsentLog) -> Router {
    let Config { leptos, site } = config;
    let settings = Arc::new(site);
    let keys = Arc::new(keys);
    let context = provide_server_context(settings.clone(), keys.clone(), log, assets(&leptos));
    let header_policy = headers::HeaderPolicy {
        settings: settings.clone(),
        keys,
        reload_socket: std::env::var("LEPTOS_WATCH").ok().map(|_| {
            let port = leptos.reload_port;
            format!(" ws://127.0.0.1:{port} ws://localhost:{port}")
        }),
    };
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
    // The pages alone, for the consent endpoint's failure page.
    let pages = Router::new()
        .leptos_routes_with_context(&leptos, routes.clone(), context.clone(), app.clone())
        .with_state(leptos.clone());
    let endpoint = endpoint::Endpoint::new(settings.clone(), pages);

    Router::new()
        .leptos_routes_with_context(&leptos, routes, context.clone(), app)
        .nest(&format!("/{}", leptos.site_pkg_dir), pkg)
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        // Pages depend on the visitor's cookies: never serve one visitor's page to another.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-cache"),
        ))
        .layer(CompressionLayer::new())
        // Outside in: log; time out; read the visitor's state and add the security headers
        // (and the nonce); then guard the consent endpoint.
        .layer(middleware::from_fn_with_state(endpoint, endpoint::guard))
        .layer(middleware::from_fn_with_state(
            header_policy,
            headers::secure_headers,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            settings.limits.request_timeout,
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
        .with_state(leptos)
}

pub fn init_tracing() {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    // Logs go to stderr: stdout carries the output of `leadistry export`.
    fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
}

/// Binds, serves until SIGINT or SIGTERM, then lets requests in progress finish for at most
/// the shutdown timeout.
pub async fn serve(config: Config, keys: ConsentKeys, log: ConsentLog) -> std::io::Result<()> {
    check_hash_file(&config.leptos)?;
    let addr = config.leptos.site_addr;
    let site = &config.site;
    if site.clarity_project_id.is_none() {
        tracing::info!("no Clarity project id configured: Clarity will not be loaded");
    }
    if site.lacks_public_origin_for(addr) {
        tracing::warn!(
            "public-origin is not set: consent posts must come from http:// and the Host \
             header, and cookies are not Secure; behind a TLS proxy set public-origin"
        );
    }
    let mut limits = site.limits.clone();
    // Each connection is a file descriptor: raise the soft limit, and keep the cap under it.
    let descriptors = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let affordable = usize::try_from(descriptors.saturating_sub(64)).unwrap_or(usize::MAX);
    if limits.max_connections > affordable {
        tracing::warn!(
            max_connections = limits.max_connections,
            affordable,
            "max-connections is above what the file descriptor limit allows: using the lower"
        );
        limits.max_connections = affordable.max(1);
    }
    log.check_revision(site.policy_revision).await;
    let app = router(config, keys, log.clone());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    listener::serve(listener, app, &limits, shutdown_signal()).await;
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

/// The assets' URLs, read once: Leptos' `HashedStylesheet` and `HydrationScripts` read
/// hash.txt on every page (9% of a page's CPU in the server bench); the names cannot change
/// while the server runs.
fn assets(options: &LeptosOptions) -> Assets {
    let hashes = options
        .hash_files
        .then(|| std::fs::read_to_string(hash_file(options).ok()?).ok())
        .flatten()
        .unwrap_or_default();
    let LeptosOptions {
        site_pkg_dir,
        output_name,
        ..
    } = options;
    let name = |kind: &str, extension: &str| {
        let hash = hashes
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(file, _)| file.trim() == kind)
            .map(|(_, hash)| format!(".{}", hash.trim()));
        // cargo-leptos names the WASM after the crate; a plain wasm-bindgen run adds `_bg`.
        let suffix = match (kind, &hash, option_env!("LEPTOS_OUTPUT_NAME")) {
            ("wasm", None, None) => "_bg",
            _ => "",
        };
        format!(
            "/{site_pkg_dir}/{output_name}{suffix}{}.{extension}",
            hash.unwrap_or_default()
        )
    };
    let css = name("css", "css");
    let file = format!("{}{css}", options.site_root);
    let stylesheet = match std::fs::read_to_string(&file) {
        Ok(text) if std::env::var("LEPTOS_WATCH").is_err() => Stylesheet::Inline(text.into()),
        Ok(_) => Stylesheet::Linked(css.into()),
        Err(error) => {
            tracing::warn!(%error, file, "stylesheet not found: pages link it instead");
            Stylesheet::Linked(css.into())
        }
    };
    Assets::new(stylesheet, &name("js", "js"), &name("wasm", "wasm"))
}

/// With `hash-files`, Leptos reads asset names from a file beside the binary and would panic
/// on every page without it: refuse to start instead.
fn check_hash_file(options: &LeptosOptions) -> std::io::Result<()> {
    if !options.hash_files {
        return Ok(());
    }
    let file = hash_file(options)?;
    if file.is_file() {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!(
            "hash-files is on but {} is missing: build with `cargo leptos build` \
             (or set LEPTOS_HASH_FILES=false)",
            file.display()
        ),
    ))
}

/// Where cargo-leptos writes the assets' hashes: beside the server binary.
fn hash_file(options: &LeptosOptions) -> std::io::Result<std::path::PathBuf> {
    Ok(std::env::current_exe()?.with_file_name(options.hash_file.as_ref()))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
