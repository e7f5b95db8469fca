//! What the page knows of the visitor's consent: the server reads it from the request, the
//! browser receives it with the page, and a save replaces it.

use super::{decision::Decision, personal::Personal};
use serde::{Deserialize, Serialize};

/// The page carries the state to the browser as attributes of its `<body>` (written by
/// `to_attributes`), which the islands read before they hydrate: no JSON decoder in the bundle.
pub mod attribute {
    pub const DECISION: &str = "data-consent-decision";
    pub const POLICY_CHANGED: &str = "data-consent-policy-changed";
    pub const GPC: &str = "data-consent-gpc";
    pub const CLARITY: &str = "data-consent-clarity";
    pub const RETURN_TO: &str = "data-return-to";
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentState {
    /// The visitor's decision, when there is one that still counts, as a page may show it.
    pub decision: Option<Decided>,
    /// The visitor decided before, on an earlier revision of the policy.
    pub policy_changed: bool,
    /// Clarity's project id, when Clarity is configured.
    pub clarity_project_id: Option<String>,
    /// No decision, and the browser sends Global Privacy Control: analytics stays off and
    /// the banner does not ask. An explicit choice later wins over the signal.
    pub gpc: bool,
}

/// A decision as a page may show it. The render cache shares a page among the visitors of its
/// path and choice: what they have in common reads directly (`analytics`), each one's own texts
/// only through [`Personal`] (`show`, holes in a template), and nothing else of the decision
/// (its method, its time) reaches a view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided(Decision);

impl Decided {
    pub fn new(decision: Decision) -> Self {
        Self(decision)
    }

    pub fn analytics(&self) -> bool {
        self.0.analytics
    }

    /// One of the visitor's own texts, as the page shows it: `Personal::in_page`.
    pub fn show(&self, personal: Personal) -> String {
        personal.in_page(&self.0)
    }
}

impl ConsentState {
    pub fn analytics_granted(&self) -> bool {
        self.decision.as_ref().is_some_and(Decided::analytics)
    }

    /// The banner asks only a visitor with no decision and no privacy signal.
    pub fn asks(&self) -> bool {
        self.decision.is_none() && !self.gpc
    }

    /// Analytics was refused, by a decision or by the browser's signal.
    pub fn refused(&self) -> bool {
        self.decision.as_ref().map_or(self.gpc, |d| !d.analytics())
    }

    /// The state and the page's path as the `<body>` attributes carry them; `attribute` reads
    /// one by name.
    pub fn from_attributes(attribute: impl Fn(&str) -> Option<String>) -> (Self, String) {
        let state = Self {
            decision: attribute(attribute::DECISION)
                .and_then(|text| text.parse().ok())
                .map(Decided::new),
            policy_changed: attribute(attribute::POLICY_CHANGED).is_some(),
            clarity_project_id: attribute(attribute::CLARITY),
            gpc: attribute(attribute::GPC).is_some(),
        };
        (
            state,
            attribute(attribute::RETURN_TO).unwrap_or_else(|| "/".into()),
        )
    }

    /// The `<body>` attributes that carry the state and the page's path to the browser, where
    /// `from_attributes` reads them back.
    #[cfg(feature = "ssr")]
    pub fn to_attributes(&self, return_to: String) -> impl leptos::attr::Attribute {
        use leptos::attr::custom::custom_attribute;
        (
            custom_attribute(
                attribute::DECISION,
                self.decision.as_ref().map(|d| d.show(Personal::Decision)),
            ),
            custom_attribute(attribute::POLICY_CHANGED, self.policy_changed.then_some("")),
            custom_attribute(attribute::GPC, self.gpc.then_some("")),
            custom_attribute(attribute::CLARITY, self.clarity_project_id.clone()),
            custom_attribute(attribute::RETURN_TO, return_to),
        )
    }

    /// The Clarity project to load, only while analytics is granted.
    pub fn clarity_to_load(&self) -> Option<String> {
        self.clarity_project_id
            .clone()
            .filter(|_| self.analytics_granted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::decision::{ConsentId, Method};

    fn decided(analytics: bool) -> ConsentState {
        ConsentState {
            decision: Some(Decided::new(Decision {
                revision: 1,
                decided_at: 1,
                id: ConsentId(1),
                analytics,
                method: Method::Settings,
            })),
            ..Default::default()
        }
    }

    #[test]
    fn global_privacy_control_refuses_without_asking_until_the_visitor_chooses() {
        let signal = ConsentState {
            gpc: true,
            ..Default::default()
        };
        assert!(!signal.asks() && signal.refused() && !signal.analytics_granted());
        assert!(decided(true).analytics_granted() && !decided(true).refused());
        assert!(decided(false).refused());
        assert!(ConsentState::default().asks());
        assert!(!ConsentState::default().refused());
    }

    #[test]
    fn clarity_loads_only_while_granted_and_configured() {
        let mut state = ConsentState {
            clarity_project_id: Some("abcd1234".into()),
            ..decided(true)
        };
        assert_eq!(state.clarity_to_load().as_deref(), Some("abcd1234"));
        state.decision = decided(false).decision;
        assert_eq!(state.clarity_to_load(), None);
        state.decision = None;
        assert_eq!(state.clarity_to_load(), None);
        state.decision = decided(true).decision;
        state.clarity_project_id = None;
        assert_eq!(state.clarity_to_load(), None);
    }
}
