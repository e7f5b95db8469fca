//! The Clarity gate: Microsoft Clarity in the page only while the visitor's consent says
//! analytics is granted, and stopped when they withdraw.

use super::context::use_consent;
use crate::analytics::{loader, ELEMENT_ID};
use leptos::prelude::*;

/// The Clarity gate. The server renders the loader in the page of a visitor who granted
/// analytics, and nothing otherwise: no placeholder script of any kind. A grant made on the
/// page runs the loader as soon as the save answers (`Consent::apply` with `analytics::run`),
/// before the page's other updates. When the visitor withdraws on the page, it stops Clarity.
#[component]
pub fn Clarity() -> impl IntoView {
    let consent = use_consent();
    #[cfg(feature = "hydrate")]
    Effect::new(move |was_granted: Option<bool>| {
        let granted = consent.current().analytics_granted();
        if was_granted == Some(true) && !granted {
            withdraw();
        }
        granted
    });
    consent.initial().clarity_to_load().map(|id| {
        view! {
            // Named by its hash in the page's policy (`csp`).
            <script id=ELEMENT_ID>
                {loader(&id)}
            </script>
        }
    })
}

/// Withdrawal in the browser: tell Clarity, delete its cookies wherever it may have written
/// them, and reload so that its script is gone (after a denied signal it keeps running
/// without cookies); the server no longer renders the loader.
#[cfg(feature = "hydrate")]
fn withdraw() {
    use crate::catalog::CLARITY_FIRST_PARTY_COOKIES;
    use wasm_bindgen::{JsCast, JsValue};

    let window = window();
    if let Some(clarity) = js_sys::Reflect::get(&window, &JsValue::from_str("clarity"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let signal = js_sys::Object::new();
        for key in ["ad_Storage", "analytics_Storage"] {
            let _ = js_sys::Reflect::set(&signal, &key.into(), &"denied".into());
        }
        let _ = clarity.call2(&JsValue::NULL, &"consentv2".into(), &signal);
    }
    if let Ok(document) = document().dyn_into::<web_sys::HtmlDocument>() {
        let host = window.location().hostname().unwrap_or_default();
        for domain in cookie_domains(&host) {
            for name in CLARITY_FIRST_PARTY_COOKIES {
                let _ = document.set_cookie(&format!("{name}=; Max-Age=0; Path=/{domain}"));
            }
        }
    }
    let _ = window.location().reload();
}

/// The host itself, then each parent domain (`; Domain=…`); an IP address has no parents.
#[cfg(any(feature = "hydrate", test))]
fn cookie_domains(host: &str) -> Vec<String> {
    let mut domains = vec![String::new()];
    // No top-level domain is numeric, and only IPv6 addresses hold colons: std's address
    // parser would say the same at a cost to the bundle (docs/benchmarks.md, hand-written code).
    let is_ip = host.contains(':') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !is_ip {
        let labels: Vec<&str> = host.split('.').collect();
        for start in 0..labels.len().saturating_sub(1) {
            domains.push(format!("; Domain={}", labels[start..].join(".")));
        }
    }
    domains
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_deleted_on_every_parent_domain() {
        assert_eq!(
            cookie_domains("www.leadistry.com"),
            ["", "; Domain=www.leadistry.com", "; Domain=leadistry.com"]
        );
        assert_eq!(cookie_domains("127.0.0.1"), [""]);
        assert_eq!(cookie_domains("[::1]"), [""]);
        assert_eq!(cookie_domains("::1"), [""]);
        assert_eq!(cookie_domains("localhost"), [""]);
    }
}
