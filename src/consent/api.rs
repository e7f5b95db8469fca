//! The server function that saves a decision.

use super::state::ConsentState;
use leptos::prelude::*;
use std::collections::HashMap;

/// Saves a decision in the `lf_cookie_consent` cookie and returns the new state.
/// Posted by the banner and the preferences forms, with or without JavaScript; the argument
/// names are the form's field names (`consent::form`).
#[server(endpoint = "consent")]
pub async fn save_consent(
    choice: String,
    source: Option<String>,
    categories: Option<HashMap<String, String>>,
    return_to: Option<String>,
) -> Result<ConsentState, ServerFnError> {
    use super::{
        decision::{ConsentId, Decision},
        form::parse_choice,
        redirect::safe_return_path,
        server::{cookie, expect, is_plain_form},
    };
    use crate::{
        config::{keys::ConsentKeys, SiteSettings},
        receipts::{ConsentLog, RecordError},
    };
    use http::{
        header::{RETRY_AFTER, SET_COOKIE},
        request::Parts,
        HeaderValue, StatusCode,
    };
    use leptos_axum::ResponseOptions;
    use std::sync::Arc;

    let settings = expect::<Arc<SiteSettings>>()?;
    let keys = expect::<Arc<ConsentKeys>>()?;
    let parts = expect::<Parts>()?;
    let response = expect::<ResponseOptions>()?;
    let log = expect::<ConsentLog>()?;
    let plain_form = is_plain_form(&parts);

    let choice = match parse_choice(&choice, source.as_deref(), categories.as_ref(), plain_form) {
        Ok(choice) => choice,
        Err(message) => {
            response.set_status(StatusCode::BAD_REQUEST);
            return Err(ServerFnError::new(message));
        }
    };
    let decision = Decision {
        revision: settings.policy_revision,
        decided_at: crate::date::now(),
        id: ConsentId(uuid::Uuid::new_v4().as_u128()),
        analytics: choice.analytics,
        method: choice.method,
    };
    // Proof first: a decision that is not in the log is not saved at all.
    if let Err(error) = log.record(&decision).await {
        let retry_after = match error {
            RecordError::Busy => "1",
            RecordError::Store(_) => "5",
        };
        tracing::error!(%error, "consent receipt not written; the decision was not saved");
        response.set_status(StatusCode::SERVICE_UNAVAILABLE);
        response.insert_header(RETRY_AFTER, HeaderValue::from_static(retry_after));
        return Err(ServerFnError::new(
            "your choice could not be recorded, so nothing was saved",
        ));
    }
    response.append_header(SET_COOKIE, cookie::set_consent(&decision, &keys, &settings));
    if !decision.analytics {
        for expired in cookie::expire_clarity(&settings) {
            response.append_header(SET_COOKIE, expired);
        }
    }
    tracing::info!(id = %decision.id, analytics = decision.analytics, method = decision.method.label(), "consent saved");
    if plain_form {
        // See Other: the browser follows a POST's answer with a GET of the page.
        leptos_axum::redirect(safe_return_path(return_to.as_deref()));
        response.set_status(StatusCode::SEE_OTHER);
    }
    Ok(ConsentState {
        decision: Some(decision),
        policy_changed: false,
        clarity_project_id: settings.clarity_project_id.clone(),
        gpc: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::form::{CATEGORIES, CHOICE, RETURN_TO, SOURCE};

    #[test]
    fn the_arguments_are_the_form_fields() {
        let args = SaveConsent {
            choice: String::new(),
            source: None,
            categories: None,
            return_to: None,
        };
        let value = serde_json::to_value(&args).unwrap();
        let mut names: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        let mut fields = [CATEGORIES, CHOICE, RETURN_TO, SOURCE];
        fields.sort_unstable();
        assert_eq!(names, fields);
    }
}
