//! A save, as a use case: the server function that records a decision in the consent log,
//! then sets its cookie; above the state, the log and the counters it uses.

use crate::consent::{decision::Decision, error::SaveError, form::ConsentForm};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a save answers: the decision in the cookie's own text form (which the browser reads
/// with the same codec as the `<body>` attribute), its id and whether analytics is granted,
/// for scripts, which Clarity project may load, and, when it may, Clarity's loader for the
/// island loader to run (no page carries it before consent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub decision: String,
    pub id: String,
    pub analytics: bool,
    pub clarity_project_id: Option<String>,
    pub clarity_loader: Option<String>,
}

impl Saved {
    pub fn decision(&self) -> Option<Decision> {
        self.decision.parse().ok()
    }
}

/// Saves a decision in the `lf_cookie_consent` cookie, after its receipt is in the consent
/// log. Posted by the banner and the preferences forms, with or without JavaScript.
#[server(endpoint = "consent")]
pub async fn save_consent(#[server(flatten)] form: ConsentForm) -> Result<Saved, SaveError> {
    use crate::consent::{
        decision::ConsentId,
        redirect::safe_return_path,
        server::{cookie, is_plain_form, VisitorConsent},
    };
    use crate::{receipts::RecordError, state::AppState, stats::counters::Counter};
    use http::{header::SET_COOKIE, request::Parts, StatusCode};
    use leptos_axum::ResponseOptions;

    let missing = |what: &str| SaveError::internal(format!("{what} is not in the server context"));
    let state = AppState::from_context().ok_or_else(|| missing("the application state"))?;
    let parts = use_context::<Parts>().ok_or_else(|| missing("the request"))?;
    let response = use_context::<ResponseOptions>().ok_or_else(|| missing("the response"))?;
    let plain_form = is_plain_form(&parts);

    let choice = form
        .choice(plain_form)
        .map_err(|reason| SaveError::invalid(reason).answer())?;
    let settings = &state.settings;
    let decision = Decision {
        revision: settings.policy_revision,
        decided_at: crate::date::now(),
        id: ConsentId(uuid::Uuid::new_v4().as_u128()),
        analytics: choice.analytics,
        method: choice.method,
    };
    // The decision this one replaces: the visitor's own, if it still counted.
    let replaced = parts
        .extensions
        .get::<VisitorConsent>()
        .and_then(VisitorConsent::decision);
    // Proof first: a decision that is not in the log is not saved at all.
    if let Err(error) = state.log.record(&decision, replaced).await {
        let (retry_after, counter) = match error {
            RecordError::Busy => (1, Counter::QueueFull),
            RecordError::Store(_) => (5, Counter::StoreFailed),
        };
        state.counters.add(counter);
        tracing::error!(%error, "consent receipt not written; the decision was not saved");
        return Err(SaveError::not_recorded(retry_after).answer());
    }
    response.append_header(
        SET_COOKIE,
        cookie::set_consent(&decision, &state.keys, settings),
    );
    if !decision.analytics {
        for expired in cookie::expire_clarity(settings) {
            response.append_header(SET_COOKIE, expired);
        }
    }
    let choice = if decision.analytics {
        "granted"
    } else {
        "denied"
    };
    let method = decision.method.label();
    metrics::counter!("leadistry_consent_saves_total", "choice" => choice, "method" => method)
        .increment(1);
    tracing::info!(id = %decision.id, analytics = decision.analytics, method, "consent saved");
    if plain_form {
        // See Other: the browser follows a POST's answer with a GET of the page.
        leptos_axum::redirect(safe_return_path(form.return_to.as_deref()));
        response.set_status(StatusCode::SEE_OTHER);
    }
    Ok(Saved {
        decision: decision.to_string(),
        id: decision.id.to_string(),
        analytics: decision.analytics,
        clarity_project_id: settings.clarity_project_id.clone(),
        clarity_loader: settings
            .clarity_project_id
            .as_deref()
            .filter(|_| decision.analytics)
            .map(crate::analytics::loader),
    })
}
