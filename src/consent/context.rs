//! The consent state a page shares with its controls and with the Clarity gate: what the
//! server read from the request, then whatever the visitor saves on the page.

use super::{
    api::SaveConsent,
    form::{self, category_field, Source},
    state::ConsentState,
};
use crate::catalog::CATALOG;
use leptos::{
    ev::{MouseEvent, SubmitEvent},
    prelude::*,
    wasm_bindgen::JsCast,
};
use std::collections::HashMap;

/// The consent state shared by every control on the page.
#[derive(Clone, Copy)]
pub struct Consent {
    /// What the server read from the request the page was rendered for.
    initial: StoredValue<ConsentState>,
    /// The page's path and query, where a form posted without JavaScript returns.
    return_to: StoredValue<String>,
    /// The state after the visitor saved a choice in this page.
    saved: RwSignal<Option<ConsentState>>,
    /// The state in force: the saved one, else the server's, with the browser's privacy
    /// signal. A memo, so controls update only when it really changes.
    current: Memo<ConsentState>,
    dialog_open: RwSignal<bool>,
    save: ServerAction<SaveConsent>,
    /// Why the last save failed, shown until the next attempt.
    error: RwSignal<Option<&'static str>>,
}

/// The consent context of the page; every control is inside `ConsentRoot`, which provides it.
pub fn use_consent() -> Consent {
    expect_context::<Consent>()
}

impl Consent {
    pub fn provide(initial: ConsentState, return_to: String) -> Self {
        let initial = StoredValue::new(initial);
        let saved = RwSignal::new(None::<ConsentState>);
        // `navigator.globalPrivacyControl`, for a browser that says it without the header.
        let gpc_in_browser = RwSignal::new(false);
        let current = Memo::new(move |_| {
            let mut state = saved.get().unwrap_or_else(|| initial.get_value());
            state.gpc |= gpc_in_browser.get() && state.decision.is_none();
            state
        });
        let consent = Self {
            initial,
            return_to: StoredValue::new(return_to),
            saved,
            current,
            dialog_open: RwSignal::new(false),
            save: ServerAction::new(),
            error: RwSignal::new(None),
        };
        provide_context(consent);
        consent.apply_saves();
        #[cfg(feature = "hydrate")]
        after_page_hydrates(move || {
            gpc_in_browser.set(browser_sends_gpc());
            mark_hydrated();
        });
        consent
    }

    /// The current state.
    pub fn current(&self) -> ConsentState {
        self.current.get()
    }

    pub fn current_untracked(&self) -> ConsentState {
        self.current.get_untracked()
    }

    pub fn return_to(&self) -> String {
        self.return_to.get_value()
    }

    pub fn dialog_open(&self) -> bool {
        self.dialog_open.get()
    }

    pub fn set_dialog_open(&self, open: bool) {
        self.dialog_open.set(open);
    }

    /// A save is under way.
    pub fn pending(&self) -> bool {
        self.save.pending().get()
    }

    /// Why the last save failed, until the next attempt.
    pub fn error(&self) -> Option<&'static str> {
        self.error.get()
    }

    pub fn clear_error(&self) {
        self.error.set(None);
    }

    /// Opens the preferences dialog; a plain link to `/cookie-settings` when JavaScript is off.
    pub fn open_from_link(&self, ev: MouseEvent) {
        if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0 {
            return; // opening the settings page in a new tab stays possible
        }
        ev.prevent_default();
        self.dialog_open.set(true);
    }

    /// Sends a consent form's fields, and the button that submitted it, to the server action.
    pub fn submit(&self, ev: &SubmitEvent, source: Source) {
        ev.prevent_default();
        let form = event_target::<web_sys::HtmlFormElement>(ev);
        let fields = web_sys::FormData::new_with_form(&form).ok();
        let field = |name: &str| fields.as_ref().and_then(|f| f.get(name).as_string());
        let categories: HashMap<String, String> = CATALOG
            .iter()
            .filter_map(|c| {
                let value = field(&category_field(c.category))?;
                Some((c.category.key().to_string(), value))
            })
            .collect();
        // Enter in a form submits with its first button, which the browser names here too.
        let choice = ev
            .submitter()
            .and_then(|button| button.dyn_into::<web_sys::HtmlButtonElement>().ok())
            .map(|button| button.value());
        self.save.dispatch(SaveConsent {
            choice: choice.unwrap_or_default(),
            source: Some(source.value().to_string()),
            categories: (!categories.is_empty()).then_some(categories),
            return_to: field(form::RETURN_TO),
        });
    }

    /// A page served after a refusal has a CSP without Clarity's hosts: granting there needs
    /// a fresh page.
    fn needs_reload(&self, saved: &ConsentState) -> bool {
        saved.analytics_granted()
            && !self.current_untracked().analytics_granted()
            && self.initial.with_value(ConsentState::refused)
    }

    /// A save that succeeded becomes the state; one that failed changes nothing and says so.
    fn apply_saves(self) {
        Effect::new(move |_| {
            let Some(result) = self.save.value().get() else {
                return;
            };
            match result {
                Ok(state) => {
                    if self.needs_reload(&state) {
                        #[cfg(feature = "hydrate")]
                        let _ = window().location().reload();
                        return;
                    }
                    self.error.set(None);
                    self.saved.set(Some(state));
                    self.dialog_open.set(false);
                }
                Err(error) => {
                    leptos::logging::warn!("consent not saved: {error}");
                    self.error
                        .set(Some(crate::wording::WORDING.errors.not_saved));
                }
            }
        });
    }
}

/// Runs `f` once every island of the page has hydrated: what only the browser knows waits
/// for it. Leptos' island script hydrates them one after another in microtasks, so a
/// timeout runs after the last; a change before then would make a later island meet HTML it
/// did not render.
#[cfg(feature = "hydrate")]
fn after_page_hydrates(f: impl FnOnce() + 'static) {
    set_timeout(f, std::time::Duration::ZERO);
}

/// Sets `data-hydrated` on `<html>`: tests wait for it, and it is the plainest proof that
/// hydration finished without a panic.
#[cfg(feature = "hydrate")]
fn mark_hydrated() {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}

/// `navigator.globalPrivacyControl`.
#[cfg(feature = "hydrate")]
fn browser_sends_gpc() -> bool {
    js_sys::Reflect::get(&window().navigator(), &"globalPrivacyControl".into())
        .is_ok_and(|v| v.as_bool() == Some(true))
}
