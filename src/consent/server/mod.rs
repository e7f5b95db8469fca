//! The server's side of consent: the visitor's state, read from the request once, and the
//! cookie headers.

pub mod cookie;

use super::{
    decision::{Decision, NoDecision},
    state::{ConsentState, Decided},
};
use crate::config::{keys::ConsentKeys, SiteSettings};
use http::{header::ACCEPT, request::Parts, HeaderMap};
use leptos::prelude::*;

/// The visitor's consent, read from the request once (by the server's consent layer) and kept
/// in its extensions: the state the page and the security headers take, and the decision
/// itself for the server's own use.
#[derive(Clone, Debug)]
pub struct VisitorConsent {
    state: ConsentState,
    decision: Option<Decision>,
}

impl VisitorConsent {
    /// What a page renders from.
    pub fn state(&self) -> &ConsentState {
        &self.state
    }

    /// The decision in force, for the server's own use (the one a save replaces, the render
    /// cache's holes); a view sees it only as `ConsentState::decision`.
    pub fn decision(&self) -> Option<&Decision> {
        self.decision.as_ref()
    }
}

/// Set on the request that renders the settings page after a save without JavaScript failed:
/// the page says so.
#[derive(Clone, Copy, Debug)]
pub struct SaveFailure(pub &'static str);

/// Why the save this page answers failed, if it did.
pub fn save_failure() -> Option<&'static str> {
    with_context::<Parts, _>(|parts| parts.extensions.get::<SaveFailure>().map(|f| f.0)).flatten()
}

/// The visitor's consent as their request's headers say it.
pub fn consent_of(
    headers: &HeaderMap,
    settings: &SiteSettings,
    keys: &ConsentKeys,
) -> VisitorConsent {
    let gpc = headers
        .get("sec-gpc")
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
    let rules = cookie::rules(settings);
    let evaluated = cookie::decision(headers, keys, &rules, crate::date::now());
    let state = ConsentState {
        policy_changed: evaluated == Err(NoDecision::PolicyChanged),
        gpc: gpc && evaluated.is_err(),
        decision: evaluated.clone().ok().map(Decided::new),
        clarity_project_id: settings.clarity_project_id.clone(),
    };
    VisitorConsent {
        state,
        decision: evaluated.ok(),
    }
}

/// The visitor's state and the path (with query) of the page being rendered. Without a
/// request (never in a page render) the visitor counts as undecided.
pub fn page_state() -> (ConsentState, String) {
    with_context::<Parts, _>(|parts| {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let state = parts
            .extensions
            .get::<VisitorConsent>()
            .map(|consent| consent.state.clone())
            .unwrap_or_default();
        (state, path.to_string())
    })
    .unwrap_or_else(|| (ConsentState::default(), "/".into()))
}

/// A browser's own form post (no JavaScript) asks for HTML back.
pub fn is_plain_form(parts: &Parts) -> bool {
    parts
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_reads_the_signal_only_when_there_is_no_decision() {
        use crate::consent::decision::{ConsentId, Decision, Method};
        let settings = SiteSettings::parse("", &|_| None).unwrap();
        let keys = ConsentKeys::new(crate::config::keys::SecretKey::generate().unwrap());
        let mut headers = HeaderMap::new();
        headers.insert("sec-gpc", http::HeaderValue::from_static("1"));
        assert!(consent_of(&headers, &settings, &keys).state.gpc);
        let decision = Decision {
            revision: 1,
            decided_at: crate::date::now(),
            id: ConsentId(1),
            analytics: true,
            method: Method::Settings,
        };
        let signed = format!("lf_cookie_consent={}", cookie::sign(&decision, &keys));
        headers.insert(http::header::COOKIE, signed.parse().unwrap());
        let chosen = consent_of(&headers, &settings, &keys).state;
        assert!(
            !chosen.gpc && chosen.analytics_granted(),
            "an explicit choice wins"
        );
        let forged = signed.replacen(".1.s.", ".1.b.", 1);
        headers.insert(http::header::COOKIE, forged.parse().unwrap());
        let state = consent_of(&headers, &settings, &keys).state;
        assert!(
            state.gpc && state.decision.is_none(),
            "an unsigned choice does not"
        );
        headers.insert("sec-gpc", http::HeaderValue::from_static("0"));
        headers.remove(http::header::COOKIE);
        assert!(!consent_of(&headers, &settings, &keys).state.gpc);
    }
}
