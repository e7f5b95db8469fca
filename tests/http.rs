//! The running router, called as a service: forged requests, hostile input, security headers.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use common::{
    build_app, closed_log, content, post_consent, send_to, set_cookies, settings, shows_banner,
    signed_cookie, sqlite_log, HOST, RUNTIME, SITE,
};
use leadistry::receipts::Store;
use std::{future::Future, sync::LazyLock};

fn run<F: Future>(test: F) -> F::Output {
    LazyLock::force(&APPS);
    RUNTIME.block_on(test)
}

/// The routers under test, built once outside the tests' futures: route generation renders
/// the app, and is not meant to run concurrently.
struct Apps {
    /// On a fresh SQLite consent log.
    sqlite: Router,
    sqlite_log: Store,
    /// On PostgreSQL, when `TEST_DATABASE_URL` names one (its tests fail without it unless
    /// the run skips PostgreSQL: `common::postgres_url`).
    postgres: Option<(Router, Store)>,
    /// With a consent log that cannot be written, and no documents.
    broken: Router,
}

static APPS: LazyLock<Apps> = LazyLock::new(|| {
    RUNTIME.block_on(async {
        let sqlite_log = sqlite_log("http").await;
        let postgres = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) => {
                let store = Store::connect(&url).await.expect("TEST_DATABASE_URL");
                Some((build_app(store.clone(), settings(content())), store))
            }
            Err(_) => None,
        };
        Apps {
            sqlite: build_app(sqlite_log.clone(), settings(content())),
            sqlite_log,
            postgres,
            broken: build_app(
                closed_log().await,
                settings(std::env::temp_dir().join("leadistry-no-content")),
            ),
        }
    })
});

fn app() -> Router {
    APPS.sqlite.clone()
}

async fn send(request: Request<Body>) -> (Response<Body>, String) {
    send_to(app(), request).await
}

const ACCEPT: &str = "choice=accept&source=banner";

#[test]
fn a_same_origin_post_saves_the_decision() {
    run(async {
        let (response, body) = send(
            post_consent()
                .header(header::ORIGIN, SITE)
                .body(Body::from(ACCEPT))
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 1);
        assert!(cookies[0].starts_with("lf_cookie_consent=2.1."));
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
            let mut request = post_consent();
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
                post_consent()
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
                post_consent()
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

/// A browser's own form post, without JavaScript.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[test]
fn a_malformed_form_without_javascript_gets_the_settings_page_with_400() {
    run(async {
        for (name, form) in [
            ("missing choice", "source=banner"),
            ("unknown field", "choice=accept&source=banner&admin=1"),
            ("list for a string", "choice[]=accept&source=banner"),
            ("bad value", "choice=maybe&source=banner"),
            (
                "unknown category",
                "choice=save&categories[marketing]=granted",
            ),
        ] {
            let (response, body) = send(
                post_consent()
                    .header(header::ORIGIN, SITE)
                    .header(header::ACCEPT, BROWSER_ACCEPT)
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
            assert!(response.headers().get(header::LOCATION).is_none(), "{name}");
            assert!(
                response.headers()[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html"),
                "{name}"
            );
            assert!(set_cookies(&response).is_empty(), "{name}");
            let invalid = leadistry::wording::WORDING.errors.invalid;
            assert!(body.contains(invalid), "{name}: {body}");
            let title = leadistry::wording::WORDING.cookie_settings;
            assert!(body.contains(&format!("<h1>{title}</h1>")), "{name}");
        }
    })
}

#[test]
fn a_script_learns_why_a_save_failed_and_when_to_retry() {
    run(async {
        let (response, body) = send(
            post_consent()
                .header(header::ORIGIN, SITE)
                .body(Body::from("source=banner"))
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let error: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(error["status"], 400, "{body}");
        assert!(
            error["message"].as_str().unwrap().contains("choice"),
            "{body}"
        );
        let request = post_consent()
            .header(header::ORIGIN, SITE)
            .body(Body::from(ACCEPT))
            .unwrap();
        let (response, body) = send_to(APPS.broken.clone(), request).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5", "{body}");
        let error: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(error["retry_after"], 5, "{body}");
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
    page_at("/", cookies)
}

fn page_at(path: &str, cookies: &[&[u8]]) -> Request<Body> {
    let mut request = Request::get(path).header(header::HOST, HOST);
    for cookie in cookies {
        request = request.header(header::COOKIE, *cookie);
    }
    request.body(Body::empty()).unwrap()
}

/// Other apps on the parent domain set their own cookies, whatever their bytes and size:
/// none of them is a reason to refuse a page, and none is read.
#[test]
fn cookies_the_site_did_not_write_never_refuse_a_page() {
    run(async {
        let sso = format!("lf_token=abc; sso={}", "x".repeat(9 * 1024));
        let sixteen = format!("big={}", "y".repeat(16 * 1024 - 4));
        let decided = signed_cookie(false);
        let sibling = format!("{decided}; lf_cookie_consent=app-setting-on-path-api");
        let cases: [(&str, Vec<&[u8]>, bool); 6] = [
            (
                "UTF-8 in another app's cookie",
                vec!["lang=español".as_bytes()],
                true,
            ),
            (
                "non-UTF-8 bytes",
                vec![b"sso=\xff\xfe; lf_cookie_consent=\xff\xfe"],
                true,
            ),
            ("9 KB of other apps' cookies", vec![sso.as_bytes()], true),
            ("a 16 KiB Cookie header", vec![sixteen.as_bytes()], true),
            (
                "a second consent cookie beside the site's",
                vec![sibling.as_bytes()],
                false,
            ),
            (
                "two headers, one with the site's cookie",
                vec![b"lang=fr", decided.as_bytes()],
                false,
            ),
        ];
        for (name, cookies, banner) in cases {
            for path in ["/", "/cookie-notice", "/no-such-page"] {
                let request = page_at(path, &cookies);
                let (response, body) = send(request).await;
                let expected = match path {
                    "/no-such-page" => StatusCode::NOT_FOUND,
                    _ => StatusCode::OK,
                };
                assert_eq!(response.status(), expected, "{name} {path}");
                assert!(
                    set_cookies(&response).is_empty(),
                    "{name}: nothing is written"
                );
                assert_eq!(shows_banner(&body), banner, "{name} {path}");
            }
        }
    })
}

/// Withdrawal still saves when a sibling app's consent cookie rides along.
#[test]
fn a_save_works_beside_another_apps_consent_cookie() {
    run(async {
        let cookies = format!(
            "{}; lf_cookie_consent=app-setting-on-path-api",
            signed_cookie(true)
        );
        let (response, _) = send(
            post_consent()
                .header(header::ORIGIN, SITE)
                .header(header::COOKIE, cookies)
                .body(Body::from("choice=reject&source=settings"))
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(set_cookies(&response)[0].starts_with("lf_cookie_consent=2.1."));
    })
}

/// Whoever can set a cookie for the site cannot grant consent in a visitor's name.
#[test]
fn a_hand_made_consent_cookie_is_no_decision() {
    run(async {
        let now = leadistry::date::now();
        let forged = [
            format!("lf_cookie_consent=1.1.{now}.0123456789abcdef0123456789abcdef.1.b"),
            format!("lf_cookie_consent=2.1.{now}.0123456789abcdef0123456789abcdef.1.b"),
            format!(
                "lf_cookie_consent=2.1.{now}.0123456789abcdef0123456789abcdef.1.b.{}",
                "A".repeat(43)
            ),
            signed_cookie(false).replacen(".0.b.", ".1.b.", 1),
        ];
        for cookie in &forged {
            let (response, body) = send(page_with_cookies(&[cookie.as_bytes()])).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert!(shows_banner(&body), "{cookie}");
            assert!(!body.contains("clarity-loader"), "{cookie}");
            let mut gpc = page_with_cookies(&[cookie.as_bytes()]);
            gpc.headers_mut()
                .insert("sec-gpc", header::HeaderValue::from_static("1"));
            let (response, body) = send(gpc).await;
            assert!(!shows_banner(&body) && !body.contains("clarity-loader"));
            let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap();
            assert!(!csp.contains("clarity"), "{cookie}: GPC, and no decision");
        }
    })
}

#[test]
fn a_mangled_consent_cookie_is_no_decision_not_an_error() {
    run(async {
        let (response, body) = send(page_with_cookies(&[b"lf_cookie_consent=garbage"])).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(shows_banner(&body));
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
            post_consent()
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
            // The inline sources, by hash (checked against the pages below).
            let between = |from: &str, to: &str| {
                let rest = csp.split(from).nth(1).expect(from);
                rest.split(to).next().unwrap().to_string()
            };
            let scripts = between("script-src 'self'", " 'wasm-unsafe-eval'");
            let styles = between("style-src 'self'", ";");
            assert!(scripts.starts_with(" 'sha256-"), "{path}: {csp}");
            // (Inline when the build's stylesheet is there; linked otherwise.)
            assert!(
                styles.is_empty() || styles.starts_with(" 'sha256-"),
                "{path}: {csp}"
            );
            // Undecided, with Clarity configured: its hosts are allowed, so that Accept can
            // load it without a reload; nothing else is.
            let clarity = " https://*.clarity.ms https://c.bing.com";
            let expected = format!(
                "default-src 'self'; \
                 script-src 'self'{scripts} 'wasm-unsafe-eval' https://www.clarity.ms https://scripts.clarity.ms; \
                 connect-src 'self'{clarity}; img-src 'self' data:{clarity}; \
                 style-src 'self'{styles}; object-src 'none'; frame-ancestors 'none'; \
                 base-uri 'none'; form-action 'self'"
            );
            assert_eq!(directives(csp), directives(&expected), "{path}");
            assert_eq!(
                h["permissions-policy"],
                "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
                "{path}"
            );
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
            assert_eq!(
                h[header::REFERRER_POLICY],
                "strict-origin-when-cross-origin",
                "{path}"
            );
            assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
            assert!(
                !h.contains_key(header::STRICT_TRANSPORT_SECURITY),
                "{path}: plain http"
            );
        }
    })
}

/// A policy's directives, each with its sources, in order.
fn directives(csp: &str) -> Vec<(String, Vec<String>)> {
    let mut directives: Vec<(String, Vec<String>)> = csp
        .split(';')
        .map(str::split_whitespace)
        .filter_map(|mut parts| {
            let name = parts.next()?.to_string();
            Some((name, parts.map(str::to_string).collect()))
        })
        .collect();
    directives.sort();
    directives
}

#[test]
fn the_policy_names_each_inline_script_and_style_of_every_page_by_hash_and_no_nonce() {
    use base64::Engine;
    use sha2::Digest;
    let undecided: Vec<String> = vec![];
    let gpc = |mut request: Request<Body>| {
        let signal = header::HeaderValue::from_static("1");
        request.headers_mut().insert("sec-gpc", signal);
        request
    };
    run(async {
        let pages = common::EVERY_PAGE.into_iter();
        for (path, cookies, signal) in pages.flat_map(|path| {
            [
                (path, undecided.clone(), false),
                (path, vec![signed_cookie(true)], false),
                (path, vec![signed_cookie(false)], false),
                (path, undecided.clone(), true),
            ]
        }) {
            let cookies: Vec<&[u8]> = cookies.iter().map(|c| c.as_bytes()).collect();
            let request = page_at(path, &cookies);
            let request = if signal { gpc(request) } else { request };
            let (response, body) = send(request).await;
            let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string();
            assert!(
                !csp.contains("nonce") && !csp.contains("unsafe-inline"),
                "{csp}"
            );
            let mut inline = 0;
            for tag in ["script", "style"] {
                for element in body.split(&format!("<{tag}")).skip(1) {
                    let (attributes, rest) = element.split_once('>').unwrap();
                    if attributes.contains(" src=") {
                        continue;
                    }
                    assert!(!attributes.contains("nonce=\"") || attributes.contains("nonce=\"\""));
                    let text = rest.split(&format!("</{tag}>")).next().unwrap();
                    let hash = base64::engine::general_purpose::STANDARD
                        .encode(sha2::Sha256::digest(text.as_bytes()));
                    let directive = csp
                        .split(';')
                        .find(|d| d.trim().starts_with(&format!("{tag}-src ")))
                        .unwrap();
                    assert!(
                        directive.contains(&format!("'sha256-{hash}'")),
                        "{path}: {tag} {:.40} not in {directive}",
                        text
                    );
                    inline += 1;
                }
            }
            assert!(
                inline >= 3,
                "{path}: the loader, Leptos's two scripts (and the stylesheet)"
            );
        }
    })
}

#[test]
fn clarity_hosts_are_in_the_policy_only_for_visitors_who_did_not_refuse() {
    run(async {
        let refused = signed_cookie(false);
        let granted = signed_cookie(true);
        let csp = |r: &Response<Body>| {
            r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string()
        };
        let (response, body) = send(page_with_cookies(&[refused.as_bytes()])).await;
        assert!(!csp(&response).contains("clarity"));
        assert!(!body.contains("clarity.ms"));
        let (response, body) = send(page_with_cookies(&[granted.as_bytes()])).await;
        assert!(csp(&response).contains("https://www.clarity.ms"));
        assert!(body.contains("id=\"clarity-loader\""));
        let undecided = send(page_with_cookies(&[])).await.0;
        assert!(csp(&undecided).contains("https://www.clarity.ms"));
        let mut gpc = page_with_cookies(&[]);
        gpc.headers_mut()
            .insert("sec-gpc", header::HeaderValue::from_static("1"));
        let (response, _) = send(gpc).await;
        assert!(!csp(&response).contains("clarity"), "GPC is a refusal");
    })
}

#[test]
fn withdrawal_expires_clarity_cookies_on_host_and_parent_domain_and_keeps_the_session() {
    run(async {
        let form = "choice=reject&source=settings";
        let (response, _) = send(
            post_consent()
                .header(header::ORIGIN, SITE)
                .header(header::COOKIE, "lf_token=session-1; _clck=a; _clsk=b")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
        let cookies = set_cookies(&response);
        let expired: Vec<(String, Option<String>)> = cookies
            .iter()
            .map(|c| cookie::Cookie::parse(c.as_str()).unwrap())
            .filter(|c| c.max_age() == Some(cookie::time::Duration::ZERO))
            .inspect(|c| assert_eq!(c.path(), Some("/"), "{c}"))
            .map(|c| (c.name().to_string(), c.domain().map(str::to_string)))
            .collect();
        for expected in [
            ("_clck", None),
            ("_clsk", None),
            ("_clck", Some("leadistry.com")),
            ("_clsk", Some("leadistry.com")),
        ] {
            let expected = (expected.0.to_string(), expected.1.map(str::to_string));
            assert!(
                expired.contains(&expected),
                "{expected:?} expired in {cookies:?}"
            );
        }
        assert!(cookies.iter().all(|c| !c.starts_with("lf_token")));
    })
}

fn decision_id(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).expect("json");
    value["id"].as_str().expect("id").to_string()
}

/// 1,000 decisions at once: 1,000 receipts, each id once.
async fn thousand_concurrent_decisions(app: Router, log: Store) {
    let since = leadistry::date::now() as i64 - 1;
    let requests = (0..1000).map(|i| {
        let app = app.clone();
        let form = if i % 2 == 0 {
            ACCEPT
        } else {
            "choice=reject&source=settings"
        };
        tokio::spawn(async move {
            let request = post_consent()
                .header(header::ORIGIN, SITE)
                .body(Body::from(form))
                .unwrap();
            let (response, body) = send_to(app, request).await;
            assert_eq!(response.status(), StatusCode::OK, "{body}");
            decision_id(&body)
        })
    });
    let mut ids = Vec::new();
    for request in requests {
        ids.push(request.await.unwrap());
    }
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 1000, "ids are unique");
    let receipts = log.export(since, i64::MAX).await.unwrap();
    let logged: std::collections::HashSet<&String> =
        receipts.iter().map(|r| &r.consent_id).collect();
    assert!(
        ids.iter().all(|id| logged.contains(id)),
        "every decision has its receipt"
    );
    let ours: Vec<_> = receipts
        .iter()
        .filter(|r| unique.contains(&r.consent_id))
        .collect();
    assert_eq!(ours.len(), 1000);
    for receipt in ours {
        assert!(["banner", "settings"].contains(&receipt.method.as_str()));
        assert!(receipt.choices.contains("\"essential\":\"granted\""));
        assert_eq!(receipt.policy_revision, 1);
        assert_eq!(receipt.policy_fingerprint.len(), 64);
    }
}

#[test]
fn a_thousand_concurrent_decisions_make_a_thousand_receipts_on_sqlite() {
    run(thousand_concurrent_decisions(
        APPS.sqlite.clone(),
        APPS.sqlite_log.clone(),
    ))
}

#[test]
fn a_thousand_concurrent_decisions_make_a_thousand_receipts_on_postgres() {
    if common::postgres_url().is_none() {
        return;
    }
    let (app, log) = APPS.postgres.clone().expect("TEST_DATABASE_URL is set");
    run(thousand_concurrent_decisions(app, log))
}

#[test]
fn when_the_log_cannot_be_written_nothing_is_saved_and_the_visitor_is_told() {
    run(async {
        let request = post_consent()
            .header(header::ORIGIN, SITE)
            .body(Body::from(ACCEPT))
            .unwrap();
        let (response, body) = send_to(APPS.broken.clone(), request).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(set_cookies(&response).is_empty());
        assert!(body.contains("nothing was saved"), "{body}");
    })
}

#[test]
fn a_missing_document_is_a_404_page_inside_the_layout() {
    run(async {
        let request = Request::get("/privacy")
            .header(header::HOST, HOST)
            .body(Body::empty())
            .unwrap();
        let (response, body) = send_to(APPS.broken.clone(), request).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(body.contains("Document unavailable"), "{body}");
        assert!(
            body.contains("Cookie Settings"),
            "the footer is there: {body}"
        );
    })
}

async fn export_and_prune(log: Store) {
    let base = 1_000_000_000 + i64::from(std::process::id()) * 10;
    for (i, at) in [base, base + 1, base + 2].into_iter().enumerate() {
        let receipt = leadistry::receipts::Receipt {
            consent_id: format!("00000000-0000-4000-8000-{:012}", base + i as i64),
            decided_at: at,
            policy_revision: 1,
            policy_fingerprint: "f".repeat(64),
            replaces: String::new(),
            choices: "{}".into(),
            method: "form".into(),
        };
        log.append(&receipt).await.unwrap();
        assert!(
            log.append(&receipt).await.is_err(),
            "an id is recorded once"
        );
    }
    let middle = log.export(base + 1, base + 2).await.unwrap();
    assert_eq!(middle.len(), 1);
    assert_eq!(middle[0].decided_at, base + 1);
    assert!(log.prune(base + 1).await.unwrap() >= 1);
    let left = log.export(base, base + 3).await.unwrap();
    assert_eq!(
        left.iter().map(|r| r.decided_at).collect::<Vec<_>>(),
        [base + 1, base + 2]
    );
}

#[test]
fn receipts_export_by_time_and_prune_on_sqlite() {
    run(export_and_prune(APPS.sqlite_log.clone()))
}

#[test]
fn receipts_export_by_time_and_prune_on_postgres() {
    let Some((_, log)) = APPS.postgres.clone() else {
        return;
    };
    run(export_and_prune(log))
}

/// R3 as the server renders it: the analytics switches (the dialog's and the settings page's)
/// are ticked only for a visitor who granted analytics.
#[test]
fn no_box_is_ticked_in_the_server_html_unless_analytics_was_granted() {
    run(async {
        let switch = |html: &str, id: &str| -> String {
            let start = html.find(&format!("id=\"{id}\"")).expect(id);
            let open = html[..start].rfind("<input").unwrap();
            let end = start + html[start..].find('>').unwrap();
            html[open..end].to_string()
        };
        let granted = signed_cookie(true);
        let refused = signed_cookie(false);
        for (name, cookie, ticked) in [
            ("undecided", None, false),
            ("refused", Some(refused.as_bytes()), false),
            ("granted", Some(granted.as_bytes()), true),
        ] {
            let request = page_at("/cookie-settings", cookie.as_slice());
            let (_, html) = send(request).await;
            for id in ["page-analytics", "dialog-analytics"] {
                let tag = switch(&html, id);
                assert_eq!(tag.contains(" checked"), ticked, "{name}: {tag}");
            }
            let essential = switch(&html, "page-essential");
            assert!(essential.contains(" checked") && essential.contains(" disabled"));
        }
    })
}
