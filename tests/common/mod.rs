//! What the tests of the running router share: building it, and sending it a request.
#![allow(dead_code)] // each test binary uses its own part

use axum::{
    body::{to_bytes, Body},
    http::{Request, Response},
    Router,
};
use leadistry::{
    config::{Config, SiteSettings},
    receipts::{ConsentLog, Store},
    server::router,
};
use leptos::config::LeptosOptions;
use std::{future::Future, path::PathBuf, sync::LazyLock};
use tower::ServiceExt;

/// One runtime for every test: Leptos's task spawner is global and must outlive each test.
pub static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
});

pub const HOST: &str = "127.0.0.1:3000";
pub const SITE: &str = "http://127.0.0.1:3000";

pub fn content() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// The settings the tests' routers run with: Clarity configured, a parent cookie domain.
pub fn settings(content_dir: PathBuf) -> SiteSettings {
    SiteSettings {
        clarity_project_id: Some("abcd1234".into()),
        policy_revision: 1,
        consent_lifetime_days: 182,
        cookie_domain: Some("leadistry.com".into()),
        secure_cookies: false,
        content_dir,
        database_url: String::new(),
        receipt_retention_days: 1095,
    }
}

pub fn build_app(store: Store, site: SiteSettings) -> Router {
    let leptos = LeptosOptions::builder()
        .output_name("leadistry")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    router(Config { leptos, site }, ConsentLog::new(store))
}

/// A fresh SQLite consent log in the temporary folder.
pub async fn sqlite_log(name: &str) -> Store {
    let file = std::env::temp_dir().join(format!("leadistry-{name}-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&file);
    Store::connect(&format!("sqlite://{}?mode=rwc", file.display()))
        .await
        .expect("sqlite")
}

pub async fn send_to(app: Router, request: Request<Body>) -> (Response<Body>, String) {
    let response = app.oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (Response::from_parts(parts, Body::empty()), text)
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.block_on(future)
}
