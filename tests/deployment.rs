//! The router as a deployment meets it: behind a TLS proxy, flooded by one client, with a
//! consent log that cannot keep up, and visitors without JavaScript whose save fails.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Request, StatusCode},
    Router,
};
use common::{
    build_app, closed_log, content, post_consent, send_to, set_cookies, settings, sqlite_log, HOST,
    RUNTIME, SITE,
};
use leadistry::{config::origin::Origin, receipts::Store};
use std::{future::Future, net::SocketAddr, sync::LazyLock};

const PUBLIC: &str = "https://www.leadistry.com";

struct Apps {
    /// Behind a TLS proxy on 127.0.0.1: `public-origin` is https, the proxy is trusted, and
    /// each client may save three times before it must wait (one more each 10 s after).
    proxied: Router,
    /// The same, with a log of its own, for the flood.
    flooded: Router,
    flooded_log: Store,
    /// A consent log that takes one write at a time.
    narrow: Router,
    narrow_log: Store,
    /// A consent log that cannot be written.
    broken: Router,
}

static APPS: LazyLock<Apps> = LazyLock::new(|| {
    RUNTIME.block_on(async {
        let mut proxied = settings(content());
        proxied.public_origin = Origin::parse_setting(PUBLIC);
        proxied.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        proxied.saves_per_minute = 6;
        proxied.saves_burst = 3;
        let flooded_log = sqlite_log("deployment-flooded").await;
        let narrow_log = sqlite_log("deployment-narrow").await;
        let mut narrow = settings(content());
        narrow.receipt_queue = 1;
        Apps {
            proxied: build_app(sqlite_log("deployment-proxied").await, proxied.clone()),
            flooded: build_app(flooded_log.clone(), proxied),
            flooded_log,
            narrow: build_app(narrow_log.clone(), narrow),
            narrow_log,
            broken: build_app(closed_log().await, settings(content())),
        }
    })
});

fn run<F: Future>(test: F) -> F::Output {
    LazyLock::force(&APPS);
    RUNTIME.block_on(test)
}

/// A consent post as it reaches the server: through the proxy (peer 127.0.0.1) for `client`.
fn post(client: &str, form: &str) -> axum::http::request::Builder {
    post_from(PUBLIC, client, form)
}

fn post_from(origin: &str, client: &str, form: &str) -> axum::http::request::Builder {
    Request::post("/api/consent")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", client)
        .extension(ConnectInfo(
            "127.0.0.1:40000".parse::<SocketAddr>().unwrap(),
        ))
        .header(header::CONTENT_LENGTH, form.len())
}

/// A browser's own form post, without JavaScript.
fn plain(request: axum::http::request::Builder) -> axum::http::request::Builder {
    request.header(
        header::ACCEPT,
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )
}

async fn receipts(log: &Store) -> usize {
    log.export(0, i64::MAX).await.unwrap().len()
}

const ACCEPT: &str = "choice=accept&source=banner";

#[test]
fn behind_a_tls_proxy_the_cookie_is_secure_and_the_origin_check_uses_the_public_origin() {
    run(async {
        let (response, _) = send_to(
            APPS.proxied.clone(),
            post("203.0.113.10", ACCEPT)
                .body(Body::from(ACCEPT))
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = cookie::Cookie::parse(set_cookies(&response)[0].clone()).unwrap();
        assert_eq!(cookie.secure(), Some(true));
        assert!(response
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_some_and(|v| v.to_str().unwrap().starts_with("max-age=")));
        for (origin, name) in [
            ("http://www.leadistry.com", "plain http"),
            ("http://127.0.0.1:3000", "the bind address"),
            ("https://app.leadistry.com", "a sibling subdomain"),
        ] {
            let request = post_from(origin, "203.0.113.11", ACCEPT)
                .body(Body::from(ACCEPT))
                .unwrap();
            let (response, _) = send_to(APPS.proxied.clone(), request).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
            assert!(set_cookies(&response).is_empty(), "{name}");
        }
        let page = Request::get("/")
            .header(header::HOST, "127.0.0.1:3000")
            .body(Body::empty())
            .unwrap();
        let (response, _) = send_to(APPS.proxied.clone(), page).await;
        assert!(response
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY));
    })
}

#[test]
fn a_flooding_client_is_limited_and_nothing_it_sends_over_the_limit_is_written() {
    run(async {
        let flooder = "198.51.100.7";
        let before = receipts(&APPS.flooded_log).await;
        let mut statuses = Vec::new();
        for _ in 0..8 {
            let request = post(flooder, ACCEPT).body(Body::from(ACCEPT)).unwrap();
            let started = std::time::Instant::now();
            let (response, body) = send_to(APPS.flooded.clone(), request).await;
            statuses.push(response.status());
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                // Held, so that a flooder's connections cannot turn refusals into a busy loop.
                let held = started.elapsed();
                assert!(held >= std::time::Duration::from_millis(240), "{held:?}");
                let wait: u64 = response.headers()[header::RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=10).contains(&wait), "Retry-After {wait}");
                assert!(set_cookies(&response).is_empty());
                assert!(body.contains("nothing was changed"), "{body}");
            }
        }
        let saved = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(saved, 3, "the burst, then the limit: {statuses:?}");
        assert_eq!(receipts(&APPS.flooded_log).await, before + saved);

        // Another client behind the same proxy is not affected.
        let other = post("198.51.100.8", ACCEPT)
            .body(Body::from(ACCEPT))
            .unwrap();
        assert_eq!(
            send_to(APPS.flooded.clone(), other).await.0.status(),
            StatusCode::OK
        );

        // The flooder's own X-Forwarded-For does not make it someone else: the proxy appends
        // the address it saw, and that one counts.
        let disguised = post(&format!("203.0.113.99, {flooder}"), ACCEPT)
            .body(Body::from(ACCEPT))
            .unwrap();
        let (response, _) = send_to(APPS.flooded.clone(), disguised).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

        // Without JavaScript, the visitor gets a page that says to try again.
        let request = plain(post(flooder, ACCEPT))
            .body(Body::from(ACCEPT))
            .unwrap();
        let (response, body) = send_to(APPS.flooded.clone(), request).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        assert!(response.headers().get(header::LOCATION).is_none());
        assert!(body.contains("Please try again in a minute"), "{body}");
        assert!(body.contains("class=\"site-footer\""), "inside the layout");
    })
}

#[test]
fn a_forwarded_header_from_anyone_but_the_trusted_proxy_is_ignored() {
    run(async {
        // Straight from a client (not the proxy): its X-Forwarded-For names nobody.
        let direct = |claimed: &str| {
            post(claimed, ACCEPT)
                .extension(ConnectInfo(
                    "192.0.2.50:40000".parse::<SocketAddr>().unwrap(),
                ))
                .body(Body::from(ACCEPT))
                .unwrap()
        };
        let mut statuses = Vec::new();
        for i in 0..5 {
            let (response, _) = send_to(APPS.proxied.clone(), direct(&format!("10.9.9.{i}"))).await;
            statuses.push(response.status());
        }
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
                .count(),
            2,
            "one client, whatever it claims: {statuses:?}"
        );
    })
}

#[test]
fn a_consent_log_that_cannot_keep_up_refuses_fast_and_writes_only_what_it_confirms() {
    run(async {
        let before = receipts(&APPS.narrow_log).await;
        let requests = (0..40).map(|_| {
            let request = post_consent()
                .header(header::ORIGIN, SITE)
                .body(Body::from(ACCEPT))
                .unwrap();
            tokio::spawn(send_to(APPS.narrow.clone(), request))
        });
        let mut saved = 0;
        let mut busy = 0;
        for request in requests.collect::<Vec<_>>() {
            let (response, _) = request.await.unwrap();
            match response.status() {
                StatusCode::OK => saved += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    busy += 1;
                    assert!(set_cookies(&response).is_empty());
                    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
                }
                other => panic!("{other}"),
            }
        }
        assert!(saved >= 1 && busy >= 1, "{saved} saved, {busy} refused");
        assert_eq!(receipts(&APPS.narrow_log).await, before + saved);
    })
}

#[test]
fn a_save_without_javascript_is_answered_with_see_other() {
    run(async {
        let form = "choice=reject&source=banner&return_to=/privacy";
        let request = plain(post("203.0.113.20", form))
            .body(Body::from(form))
            .unwrap();
        let (response, _) = send_to(APPS.proxied.clone(), request).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[header::LOCATION], "/privacy");
        let cookies = set_cookies(&response);
        assert!(
            cookies[0].starts_with("lf_cookie_consent=2."),
            "{cookies:?}"
        );
        assert!(
            cookies.iter().any(|c| c.starts_with("_clck=;")),
            "{cookies:?}"
        );
    })
}

#[test]
fn a_failed_save_without_javascript_never_redirects_to_the_referer() {
    run(async {
        let bad = "choice=accept&source=banner&admin=1";
        let unknown = "choice=maybe&source=banner";
        for (app, origin, form, status, says) in [
            (
                &APPS.proxied,
                PUBLIC,
                bad,
                StatusCode::BAD_REQUEST,
                "could not be read",
            ),
            (
                &APPS.proxied,
                PUBLIC,
                unknown,
                StatusCode::BAD_REQUEST,
                "could not be read",
            ),
            (
                &APPS.broken,
                SITE,
                ACCEPT,
                StatusCode::SERVICE_UNAVAILABLE,
                "could not be saved",
            ),
        ] {
            let request = plain(post_from(origin, "203.0.113.30", form))
                .header(header::REFERER, "https://evil.example/")
                .body(Body::from(form))
                .unwrap();
            let (response, body) = send_to(app.clone(), request).await;
            assert_eq!(response.status(), status, "{form}: {body}");
            assert!(response.headers().get(header::LOCATION).is_none(), "{form}");
            assert!(set_cookies(&response).is_empty(), "{form}");
            assert!(body.contains(says), "{form}: {body}");
            assert!(body.contains("so nothing has changed"), "{form}");
            assert!(
                body.contains("class=\"site-footer\""),
                "{form}: inside the layout"
            );
            assert!(!body.contains("evil.example"), "{form}");
        }
    })
}
