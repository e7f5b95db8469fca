//! The render cache: pages of visitors with no decision in force are kept and served from
//! memory, a decided visitor's page is filled from the template of their choice; nothing of
//! one visitor reaches another.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Request},
    Router,
};
use common::{
    block_on, build_app, content, post_consent, send_to, set_cookies, settings, shows_banner,
    signed_cookie_at, sqlite_log, HOST, SITE,
};

fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(path).header(header::HOST, HOST);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

/// A copy of the documents in a folder of its own, to change one between two requests.
fn copied_documents(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("leadistry-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for slug in ["privacy", "terms", "acceptable-use"] {
        let file = format!("{slug}.md");
        std::fs::copy(content().join(&file), dir.join(&file)).unwrap();
    }
    dir
}

/// A decision saved through the site: its cookie (`name=value`) and its id as pages show it.
async fn decide(app: &Router, choice: &str) -> (String, String) {
    let request = post_consent()
        .header(header::ORIGIN, SITE)
        .header(header::ACCEPT, "application/json")
        .body(Body::from(format!("choice={choice}&source=banner")))
        .unwrap();
    let (response, body) = send_to(app.clone(), request).await;
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("lf_cookie_consent="))
        .expect("a consent cookie");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    (cookie, answer["id"].as_str().unwrap().to_string())
}

#[test]
fn interleaved_visitors_each_get_only_their_own_page() {
    block_on(async {
        let app = build_app(sqlite_log("render-cache").await, settings(content()));
        let (alice, alice_id) = decide(&app, "accept").await;
        let (bob, bob_id) = decide(&app, "reject").await;
        let mut undecided_pages = Vec::new();
        for round in 0..3 {
            for who in ["undecided", "alice", "bob"] {
                let cookie = match who {
                    "alice" => alice.as_str(),
                    "bob" => bob.as_str(),
                    _ => "",
                };
                let mut headers = vec![("accept-encoding", "identity")];
                if !cookie.is_empty() {
                    headers.push(("cookie", cookie));
                }
                let (response, html) = send_to(app.clone(), get("/", &headers)).await;
                assert_eq!(response.status(), 200, "{who}, round {round}");
                let (own, other) = match who {
                    "alice" => (Some(&alice_id), Some(&bob_id)),
                    "bob" => (Some(&bob_id), Some(&alice_id)),
                    _ => (None, None),
                };
                if let Some(own) = own {
                    assert!(html.contains(own.as_str()), "{who} sees their own id");
                    assert!(!shows_banner(&html), "{who} is not asked");
                }
                if let Some(other) = other {
                    assert!(!html.contains(other.as_str()), "{who} sees another's id");
                }
                if who == "undecided" {
                    assert!(!html.contains(&alice_id) && !html.contains(&bob_id));
                    assert!(shows_banner(&html));
                    undecided_pages.push(html);
                }
            }
        }
        assert!(
            undecided_pages.windows(2).all(|w| w[0] == w[1]),
            "an undecided visitor's page is the same page each time"
        );
    });
}

#[test]
fn each_class_and_encoding_has_its_own_page_and_a_decided_visitor_is_rendered_afresh() {
    block_on(async {
        let dir = copied_documents("cache");
        let app = build_app(
            sqlite_log("render-cache-classes").await,
            settings(dir.clone()),
        );
        let identity = [("accept-encoding", "identity")];
        let (_, first) = send_to(app.clone(), get("/privacy", &identity)).await;
        // Brotli: kept apart, and compressed.
        let (brotli, _) = send_to(app.clone(), get("/privacy", &[("accept-encoding", "br")])).await;
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");

        std::fs::write(
            dir.join("privacy.md"),
            "# Privacy Notice\n\nChanged while kept.\n",
        )
        .unwrap();
        let (_, again) = send_to(app.clone(), get("/privacy", &identity)).await;
        assert_eq!(first, again, "served from memory (for up to 60 s)");
        assert!(!again.contains("Changed while kept."));

        // Another class of visitor with no decision: the browser's privacy signal.
        let (_, gpc) = send_to(
            app.clone(),
            get(
                "/privacy",
                &[("accept-encoding", "identity"), ("sec-gpc", "1")],
            ),
        )
        .await;
        assert!(!shows_banner(&gpc), "GPC is not asked");
        assert!(gpc.contains("data-consent-gpc"));
        assert!(
            gpc.contains("Changed while kept."),
            "rendered for its class"
        );

        // Asked again after a policy change: the banner says why.
        let old = signed_cookie_at(0, true);
        let (_, changed) = send_to(
            app.clone(),
            get(
                "/privacy",
                &[("accept-encoding", "identity"), ("cookie", &old)],
            ),
        )
        .await;
        assert!(shows_banner(&changed) && changed.contains("policy-changed"));

        // A decided visitor's page is rendered for the first of their choice on a path.
        let decided = signed_cookie_at(1, false);
        let (_, fresh) = send_to(
            app.clone(),
            get(
                "/privacy",
                &[("accept-encoding", "identity"), ("cookie", &decided)],
            ),
        )
        .await;
        assert!(fresh.contains("Changed while kept."));
        let _ = std::fs::remove_dir_all(&dir);
    });
}

#[test]
fn with_no_memory_for_pages_every_page_is_rendered() {
    block_on(async {
        let dir = copied_documents("nocache");
        let mut site = settings(dir.clone());
        site.page_cache_kib = 0;
        let app = build_app(sqlite_log("render-cache-off").await, site);
        let identity = [("accept-encoding", "identity")];
        send_to(app.clone(), get("/terms", &identity)).await;
        std::fs::write(dir.join("terms.md"), "# Terms of Service\n\nNew terms.\n").unwrap();
        let (_, html) = send_to(app.clone(), get("/terms", &identity)).await;
        assert!(html.contains("New terms."));
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// A page's body in the encoding its response names.
fn decoded(response: &axum::http::Response<Body>, body: &[u8]) -> String {
    use std::io::Read;
    let mut page = Vec::new();
    match response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap())
    {
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut page)
                .unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut page)
                .unwrap();
        }
        None => page = body.to_vec(),
        Some(other) => panic!("unexpected encoding {other}"),
    }
    String::from_utf8(page).unwrap()
}

async fn fetch(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    use tower::ServiceExt;
    let response = app.clone().oneshot(get(path, headers)).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let response = axum::http::Response::from_parts(parts, Body::empty());
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_string());
    (
        response.status().as_u16(),
        encoding,
        decoded(&response, &body),
    )
}

#[test]
fn each_visitor_gets_the_encoding_their_header_allows_and_one_that_allows_none_a_plain_page() {
    block_on(async {
        let app = build_app(
            sqlite_log("render-cache-encodings").await,
            settings(content()),
        );
        let (decided, _) = decide(&app, "accept").await;
        for cookie in ["", decided.as_str()] {
            for (accept, expected) in [
                (Some("br;q=0, *"), Some("gzip")),
                (Some("gzip;q=0, *"), Some("br")),
                (Some("gzip;q=0.5, identity"), None),
                (Some("identity;q=0"), None),
                (Some("*;q=0"), None),
                (Some(""), None),
                (None, None),
            ] {
                let mut headers = Vec::new();
                if let Some(accept) = accept {
                    headers.push(("accept-encoding", accept));
                }
                if !cookie.is_empty() {
                    headers.push(("cookie", cookie));
                }
                // Twice: as rendered, then as kept.
                for round in 0..2 {
                    let (status, encoding, page) = fetch(&app, "/", &headers).await;
                    let case =
                        format!("{accept:?}, decided: {}, round {round}", !cookie.is_empty());
                    assert_eq!(status, 200, "{case}");
                    assert_eq!(encoding.as_deref(), expected, "{case}");
                    assert!(page.contains("</body></html>"), "{case}");
                }
            }
        }
    });
}

#[test]
fn decided_visitors_get_the_template_of_their_choice_filled_with_their_own_texts() {
    block_on(async {
        let dir = copied_documents("template");
        let app = build_app(
            sqlite_log("render-cache-template").await,
            settings(dir.clone()),
        );
        let (alice, alice_id) = decide(&app, "reject").await;
        let (bob, bob_id) = decide(&app, "reject").await;
        let (carol, carol_id) = decide(&app, "accept").await;
        let browser = "gzip, deflate, br, zstd";
        let (status, encoding, first) = fetch(
            &app,
            "/terms",
            &[("accept-encoding", browser), ("cookie", &alice)],
        )
        .await;
        assert_eq!((status, encoding.as_deref()), (200, Some("gzip")));
        assert!(first.contains(&alice_id));
        std::fs::write(dir.join("terms.md"), "# Terms of Service\n\nNew terms.\n").unwrap();
        for encoding in [browser, "br", "identity"] {
            let (_, _, page) = fetch(
                &app,
                "/terms",
                &[("accept-encoding", encoding), ("cookie", &bob)],
            )
            .await;
            assert!(
                !page.contains("New terms."),
                "from alice's choice's template"
            );
            assert!(
                page.contains(&bob_id) && !page.contains(&alice_id),
                "{encoding}"
            );
            assert!(
                page.contains(&bob_id.replace('-', "")),
                "bob's own decision, on <body> for the islands"
            );
            assert!(page.contains("<strong>refused</strong>"));
            assert_eq!(
                page.replace(&bob_id, &alice_id).len(),
                first.len(),
                "the same page but for bob's own texts"
            );
            assert!(!page.contains('\u{1}'), "no hole left");
        }
        // Another choice has its own template.
        let (_, _, page) = fetch(
            &app,
            "/terms",
            &[("accept-encoding", browser), ("cookie", &carol)],
        )
        .await;
        assert!(page.contains("New terms.") && page.contains(&carol_id));
        assert!(page.contains("<strong>allowed</strong>"));
        // A page that is not kept is filled too.
        let (status, _, missing) = fetch(
            &app,
            "/no-such-page",
            &[("accept-encoding", browser), ("cookie", &carol)],
        )
        .await;
        assert_eq!(status, 404);
        assert!(!missing.contains('\u{1}') && missing.contains("data-consent-decision"));
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Two decided visitors of each choice, with their own ids, days and methods (and their own
/// browsers), and two undecided ones, ask for every page at once, in every encoding: each
/// answer, decoded, is the page of its path and class byte for byte once a decided visitor's
/// own texts are taken out (`Personal`), and none carries anything of another visitor (their
/// texts, their cookie's signature, their browser's headers). A view that showed anything else
/// of a visitor (the decision's method or time, a header) fails here.
#[test]
fn concurrent_visitors_of_one_class_share_every_byte_but_their_own_texts() {
    use futures_util::StreamExt;
    use leadistry::consent::{
        decision::{ConsentId, Decision, Method},
        personal::Personal,
    };
    use std::collections::HashMap;
    use std::io::Read;

    struct Visitor {
        decision: Option<Decision>,
        cookie: String,
        agent: &'static str,
        language: &'static str,
    }
    let now = leadistry::date::now();
    let decided = |n: u128, analytics: bool, days_ago: u64, method: Method| {
        let decision = Decision {
            revision: 1,
            decided_at: now - days_ago * 86_400 - 60,
            id: ConsentId(0x5eed_0000_0000_0000_0000_0000_0000_0000 + n),
            analytics,
            method,
        };
        let signed = leadistry::consent::server::cookie::sign(&decision, &common::keys());
        (Some(decision), format!("lf_cookie_consent={signed}"))
    };
    let visitors: Vec<Visitor> = [
        (
            decided(1, true, 2, Method::Banner),
            "Firefox/140.0 (X11; Linux)",
            "fr-FR",
        ),
        (
            decided(2, true, 9, Method::Settings),
            "Safari/605.1 (Macintosh)",
            "en-GB",
        ),
        (
            decided(3, false, 3, Method::Form),
            "Chrome/140.0 (Windows)",
            "de-DE",
        ),
        (decided(4, false, 11, Method::Banner), "curl/8.5.0", "nl-NL"),
        ((None, String::new()), "Edge/140.0 (Windows)", "it-IT"),
        ((None, String::new()), "Opera/120.0 (Linux)", "es-ES"),
    ]
    .into_iter()
    .map(|((decision, cookie), agent, language)| Visitor {
        decision,
        cookie,
        agent,
        language,
    })
    .collect();
    // What of a visitor may appear only in their own answer.
    let own = |visitor: &Visitor| -> Vec<(String, String)> {
        let mut own = vec![
            ("user agent".to_string(), visitor.agent.to_string()),
            ("language".to_string(), visitor.language.to_string()),
        ];
        if let Some(decision) = &visitor.decision {
            for personal in Personal::ALL {
                own.push((format!("{personal:?}"), personal.of(decision)));
            }
            let signature = visitor.cookie.rsplit('.').next().unwrap().to_string();
            own.push(("cookie signature".to_string(), signature));
        }
        own
    };
    let pages = common::EVERY_PAGE.into_iter();
    let encodings = ["gzip", "br", "identity"];
    let mut requests = Vec::new();
    for round in 0.. {
        for path in pages.clone() {
            for v in 0..visitors.len() {
                requests.push((path, v, encodings[(round + v) % encodings.len()]));
            }
        }
        if requests.len() >= 200 {
            break;
        }
    }

    block_on(async {
        let app = build_app(
            sqlite_log("render-cache-concurrent").await,
            settings(content()),
        );
        let visitors = &visitors;
        let answers: Vec<_> = futures_util::stream::iter(requests)
            .map(|(path, v, encoding)| {
                let app = app.clone();
                async move {
                    let visitor = &visitors[v];
                    let mut headers = vec![
                        ("accept-encoding", encoding),
                        ("user-agent", visitor.agent),
                        ("accept-language", visitor.language),
                    ];
                    if !visitor.cookie.is_empty() {
                        headers.push(("cookie", visitor.cookie.as_str()));
                    }
                    let response = tower::ServiceExt::oneshot(app, get(path, &headers))
                        .await
                        .unwrap();
                    let sent = response.headers().get(header::CONTENT_ENCODING).cloned();
                    let body = axum::body::to_bytes(response.into_body(), 1 << 24)
                        .await
                        .unwrap();
                    let mut html = Vec::new();
                    match sent.as_ref().map(|e| e.as_bytes()) {
                        Some(b"gzip") => {
                            let mut decoder = flate2::read::GzDecoder::new(&body[..]);
                            decoder.read_to_end(&mut html).unwrap();
                        }
                        Some(b"br") => {
                            let mut decoder = brotli::Decompressor::new(&body[..], 4096);
                            decoder.read_to_end(&mut html).unwrap();
                        }
                        _ => html = body.to_vec(),
                    }
                    (path, v, encoding, html)
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        assert!(answers.len() >= 200);

        // The first answer of each path and class: the page, whose it was, its encoding.
        type First<'a> = (Vec<u8>, usize, &'a str);
        let mut kept: HashMap<(&str, Option<bool>), First> = HashMap::new();
        for (path, v, encoding, html) in answers {
            let visitor = &visitors[v];
            let mut html = String::from_utf8(html).expect("UTF-8");
            for (w, other) in visitors.iter().enumerate().filter(|(w, _)| *w != v) {
                for (what, text) in own(other) {
                    assert!(
                        !html.contains(&text),
                        "{path} for visitor {v} ({encoding}) carries visitor {w}'s {what}"
                    );
                }
            }
            for (what, text) in own(visitor) {
                html = html.replace(&text, &format!("{{{what}}}"));
            }
            let html = html.into_bytes();
            let class = visitor.decision.as_ref().map(|d| d.analytics);
            match kept.get(&(path, class)) {
                None => {
                    kept.insert((path, class), (html, v, encoding));
                }
                Some((first, w, first_encoding)) => {
                    if let Some(at) = first.iter().zip(&html).position(|(a, b)| a != b) {
                        let around = |page: &[u8]| {
                            let from = at.saturating_sub(60);
                            String::from_utf8_lossy(&page[from..(at + 60).min(page.len())])
                                .into_owned()
                        };
                        panic!(
                            "{path}: visitor {v} ({encoding}) and visitor {w} ({first_encoding}) \
                             differ outside their own texts at byte {at}:\n{}\n---\n{}",
                            around(first),
                            around(&html)
                        );
                    }
                    assert_eq!(first.len(), html.len(), "{path}: visitors {w} and {v}");
                }
            }
        }
        assert_eq!(kept.len(), 21, "every page for each class");
    });
}
