//! Every text a visitor reads in the consent controls comes from the wording module or the
//! cookie catalog, which the policy fingerprint hashes: a label edited anywhere else fails here.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Request},
    Router,
};
use common::{block_on, build_app, content, send_to, settings, sqlite_log, HOST};
use leadistry::{catalog::CATALOG, wording::WORDING};
use std::collections::BTreeSet;

/// Revision 2, so that a decision on revision 1 shows "the policy changed".
fn app() -> Router {
    block_on(async {
        let mut site = settings(content());
        site.policy_revision = 2;
        build_app(sqlite_log("wording").await, site)
    })
}

fn page(app: &Router, path: &str, headers: &[(&str, String)]) -> String {
    let mut request = Request::get(path).header(header::HOST, HOST);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    block_on(send_to(app.clone(), request.body(Body::empty()).unwrap())).1
}

fn decided(revision: u32) -> (&'static str, String) {
    ("cookie", common::signed_cookie_at(revision, false))
}

/// The outer HTML of each `tag` element whose opening tag holds `marker`.
fn elements<'a>(html: &'a str, tag: &str, marker: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find(marker).map(|i| i + from) {
        let start = html[..at].rfind(&open).expect("inside a tag");
        let end = html[at..].find(&close).expect("closed") + at + close.len();
        found.push(&html[start..end]);
        from = end;
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text nodes of a fragment, and the values of its `aria-label`s: what is read out.
fn texts(fragment: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let mut rest = fragment;
    while let Some(open) = rest.find('<') {
        texts.push(unescape(&rest[..open]));
        let close = rest[open..].find('>').expect("tag closes") + open;
        let tag = &rest[open..close];
        if let Some(at) = tag.find("aria-label=\"") {
            let value = &tag[at + 12..];
            texts.push(unescape(&value[..value.find('"').unwrap()]));
        }
        rest = &rest[close + 1..];
    }
    texts.push(unescape(rest));
    texts
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .collect()
}

fn allowed() -> BTreeSet<String> {
    fn strings(value: &serde_json::Value, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::String(s) => {
                out.insert(s.trim().to_string());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(fields) => fields.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut allowed = BTreeSet::new();
    strings(&serde_json::to_value(&WORDING).unwrap(), &mut allowed);
    for category in CATALOG {
        allowed.extend([category.name, category.purpose, category.examples].map(String::from));
    }
    allowed
}

/// A date or a decision id: the values of the visitor's own decision.
fn is_value(text: &str) -> bool {
    let shape = |text: &str, groups: &[usize]| {
        let parts: Vec<&str> = text.split('-').collect();
        parts.len() == groups.len()
            && parts
                .iter()
                .zip(groups)
                .all(|(p, n)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    shape(text, &[4, 2, 2]) || shape(text, &[8, 4, 4, 4, 12])
}

#[test]
fn every_text_of_the_consent_controls_comes_from_the_wording_or_the_catalog() {
    let app = app();
    let allowed = allowed();
    let views = [
        ("undecided /", page(&app, "/", &[])),
        ("policy changed /", page(&app, "/", &[decided(1)])),
        (
            "decided /cookie-settings",
            page(&app, "/cookie-settings", &[decided(2)]),
        ),
        (
            "undecided /cookie-settings",
            page(&app, "/cookie-settings", &[]),
        ),
        (
            "GPC /cookie-settings",
            page(&app, "/cookie-settings", &[("sec-gpc", "1".into())]),
        ),
    ];
    let mut seen = BTreeSet::new();
    for (view, html) in &views {
        let mut fragments = elements(html, "section", "class=\"cookie-banner\"");
        fragments.extend(elements(html, "dialog", "class=\"preferences-dialog\""));
        fragments.extend(elements(html, "a", "class=\"cookie-settings-link\""));
        fragments.extend(elements(html, "p", "class=\"gpc-notice\""));
        if view.contains("/cookie-settings") {
            fragments.extend(elements(html, "main", "id=\"main\""));
        }
        assert!(fragments.len() >= 2, "{view}: {html}");
        for text in fragments.iter().flat_map(|f| texts(f)) {
            assert!(
                allowed.contains(&text) || is_value(&text),
                "{view}: {text:?} is shown but is not in the wording or the catalog"
            );
            seen.insert(text);
        }
    }
    // The views above show every control: the banner, the changed-policy line, the dialog
    // with the decision line, the settings page in each state, the GPC notice.
    for expected in [
        WORDING.banner.title,
        WORDING.banner.policy_changed,
        WORDING.banner.accept,
        WORDING.preferences.title,
        WORDING.preferences.close,
        WORDING.decision.current_choice,
        WORDING.decision.utc_and_id,
        WORDING.settings_page.intro,
        WORDING.settings_page.no_choice_yet,
        WORDING.cookie_settings,
        WORDING.read_notice,
        WORDING.gpc_honoured,
    ] {
        assert!(seen.contains(expected), "{expected:?} was never shown");
    }
}

#[test]
fn the_text_extraction_sees_a_label_written_into_a_view() {
    let html = r#"<section class="cookie-banner"><h2>Cookies on Leadistry</h2><button aria-label="Shut">x</button><!>Accept!</section>"#;
    let allowed = allowed();
    let unknown: Vec<String> = texts(html)
        .into_iter()
        .filter(|t| !allowed.contains(t))
        .collect();
    assert_eq!(unknown, ["Shut", "x", "Accept!"]);
}
