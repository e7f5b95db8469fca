//! Microsoft Clarity's loader text, as the Clarity gate renders it and as a save's answer
//! carries it to the island loader (`src/islands.js`) for a decision made before the islands
//! were ready. A leaf: the gate, the save and the page's policy all name it.

/// Microsoft's standard loader, then the consent signal. The id is validated at start-up
/// (lowercase letters and digits), so it can be placed in the script as is.
pub fn loader(project_id: &str) -> String {
    format!(
        "(function(c,l,a,r,i,t,y){{c[a]=c[a]||function(){{(c[a].q=c[a].q||[]).push(arguments)}};\
         t=l.createElement(r);t.async=1;t.src='https://www.clarity.ms/tag/'+i;\
         y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y)}})\
         (window,document,'clarity','script','{project_id}');\
         window.clarity('consentv2',{{ad_Storage:'denied',analytics_Storage:'granted'}});"
    )
}

/// The loader's element in a page: rendered by the gate for a visitor who granted analytics,
/// or inserted by `run` for a grant made on the page. (The island loader's own, for a save
/// made before the islands were ready, is `#clarity-early`: no page may name this one
/// before consent, `end2end/tests/consent.spec.ts` R1.)
pub const ELEMENT_ID: &str = "clarity-loader";

/// Runs the loader at once, unless it already ran in this page (it defines `window.clarity`).
#[cfg(feature = "hydrate")]
pub fn run(project_id: &str) {
    use leptos::prelude::{document, window};
    if js_sys::Reflect::has(&window(), &"clarity".into()).unwrap_or(false) {
        return;
    }
    let document = document();
    let Ok(script) = document.create_element("script") else {
        return;
    };
    script.set_id(ELEMENT_ID);
    script.set_text_content(Some(&loader(project_id)));
    if let Some(head) = document.head() {
        let _ = head.append_child(&script);
    }
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
}
