//! Microsoft Clarity, present only while the visitor's consent says analytics is granted.

pub mod loader;

use crate::consent::context::use_consent;
use leptos::prelude::*;
use loader::loader;

/// Renders the Clarity loader while analytics is granted, and nothing otherwise: no
/// placeholder script of any kind. When the visitor withdraws on the page, it stops Clarity.
#[component]
pub fn Clarity() -> impl IntoView {
    let consent = use_consent();
    // A memo, so that saving the same choice again does not insert the loader a second time.
    let project = Memo::new(move |_| consent.current().clarity_to_load());
    #[cfg(feature = "hydrate")]
    Effect::new(move |was_granted: Option<bool>| {
        let granted = consent.current().analytics_granted();
        if was_granted == Some(true) && !granted {
            withdraw();
        }
        granted
    });
    move || {
        project.get().filter(|_| !loaded_early()).map(|id| {
            view! {
                // Named by its hash in the page's policy (`server::headers`).
                <script id="clarity-loader">
                    {loader(&id)}
                </script>
            }
        })
    }
}

/// The island loader ran Clarity's loader itself (`#clarity-early`): the islands must not again.
fn loaded_early() -> bool {
    #[cfg(feature = "hydrate")]
    {
        document().get_element_by_id("clarity-early").is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
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
    // parser would cost the bundle 3 KB to say the same.
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
