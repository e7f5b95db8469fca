//! Microsoft Clarity, present only while the visitor's consent says analytics is granted.

use crate::consent::context::use_consent;
use leptos::prelude::*;

/// Microsoft's standard loader, then the consent signal. The id is validated at start-up
/// (lowercase letters and digits), so it can be placed in the script as is.
fn loader(project_id: &str) -> String {
    format!(
        "(function(c,l,a,r,i,t,y){{c[a]=c[a]||function(){{(c[a].q=c[a].q||[]).push(arguments)}};\
         t=l.createElement(r);t.async=1;t.src='https://www.clarity.ms/tag/'+i;\
         y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y)}})\
         (window,document,'clarity','script','{project_id}');\
         window.clarity('consentv2',{{ad_Storage:'denied',analytics_Storage:'granted'}});"
    )
}

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
        project.get().map(|id| {
            view! {
                <script id="clarity-loader" nonce=page_nonce()>
                    {loader(&id)}
                </script>
            }
        })
    }
}

/// The CSP nonce of this page: from the request on the server; in the browser, from the
/// nonced hydration script, so a loader inserted after Accept runs under the same policy.
fn page_nonce() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        leptos::nonce::use_nonce().map(|nonce| nonce.to_string())
    }
    #[cfg(not(feature = "ssr"))]
    {
        use leptos::wasm_bindgen::JsCast;
        document()
            .query_selector("script[nonce]")
            .ok()
            .flatten()
            .and_then(|script| script.dyn_into::<web_sys::HtmlElement>().ok())
            .map(|script| script.nonce())
            .filter(|nonce| !nonce.is_empty())
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
    fn the_loader_is_microsofts_snippet_with_the_consent_signal() {
        let js = loader("abcd1234");
        assert!(js.contains("'https://www.clarity.ms/tag/'+i"));
        assert!(js.contains("'abcd1234'"));
        assert!(js.contains("t.async=1"));
        assert!(js.contains("consentv2"));
        assert!(js.contains("analytics_Storage:'granted'"));
        // Inline script text must survive HTML escaping untouched.
        assert!(!js.contains(['<', '>', '&']));
    }

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
