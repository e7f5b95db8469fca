//! What the visitor has decided and where to change it: the `/cookie-settings` panel, the
//! decision line, the GPC notice, and "Cookie Settings" in the footer.

use super::context::use_consent;
use super::form::{ConsentForm, PreferencesLink};
use crate::consent::{personal::Personal, state::Decided};
use crate::wording::WORDING;
use leptos::prelude::*;

/// The `/cookie-settings` page's state and form: the choice in force, then the toggles.
#[island]
pub fn SettingsPanel() -> impl IntoView {
    let consent = use_consent();
    move || {
        let state = consent.current();
        let analytics = RwSignal::new(state.analytics_granted());
        let summary = match state.decision {
            Some(decision) => view! { <DecisionSummary decision /> }.into_any(),
            None => view! {
                <p class="decision-summary">{WORDING.settings_page.no_choice_yet}</p>
                <GpcNotice />
            }
            .into_any(),
        };
        view! {
            <div class="settings-panel" role="status">
                {summary}
            </div>
            <ConsentForm id_prefix="page" analytics />
        }
    }
}

/// A line the visitor can quote: what they chose, when, and the decision's id.
#[component]
pub fn DecisionSummary(decision: Decided) -> impl IntoView {
    let text = &WORDING.decision;
    view! {
        <p class="decision-summary">
            {text.current_choice} " "
            <strong>{if decision.analytics() { text.allowed } else { text.refused }}</strong>
            {text.decided_on} " "
            <span class="decision-date">{decision.show(Personal::Date)}</span>
            " " {text.utc_and_id} " "
            <code class="consent-id">{decision.show(Personal::Id)}</code>
        </p>
    }
}

/// "Cookie Settings" in every footer.
#[island]
pub fn CookieSettingsLink() -> impl IntoView {
    view! { <PreferencesLink class="cookie-settings-link" label=WORDING.cookie_settings /> }
}

/// Says so when the browser's privacy signal decided for a visitor who has not chosen.
/// An island, for the footer; inside another island it is part of that one.
#[island]
pub fn GpcNotice() -> impl IntoView {
    let consent = use_consent();
    move || {
        consent
            .current()
            .gpc
            .then(|| view! { <p class="gpc-notice">{WORDING.gpc_honoured}</p> })
    }
}
