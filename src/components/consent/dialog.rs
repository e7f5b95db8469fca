//! The preferences dialog: the decision in force, the toggles, and Save / Accept all /
//! Reject all. Escape or × changes nothing; focus returns to the opener.

use super::{
    context::use_consent,
    form::{ConsentForm, SaveError},
    settings::{DecisionSummary, GpcNotice},
};
use crate::wording::WORDING;
use leptos::{html, prelude::*};

#[component]
pub fn PreferencesDialog() -> impl IntoView {
    let consent = use_consent();
    let dialog = NodeRef::<html::Dialog>::new();
    let analytics = RwSignal::new(consent.current_untracked().analytics_granted());

    // Opening shows the saved choice, not whatever was toggled and then abandoned.
    Effect::new(move |_| {
        let open = consent.dialog_open();
        let Some(dialog) = dialog.get() else { return };
        if open && !dialog.open() {
            analytics.set(consent.current_untracked().analytics_granted());
            consent.clear_error();
            // A modal dialog returns focus to the element that had it when it closes.
            let _ = dialog.show_modal();
        } else if !open && dialog.open() {
            dialog.close();
        }
    });
    let decision = move || consent.current().decision;
    let text = &WORDING.preferences;

    view! {
        <dialog
            node_ref=dialog
            class="preferences-dialog"
            aria-labelledby="preferences-title"
            // Escape, the close button and a save all end here.
            on:close=move |_| consent.set_dialog_open(false)
        >
            <div class="dialog-header">
                <h2 id="preferences-title">{text.title}</h2>
                <button
                    type="button"
                    class="dialog-close"
                    aria-label=text.close
                    on:click=move |_| consent.set_dialog_open(false)
                >
                    {text.close_symbol}
                </button>
            </div>
            <p class="dialog-intro">{text.intro}</p>
            {move || decision().map(|decision| view! { <DecisionSummary decision /> })}
            <GpcNotice />
            <SaveError />
            <ConsentForm id_prefix="dialog" analytics />
        </dialog>
    }
}
