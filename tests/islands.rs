//! The island loader (`src/islands.js`) against the Leptos it copies: the versions it names
//! are the ones Cargo.lock builds, and pages mark their islands the way its walk reads them.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Request},
    Router,
};
use common::{block_on, build_app, content, send_to, settings, signed_cookie, sqlite_log, HOST};

const LOADER: &str = include_str!("../src/islands.js");
const LOCK: &str = include_str!("../Cargo.lock");
const UPSTREAM: &str = "leptos-rs/leptos leptos/src/hydration/island_script.js (the walk) and \
    tachys/src/html/islands.rs (the markup)";

/// The version of `name` Cargo.lock builds.
fn locked(name: &str) -> &'static str {
    let entry = format!("name = \"{name}\"\nversion = \"");
    let at = LOCK
        .find(&entry)
        .unwrap_or_else(|| panic!("{name} in Cargo.lock"))
        + entry.len();
    LOCK[at..].split('"').next().unwrap()
}

/// Every version of `name` the loader's opening comment names ("leptos 0.8.23", any case).
fn named(name: &str) -> Vec<String> {
    let comment: String = LOADER
        .lines()
        .take_while(|line| line.starts_with("//"))
        .map(|line| line.trim_start_matches('/').to_lowercase() + " ")
        .collect();
    comment
        .match_indices(&format!("{name} "))
        .map(|(at, found)| &comment[at + found.len()..])
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .map(|rest| {
            rest.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()
                .unwrap()
                .trim_end_matches('.')
                .to_string()
        })
        .collect()
}

#[test]
fn the_island_loader_names_the_leptos_cargo_lock_builds() {
    for name in ["leptos", "tachys"] {
        let locked = locked(name);
        let named = named(name);
        assert!(
            !named.is_empty(),
            "src/islands.js names no {name} version in its opening comment"
        );
        for version in named {
            assert_eq!(
                version, locked,
                "Cargo.lock builds {name} {locked}, src/islands.js follows {name} {version}: \
                 re-check its island walk against {UPSTREAM} at {name} {locked}, then name \
                 {locked} in its opening comment"
            );
        }
    }
}

/// A `<leptos-island>` or `<leptos-children>` in a page, with those inside it.
#[derive(Debug)]
struct Element {
    /// The island's `data-component` without its hash (`ConsentRoot`), or `children`.
    name: String,
    /// Where its opening tag ends and its closing tag starts.
    inner: std::ops::Range<usize>,
    inside: Vec<Element>,
}

/// The islands and children of a page, as a tree (in the order the loader walks them).
fn islands(html: &str) -> Vec<Element> {
    let mut stack: Vec<Element> = vec![Element {
        name: "page".into(),
        inner: 0..html.len(),
        inside: vec![],
    }];
    let mut at = 0;
    while let Some(found) = html[at..].find("leptos-") {
        let start = at + found;
        at = start + 1;
        let Some(tag_start) = html[..start].rfind('<').filter(|t| start - t <= 2) else {
            continue;
        };
        let tag_end = start + html[start..].find('>').unwrap() + 1;
        let tag = &html[tag_start..tag_end];
        if tag.starts_with("</leptos-island>") || tag.starts_with("</leptos-children>") {
            let mut element = stack.pop().unwrap();
            element.inner.end = tag_start;
            let closes = if element.name == "children" {
                "children"
            } else {
                "island"
            };
            assert!(tag.contains(closes), "{tag} closes {}", element.name);
            stack.last_mut().unwrap().inside.push(element);
        } else if tag.starts_with("<leptos-island ") || tag == "<leptos-island>" {
            let component = tag
                .split("data-component=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("{tag} names no component for the loader"));
            // Leptos exports an island's function as its name and a hash.
            let name = component
                .rsplit_once('_')
                .filter(|(_, hash)| hash.bytes().all(|b| b.is_ascii_digit()))
                .map_or(component, |(name, _)| name);
            stack.push(Element {
                name: name.into(),
                inner: tag_end..tag_end,
                inside: vec![],
            });
        } else if tag == "<leptos-children>" {
            stack.push(Element {
                name: "children".into(),
                inner: tag_end..tag_end,
                inside: vec![],
            });
        }
        at = tag_end;
    }
    let page = stack.pop().unwrap();
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    page.inside
}

fn names(elements: &[Element]) -> Vec<&str> {
    elements.iter().map(|e| e.name.as_str()).collect()
}

async fn page(app: &Router, path: &str, cookie: Option<&str>) -> String {
    let mut request = Request::get(path)
        .header(header::HOST, HOST)
        .header(header::ACCEPT_ENCODING, "identity")
        .header("sec-gpc", "1");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send_to(app.clone(), request.body(Body::empty()).unwrap())
        .await
        .1
}

#[test]
fn nested_islands_are_marked_as_the_loader_walks_them() {
    block_on(async {
        let app = build_app(sqlite_log("islands").await, settings(content()));
        let decided = signed_cookie(true);
        for (path, cookie, inner) in [
            ("/", None, vec!["GpcNotice", "CookieSettingsLink"]),
            (
                "/cookie-settings",
                None,
                vec!["SettingsPanel", "GpcNotice", "CookieSettingsLink"],
            ),
            (
                "/cookie-settings",
                Some(decided.as_str()),
                vec!["SettingsPanel", "GpcNotice", "CookieSettingsLink"],
            ),
        ] {
            let html = page(&app, path, cookie).await;
            let case = format!("{path}, decided: {}", cookie.is_some());
            // One island holds the page: the others need the consent context it provides.
            let top = islands(&html);
            assert_eq!(names(&top), ["ConsentRoot"], "{case}");
            // Its server-rendered part is one <leptos-children>: the hook the loader calls
            // before each island in it.
            let root = &top[0];
            assert_eq!(names(&root.inside), ["children"], "{case}");
            let nested = &root.inside[0].inside;
            assert_eq!(names(nested), inner, "{case}");
            // An island inside another's own view is part of that one, not marked: the
            // loader would hydrate it twice.
            for island in nested {
                assert!(island.inside.is_empty(), "{case}: {island:?}");
            }
            if cookie.is_none() && path == "/cookie-settings" {
                let panel = &nested[0];
                assert!(
                    html[panel.inner.clone()].contains("gpc-notice"),
                    "{case}: the panel's own GPC notice, hydrated with the panel"
                );
            }
        }
    });
}
