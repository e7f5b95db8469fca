//! The pages' Content-Security-Policy: it names each inline script and stylesheet a page may
//! carry by its SHA-256, computed once at start-up from the exact text the pages carry: no
//! per-response nonce, so a page is the same for every visitor of its class (the render
//! cache serves it), and still no `'unsafe-inline'`.

use crate::analytics::loader;
use crate::assets::{Assets, Stylesheet};
use crate::config::SiteSettings;
use axum::http::HeaderValue;
use leptos::config::LeptosOptions;

/// Microsoft Clarity's tag, its scripts, and where it sends data (each after a space, as
/// they follow other sources in the policy).
const CLARITY_SCRIPT_HOSTS: &str = " https://www.clarity.ms https://scripts.clarity.ms";
const CLARITY_DATA_HOSTS: &str = " https://*.clarity.ms https://c.bing.com";

/// The inline scripts Leptos ends every page with, as its server context writes them for a
/// page that serializes no resource and no error (these pages: one that did would find them
/// blocked, and `end2end/tests/security.spec.ts` would say so): taken from hydration_context's
/// own output, so that a Leptos upgrade that changes them changes the hashes too.
fn leptos_scripts() -> Vec<String> {
    use futures_util::{FutureExt, StreamExt};
    use hydration_context::{SharedContext, SsrSharedContext};
    SsrSharedContext::new()
        .pending_data()
        .and_then(|chunks| chunks.collect::<Vec<_>>().now_or_never())
        .unwrap_or_default()
}

/// A CSP source for an inline script or stylesheet of exactly this text (after a space).
pub fn source_hash(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        " 'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The inline sources pages may carry, by hash: the island loader, Leptos's closing scripts
/// and Clarity's loader (rendered by the gate, or run by the island loader from a save's
/// answer); the inline stylesheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineSources {
    pub scripts: String,
    pub styles: String,
}

impl InlineSources {
    pub fn of(assets: &Assets, settings: &SiteSettings, leptos: &LeptosOptions) -> Self {
        let clarity = settings.clarity_project_id.as_deref().map(loader);
        let scripts: String = [assets.loader.to_string()]
            .into_iter()
            .chain(leptos_scripts())
            .chain(clarity)
            .map(|text| source_hash(&text))
            .collect();
        let mut scripts: String = scripts;
        if assets.live_reload.is_some() {
            scripts.extend(live_reload_script(leptos).as_deref().map(source_hash));
        }
        let styles = match &assets.stylesheet {
            Stylesheet::Inline(css) => source_hash(css),
            Stylesheet::Linked(_) => String::new(),
        };
        Self { scripts, styles }
    }
}

/// `cargo leptos watch`'s live-reload script, as the shell renders it while it serves the site.
fn live_reload_script(options: &LeptosOptions) -> Option<String> {
    use leptos::prelude::*;
    let options = options.clone();
    let html = Owner::new().with(|| view! { <AutoReload options /> }.to_html());
    let text = html.strip_prefix("<script>")?.strip_suffix("</script>")?;
    Some(text.to_string())
}

/// The two Content-Security-Policy values a page may be served with, made once.
pub struct PageCsp {
    with_clarity: HeaderValue,
    without_clarity: HeaderValue,
}

impl PageCsp {
    pub fn new(assets: &Assets, settings: &SiteSettings, leptos: &LeptosOptions) -> Self {
        let sources = InlineSources::of(assets, settings, leptos);
        let live_reload = assets.live_reload.as_deref();
        let value = |clarity| {
            HeaderValue::from_str(&content_security_policy(&sources, clarity, live_reload))
                .unwrap_or(HeaderValue::from_static("default-src 'self'"))
        };
        Self {
            with_clarity: value(true),
            without_clarity: value(false),
        }
    }

    /// The value for a page that may load Clarity (with its hosts), or not.
    pub fn value(&self, clarity: bool) -> &HeaderValue {
        if clarity {
            &self.with_clarity
        } else {
            &self.without_clarity
        }
    }
}

/// The Content-Security-Policy header's value. `live_reload`: `cargo leptos watch`'s socket
/// (after a space), allowed only while it serves the site.
pub fn content_security_policy(
    sources: &InlineSources,
    clarity: bool,
    live_reload: Option<&str>,
) -> String {
    let (hosts, data) = if clarity {
        (CLARITY_SCRIPT_HOSTS, CLARITY_DATA_HOSTS)
    } else {
        ("", "")
    };
    let reload = live_reload.unwrap_or_default();
    let InlineSources { scripts, styles } = sources;
    format!(
        "default-src 'self'; script-src 'self'{scripts} 'wasm-unsafe-eval'{hosts}; \
         connect-src 'self'{data}{reload}; img-src 'self' data:{data}; \
         style-src 'self'{styles}; object-src 'none'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_clarity_only_when_allowed() {
        let sources = InlineSources {
            scripts: source_hash("a()"),
            styles: source_hash("p{}"),
        };
        let without = content_security_policy(&sources, false, None);
        assert!(without.contains(&format!(
            "script-src 'self' 'sha256-{}' 'wasm-unsafe-eval';",
            "qVpDBgj7bpq5hMAcGp3AOc79J3Y1Z4HvySTwKrWDoy4="
        )));
        assert!(without.contains("style-src 'self' 'sha256-"));
        assert!(!without.contains("clarity"));
        assert!(!without.contains("nonce"));
        for directive in [
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(without.contains(directive), "{directive}");
        }
        assert!(!without.contains("unsafe-inline"));
        let with = content_security_policy(&sources, true, None);
        assert!(with.contains("https://www.clarity.ms"));
        assert!(with.contains("connect-src 'self' https://*.clarity.ms"));
        assert!(with.contains("img-src 'self' data: https://*.clarity.ms"));
    }
}
