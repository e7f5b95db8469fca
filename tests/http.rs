//! The running router, called as a service: forged requests, hostile input, security headers.
#![cfg(feature = "ssr")]

use axum::{
    body::{to_bytes, Body},
    http::{header, Request, Response, StatusCode},
    Router,
};
use leadistry::{
    config::{Config, SiteSettings},
    server::router,
};
use leptos::config::LeptosOptions;
use std::{future::Future, path::PathBuf, sync::LazyLock};
use tower::ServiceExt;

/// One runtime for every test: Leptos's task spawner is global and must outlive each test.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
});

fn run<F: Future>(test: F) -> F::Output {
    LazyLock::force(&APP);
    RUNTIME.block_on(test)
}

const HOST: &str = "127.0.0.1:3000";
const SITE: &str = "http://127.0.0.1:3000";

/// Built once, outside the tests' futures: route generation renders the app, and is not
/// meant to run concurrently.
static APP: LazyLock<Router> = LazyLock::new(|| {
    let _runtime = RUNTIME.enter();
    build_app()
});

fn app() -> Router {
    APP.clone()
}

fn build_app() -> Router {
    let leptos = LeptosOptions::builder()
        .output_name("leadistry")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let site = SiteSettings {
        clarity_project_id: Some("abcd1234".into()),
        policy_revision: 1,
        consent_lifetime_days: 182,
        cookie_domain: Some("leadistry.com".into()),
        secure_cookies: false,
        content_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content"),
    };
    router(Config { leptos, site })
}

async fn send(request: Request<Body>) -> (Response<Body>, String) {
    let response = app().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (Response::from_parts(parts, Body::empty()), text)
}

fn post_consent(form: &str) -> axum::http::request::Builder {
    let _ = form;
    Request::post("/api/consent")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

fn set_cookies(response: &Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

const ACCEPT: &str = "choice=accept&source=banner";

#[test]
fn a_same_origin_post_saves_the_decision() {
    run(async {
        let (response, body) = send(
            post_consent(ACCEPT)
                .header(header::ORIGIN, SITE)
                .body(Body::from(ACCEPT))
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 1);
        assert!(cookies[0].starts_with("lf_cookie_consent=1.1."));
        assert!(body.contains("\"analytics\":true"));
    })
}

#[test]
fn cross_site_and_unproven_posts_are_refused_without_a_cookie() {
    run(async {
        let cases: [(&str, Option<(&str, &str)>); 5] = [
            ("foreign origin", Some(("origin", "https://evil.example"))),
            ("null origin", Some(("origin", "null"))),
            ("cross-site fetch", Some(("sec-fetch-site", "cross-site"))),
            (
                "foreign referer",
                Some(("referer", "https://evil.example/page")),
            ),
            ("no evidence", None),
        ];
        for (name, extra) in cases {
            let mut request = post_consent(ACCEPT);
            if let Some((k, v)) = extra {
                request = request.header(k, v);
            }
            let (response, body) = send(request.body(Body::from(ACCEPT)).unwrap()).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
            assert!(set_cookies(&response).is_empty(), "{name}");
            assert!(body.contains("Cross-site request refused"), "{name}");
        }
    })
}

#[test]
fn same_origin_fetch_metadata_or_referer_is_enough_without_origin() {
    run(async {
        for (k, v) in [
            ("sec-fetch-site", "same-origin"),
            ("referer", "http://127.0.0.1:3000/privacy"),
        ] {
            let (response, _) = send(
                post_consent(ACCEPT)
                    .header(k, v)
                    .body(Body::from(ACCEPT))
                    .unwrap(),
            )
            .await;
            assert_eq!(response.status(), StatusCode::OK, "{k}");
        }
    })
}

#[test]
fn malformed_forms_get_a_clear_4xx_and_no_cookie() {
    run(async {
        let big = format!("{ACCEPT}&return_to=/{}", "a".repeat(9 * 1024));
        let cases: Vec<(&str, String, StatusCode)> = vec![
            (
                "missing choice",
                "source=banner".into(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "wrong type",
                format!("{ACCEPT}&categories=5"),
                StatusCode::BAD_REQUEST,
            ),
            (
                "list for a string",
                "choice[]=accept&source=banner".into(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "unknown field",
                format!("{ACCEPT}&admin=1"),
                StatusCode::BAD_REQUEST,
            ),
            (
                "unknown category",
                "choice=save&source=settings&categories[marketing]=granted".into(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "essential category",
                "choice=save&source=settings&categories[essential]=denied".into(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "bad value",
                "choice=save&source=settings&categories[analytics]=yes".into(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "non-UTF-8 key",
                "%ff%fe=1&choice=accept&source=banner".into(),
                StatusCode::BAD_REQUEST,
            ),
            ("too large", big, StatusCode::PAYLOAD_TOO_LARGE),
        ];
        for (name, form, status) in cases {
            let (response, body) = send(
                post_consent(&form)
                    .header(header::ORIGIN, SITE)
                    .body(Body::from(form.clone()))
                    .unwrap(),
            )
            .await;
            assert_eq!(response.status(), status, "{name}: {body}");
            assert!(set_cookies(&response).is_empty(), "{name}");
            assert!(!body.is_empty(), "{name}: the error says why");
        }
    })
}

#[test]
fn json_or_get_is_not_a_consent_form() {
    run(async {
        let (response, _) = send(
            Request::post("/api/consent")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, SITE)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"choice":"accept","source":"banner"}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (response, _) = send(
            Request::get("/api/consent?choice=accept&source=banner")
                .header(header::HOST, HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert!(response.status().is_client_error(), "{}", response.status());
        assert!(set_cookies(&response).is_empty());
    })
}

fn page_with_cookies(cookies: &[&[u8]]) -> Request<Body> {
    let mut request = Request::get("/").header(header::HOST, HOST);
    for cookie in cookies {
        request = request.header(header::COOKIE, *cookie);
    }
    request.body(Body::empty()).unwrap()
}

#[test]
fn hostile_cookie_headers_get_a_clear_4xx() {
    run(async {
        let huge = format!("lf_token=abc; junk={}", "x".repeat(8 * 1024));
        let cases: [(&str, Vec<&[u8]>, StatusCode); 3] = [
        ("8 KB+ Cookie header", vec![huge.as_bytes()], StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        (
            "two consent cookies",
            vec![b"lf_cookie_consent=1.1.1.0123456789abcdef0123456789abcdef.1.b; lf_cookie_consent=x"],
            StatusCode::BAD_REQUEST,
        ),
        ("non-UTF-8 bytes", vec![b"lf_cookie_consent=\xff\xfe"], StatusCode::BAD_REQUEST),
    ];
        for (name, cookies, status) in cases {
            let (response, body) = send(page_with_cookies(&cookies)).await;
            assert_eq!(response.status(), status, "{name}");
            assert!(
                set_cookies(&response).is_empty(),
                "{name}: nothing saved is touched"
            );
            assert!(body.contains("cookie"), "{name}: {body}");
        }
    })
}

#[test]
fn a_mangled_consent_cookie_is_no_decision_not_an_error() {
    run(async {
        let (response, body) = send(page_with_cookies(&[b"lf_cookie_consent=garbage"])).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(body.contains("cookie-banner"));
    })
}

#[test]
fn responses_carry_the_security_headers() {
    run(async {
        let requests = [
            page_with_cookies(&[]),
            Request::get("/no-such-page")
                .header(header::HOST, HOST)
                .body(Body::empty())
                .unwrap(),
            post_consent(ACCEPT)
                .header(header::ORIGIN, SITE)
                .body(Body::from(ACCEPT))
                .unwrap(),
        ];
        for request in requests {
            let path = request.uri().path().to_string();
            let (response, _) = send(request).await;
            let h = response.headers();
            let csp = h
                .get(header::CONTENT_SECURITY_POLICY)
                .expect(&path)
                .to_str()
                .unwrap();
            assert!(csp.contains("script-src 'self' 'nonce-"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
            assert_eq!(
                h[header::REFERRER_POLICY],
                "strict-origin-when-cross-origin",
                "{path}"
            );
            assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
            assert!(h.contains_key("permissions-policy"), "{path}");
            assert!(
                !h.contains_key(header::STRICT_TRANSPORT_SECURITY),
                "{path}: plain http"
            );
        }
    })
}

#[test]
fn each_page_gets_a_fresh_nonce_that_its_scripts_carry() {
    run(async {
        let (first, body) = send(page_with_cookies(&[])).await;
        let (second, _) = send(page_with_cookies(&[])).await;
        let nonce = |r: &Response<Body>| {
            let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string();
            csp.split("'nonce-")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap()
                .to_string()
        };
        assert_ne!(nonce(&first), nonce(&second));
        assert!(body.contains(&format!("nonce=\"{}\"", nonce(&first))));
    })
}

#[test]
fn clarity_hosts_are_in_the_policy_only_for_visitors_who_did_not_refuse() {
    run(async {
        let refused = b"lf_cookie_consent=1.1.1795900000.0123456789abcdef0123456789abcdef.0.b";
        let granted = b"lf_cookie_consent=1.1.1795900000.0123456789abcdef0123456789abcdef.1.b";
        let csp = |r: &Response<Body>| {
            r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string()
        };
        let (response, body) = send(page_with_cookies(&[refused])).await;
        assert!(!csp(&response).contains("clarity"));
        assert!(!body.contains("clarity.ms"));
        let (response, body) = send(page_with_cookies(&[granted])).await;
        assert!(csp(&response).contains("https://www.clarity.ms"));
        assert!(body.contains("id=\"clarity-loader\""));
    })
}

#[test]
fn withdrawal_expires_clarity_cookies_on_host_and_parent_domain_and_keeps_the_session() {
    run(async {
        let form = "choice=reject&source=settings";
        let (response, _) = send(
            post_consent(form)
                .header(header::ORIGIN, SITE)
                .header(header::COOKIE, "lf_token=session-1; _clck=a; _clsk=b")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
        let cookies = set_cookies(&response);
        for expected in [
            "_clck=; Max-Age=0; Path=/",
            "_clsk=; Max-Age=0; Path=/",
            "_clck=; Max-Age=0; Path=/; Domain=leadistry.com",
            "_clsk=; Max-Age=0; Path=/; Domain=leadistry.com",
        ] {
            assert!(
                cookies.iter().any(|c| c == expected),
                "{expected} in {cookies:?}"
            );
        }
        assert!(cookies.iter().all(|c| !c.starts_with("lf_token")));
    })
}
