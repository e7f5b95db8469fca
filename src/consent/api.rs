//! The consent state the server renders with, and the server function that saves it.

use super::decision::{Decision, Method};
use crate::catalog::{Category, CATALOG};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the page needs to know about the visitor's consent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSnapshot {
    /// The visitor's decision, when there is one that still counts.
    pub decision: Option<Decision>,
    /// The visitor decided before, on an earlier revision of the policy.
    pub policy_changed: bool,
    /// Clarity's project id, when Clarity is configured.
    pub clarity_project_id: Option<String>,
    /// No decision, and the browser sends Global Privacy Control: analytics stays off and
    /// the banner does not ask. An explicit choice later wins over the signal.
    pub gpc: bool,
}

impl ConsentSnapshot {
    pub fn analytics_granted(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.analytics)
    }

    /// The banner asks only a visitor with no decision and no privacy signal.
    pub fn asks(&self) -> bool {
        self.decision.is_none() && !self.gpc
    }

    /// Analytics was refused, by a decision or by the browser's signal.
    pub fn refused(&self) -> bool {
        self.decision.as_ref().map_or(self.gpc, |d| !d.analytics)
    }

    /// The Clarity project to load, only while analytics is granted.
    pub fn clarity_to_load(&self) -> Option<String> {
        self.clarity_project_id
            .clone()
            .filter(|_| self.analytics_granted())
    }
}

/// A choice, checked: what the visitor asked for and how.
#[derive(Debug, PartialEq, Eq)]
pub struct Choice {
    pub analytics: bool,
    pub method: Method,
}

/// Validates the fields the consent forms post. `plain_form` is a post made without JavaScript.
pub fn parse_choice(
    choice: &str,
    source: Option<&str>,
    categories: Option<&HashMap<String, String>>,
    plain_form: bool,
) -> Result<Choice, String> {
    let mut analytics_box = false;
    for (key, value) in categories.into_iter().flatten() {
        let category = CATALOG
            .iter()
            .find(|c| c.category.key() == key)
            .ok_or_else(|| format!("unknown cookie category `{key}`"))?;
        if !category.can_disable {
            return Err(format!("the `{key}` category cannot be switched"));
        }
        let granted = match value.as_str() {
            "granted" => true,
            "denied" => false,
            other => return Err(format!("`{other}` is not granted or denied")),
        };
        if category.category == Category::Analytics {
            analytics_box = granted;
        }
    }
    let analytics = match choice {
        "accept" => true,
        "reject" => false,
        "save" => analytics_box,
        other => return Err(format!("`{other}` is not accept, reject or save")),
    };
    let method = match (plain_form, source) {
        (true, _) => Method::Form,
        (false, Some("banner")) => Method::Banner,
        (false, Some("settings")) => Method::Settings,
        (false, other) => {
            return Err(format!(
                "source {:?} is not banner or settings",
                other.unwrap_or("")
            ))
        }
    };
    Ok(Choice { analytics, method })
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::*;
    use crate::config::SiteSettings;
    use crate::consent::{
        cookie,
        decision::{NoDecision, Policy},
    };
    use http::request::Parts;
    use std::sync::Arc;

    pub fn settings() -> Result<Arc<SiteSettings>, ServerFnError> {
        use_context::<Arc<SiteSettings>>()
            .ok_or_else(|| ServerFnError::new("site settings are not in context"))
    }

    pub fn request() -> Result<Parts, ServerFnError> {
        use_context::<Parts>().ok_or_else(|| ServerFnError::new("no request in context"))
    }

    pub fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    pub fn policy(settings: &SiteSettings) -> Policy {
        Policy {
            revision: settings.policy_revision,
            lifetime_secs: u64::from(settings.consent_lifetime_days) * 86_400,
        }
    }

    /// The visitor's state as their request's headers say it.
    pub fn snapshot_of(headers: &http::HeaderMap, settings: &SiteSettings) -> ConsentSnapshot {
        let gpc = headers
            .get("sec-gpc")
            .is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
        let evaluated = match cookie::read(headers) {
            cookie::ConsentCookie::Absent => Err(NoDecision::Missing),
            cookie::ConsentCookie::Ambiguous => Err(NoDecision::Malformed),
            cookie::ConsentCookie::Value(value) => policy(settings).evaluate(Some(&value), now()),
        };
        ConsentSnapshot {
            policy_changed: evaluated == Err(NoDecision::PolicyChanged),
            gpc: gpc && evaluated.is_err(),
            decision: evaluated.ok(),
            clarity_project_id: settings.clarity_project_id.clone(),
        }
    }

    /// The visitor's state and the path (with query) of the page being rendered. Without
    /// them (never in a page request) the visitor counts as undecided.
    pub fn page_state() -> (ConsentSnapshot, String) {
        let state = settings().ok().and_then(|settings| {
            with_context::<Parts, _>(|parts| {
                let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                (snapshot_of(&parts.headers, &settings), path.to_string())
            })
        });
        state.unwrap_or_else(|| (ConsentSnapshot::default(), "/".into()))
    }

    /// A browser's own form post (no JavaScript) asks for HTML back.
    pub fn is_plain_form(parts: &Parts) -> bool {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }
}

/// Saves a decision in the `lf_cookie_consent` cookie and returns the new state.
/// Posted by the banner and the preferences forms, with or without JavaScript.
#[server(endpoint = "consent")]
pub async fn save_consent(
    choice: String,
    source: Option<String>,
    categories: Option<HashMap<String, String>>,
    return_to: Option<String>,
) -> Result<ConsentSnapshot, ServerFnError> {
    use super::{cookie, decision::ConsentId, redirect::safe_return_path};
    use http::{header::SET_COOKIE, StatusCode};
    use leptos_axum::ResponseOptions;

    let settings = server::settings()?;
    let parts = server::request()?;
    let response = use_context::<ResponseOptions>()
        .ok_or_else(|| ServerFnError::new("no response options in context"))?;
    let plain_form = server::is_plain_form(&parts);

    let choice = match parse_choice(&choice, source.as_deref(), categories.as_ref(), plain_form) {
        Ok(choice) => choice,
        Err(message) => {
            response.set_status(StatusCode::BAD_REQUEST);
            return Err(ServerFnError::new(message));
        }
    };
    let decision = Decision {
        revision: settings.policy_revision,
        decided_at: server::now(),
        id: ConsentId(uuid::Uuid::new_v4().as_u128()),
        analytics: choice.analytics,
        method: choice.method,
    };
    // Proof first: a decision that is not in the log is not saved at all.
    let log = use_context::<crate::receipts::ConsentLog>()
        .ok_or_else(|| ServerFnError::new("no consent log in context"))?;
    let receipt = crate::receipts::Receipt::of(&decision, &log.fingerprint);
    if let Err(error) = log.store.append(&receipt).await {
        tracing::error!(%error, "consent receipt not written; the decision was not saved");
        response.set_status(StatusCode::SERVICE_UNAVAILABLE);
        return Err(ServerFnError::new(
            "your choice could not be recorded, so nothing was saved",
        ));
    }
    response.append_header(SET_COOKIE, cookie::set_consent(&decision, &settings));
    if !decision.analytics {
        for expired in cookie::expire_clarity(&settings) {
            response.append_header(SET_COOKIE, expired);
        }
    }
    tracing::info!(id = %decision.id, analytics = decision.analytics, method = decision.method.label(), "consent saved");
    if plain_form {
        leptos_axum::redirect(safe_return_path(return_to.as_deref()));
    }
    Ok(ConsentSnapshot {
        decision: Some(decision),
        policy_changed: false,
        clarity_project_id: settings.clarity_project_id.clone(),
        gpc: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn accept_and_reject_decide_in_one_step() {
        let accept = parse_choice("accept", Some("banner"), None, false).unwrap();
        assert_eq!(
            accept,
            Choice {
                analytics: true,
                method: Method::Banner
            }
        );
        let reject = parse_choice("reject", Some("settings"), None, false).unwrap();
        assert_eq!(
            reject,
            Choice {
                analytics: false,
                method: Method::Settings
            }
        );
    }

    #[test]
    fn save_uses_the_toggle_and_an_absent_toggle_is_off() {
        let on = categories(&[("analytics", "granted")]);
        assert!(
            parse_choice("save", Some("settings"), Some(&on), false)
                .unwrap()
                .analytics
        );
        assert!(
            !parse_choice("save", Some("settings"), None, false)
                .unwrap()
                .analytics
        );
        let off = categories(&[("analytics", "denied")]);
        assert!(
            !parse_choice("save", Some("settings"), Some(&off), false)
                .unwrap()
                .analytics
        );
    }

    #[test]
    fn a_plain_form_post_is_recorded_as_form() {
        let choice = parse_choice("accept", Some("banner"), None, true).unwrap();
        assert_eq!(choice.method, Method::Form);
        assert_eq!(
            parse_choice("reject", None, None, true).unwrap().method,
            Method::Form
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case; 6] = [
            ("maybe", Some("banner"), &[], "not accept, reject or save"),
            (
                "save",
                Some("banner"),
                &[("marketing", "granted")],
                "unknown cookie category",
            ),
            (
                "save",
                Some("banner"),
                &[("essential", "denied")],
                "cannot be switched",
            ),
            (
                "save",
                Some("banner"),
                &[("analytics", "yes")],
                "not granted or denied",
            ),
            ("accept", Some("gpc"), &[], "not banner or settings"),
            ("accept", None, &[], "not banner or settings"),
        ];
        for (choice, source, cats, reason) in cases {
            let err = parse_choice(choice, source, Some(&categories(cats)), false).unwrap_err();
            assert!(err.contains(reason), "{err}");
        }
    }

    #[test]
    fn global_privacy_control_refuses_without_asking_until_the_visitor_chooses() {
        use crate::consent::decision::ConsentId;
        let signal = ConsentSnapshot {
            gpc: true,
            ..Default::default()
        };
        assert!(!signal.asks() && signal.refused() && !signal.analytics_granted());
        let chose = |analytics| ConsentSnapshot {
            decision: Some(Decision {
                revision: 1,
                decided_at: 1,
                id: ConsentId(1),
                analytics,
                method: Method::Settings,
            }),
            ..Default::default()
        };
        assert!(chose(true).analytics_granted() && !chose(true).refused());
        assert!(chose(false).refused());
        assert!(ConsentSnapshot::default().asks());
        assert!(!ConsentSnapshot::default().refused());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_server_reads_the_signal_only_when_there_is_no_decision() {
        use crate::config::SiteSettings;
        let settings =
            SiteSettings::parse("", "127.0.0.1:3000".parse().unwrap(), &|_| None).unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert("sec-gpc", http::HeaderValue::from_static("1"));
        assert!(server::snapshot_of(&headers, &settings).gpc);
        let now = server::now();
        let cookie = format!("lf_cookie_consent=1.1.{now}.0123456789abcdef0123456789abcdef.1.s");
        headers.insert(http::header::COOKIE, cookie.parse().unwrap());
        let chosen = server::snapshot_of(&headers, &settings);
        assert!(
            !chosen.gpc && chosen.analytics_granted(),
            "an explicit choice wins"
        );
        headers.insert("sec-gpc", http::HeaderValue::from_static("0"));
        headers.remove(http::header::COOKIE);
        assert!(!server::snapshot_of(&headers, &settings).gpc);
    }

    #[test]
    fn clarity_loads_only_while_granted_and_configured() {
        use crate::consent::decision::ConsentId;
        let decision = |analytics| Decision {
            revision: 1,
            decided_at: 1,
            id: ConsentId(1),
            analytics,
            method: Method::Banner,
        };
        let mut snapshot = ConsentSnapshot {
            decision: Some(decision(true)),
            policy_changed: false,
            clarity_project_id: Some("abcd1234".into()),
            gpc: false,
        };
        assert_eq!(snapshot.clarity_to_load().as_deref(), Some("abcd1234"));
        snapshot.decision = Some(decision(false));
        assert_eq!(snapshot.clarity_to_load(), None);
        snapshot.decision = None;
        assert_eq!(snapshot.clarity_to_load(), None);
        snapshot.decision = Some(decision(true));
        snapshot.clarity_project_id = None;
        assert_eq!(snapshot.clarity_to_load(), None);
    }
}
