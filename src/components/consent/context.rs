//! The consent state a page shares with its controls and with the Clarity gate: what the
//! server read from the request, then whatever the visitor saves on the page.

use crate::consent::state::ConsentState;
use leptos::{
    ev::{MouseEvent, SubmitEvent},
    prelude::*,
};

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
    /// A save is under way.
    pending: RwSignal<bool>,
    /// Why the last save failed, shown until the next attempt.
    error: RwSignal<Option<&'static str>>,
}

/// The consent context of the page; every control is inside `ConsentRoot`, which provides it.
pub fn use_consent() -> Consent {
    expect_context::<Consent>()
}

/// What the server read from the request; in the browser, what the page carries on `<body>`.
fn initial_state() -> (ConsentState, String) {
    #[cfg(feature = "ssr")]
    {
        crate::consent::server::page_state()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let body = document().body();
        ConsentState::from_attributes(|name| body.as_ref()?.get_attribute(name))
    }
}

impl Consent {
    pub fn provide() -> Self {
        let (initial, return_to) = initial_state();
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
            pending: RwSignal::new(false),
            error: RwSignal::new(None),
        };
        provide_context(consent);
        #[cfg(feature = "hydrate")]
        after_page_hydrates(move || {
            gpc_in_browser.set(browser_sends_gpc());
            if let Some(save) = browser::early_save() {
                consent.pending.set(true);
                leptos::task::spawn_local(async move {
                    let result = browser::answer(wasm_bindgen_futures::JsFuture::from(save).await);
                    consent.pending.set(false);
                    consent.apply(result);
                });
            }
            mark_hydrated();
        });
        consent
    }

    /// What the server read from the request the page was rendered for.
    pub fn initial(&self) -> ConsentState {
        self.initial.get_value()
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
        self.pending.get()
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

    /// Posts a consent form to the server function, as the browser would without JavaScript,
    /// but in the background; the answer becomes the page's state.
    pub fn submit(&self, ev: &SubmitEvent) {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let form = event_target::<web_sys::HtmlFormElement>(ev);
            // The request leaves before anything on the page changes.
            let sent = browser::send(&form, ev.submitter());
            let consent = *self;
            consent.pending.set(true);
            leptos::task::spawn_local(async move {
                let result = match sent {
                    Ok(sent) => browser::receive(sent).await,
                    Err(error) => Err(error),
                };
                consent.apply(result);
                consent.pending.set(false);
            });
        }
    }

    /// A page served after a refusal has a CSP without Clarity's hosts: granting there needs
    /// a fresh page.
    fn needs_reload(&self, saved: &ConsentState) -> bool {
        saved.analytics_granted()
            && !self.current_untracked().analytics_granted()
            && self.initial.with_value(ConsentState::refused)
    }

    /// A save that succeeded becomes the state; one that failed changes nothing and says so.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn apply(self, result: Result<ConsentState, String>) {
        match result {
            Ok(state) => {
                if self.needs_reload(&state) {
                    #[cfg(feature = "hydrate")]
                    let _ = window().location().reload();
                    return;
                }
                // Clarity's loader runs now, before the page's other updates: the receipt is
                // written, and the gate would render the same loader only after them.
                #[cfg(feature = "hydrate")]
                if self.current_untracked().clarity_to_load().is_none() {
                    if let Some(project_id) = state.clarity_to_load() {
                        crate::analytics::run(&project_id);
                    }
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
    }
}

/// The save in the browser, without Leptos' server function client: it would bring a form
/// encoder and a JSON decoder into the bundle, and the browser has both.
#[cfg(feature = "hydrate")]
mod browser {
    use crate::{consent::state::ConsentState, save::SaveConsent};
    use leptos::{prelude::*, server_fn::ServerFn, wasm_bindgen::JsCast, wasm_bindgen::JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// Sends the form's fields and the button that submitted it, URL-encoded, to the server
    /// function: the promise of its response.
    pub fn send(
        form: &web_sys::HtmlFormElement,
        submitter: Option<web_sys::HtmlElement>,
    ) -> Result<js_sys::Promise, String> {
        let fail = |e: JsValue| format!("{e:?}");
        let fields = web_sys::FormData::new_with_form(form).map_err(fail)?;
        // Enter in a form submits with its first button, which the browser names here too.
        if let Some(button) =
            submitter.and_then(|b| b.dyn_into::<web_sys::HtmlButtonElement>().ok())
        {
            fields
                .append_with_str(&button.name(), &button.value())
                .map_err(fail)?;
        }
        let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&fields)
            .map_err(fail)?
            .to_string();
        let headers = web_sys::Headers::new().map_err(fail)?;
        headers
            .set("content-type", "application/x-www-form-urlencoded")
            .map_err(fail)?;
        headers.set("accept", "application/json").map_err(fail)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from(body));
        Ok(window().fetch_with_str_and_init(SaveConsent::PATH, &init))
    }

    /// The state the server function's answer (`save::Saved`, parsed by the browser) says.
    pub async fn receive(sent: js_sys::Promise) -> Result<ConsentState, String> {
        let fail = |e: JsValue| format!("{e:?}");
        let response: web_sys::Response =
            JsFuture::from(sent).await.map_err(fail)?.unchecked_into();
        if !response.ok() {
            return Err(format!("status {}", response.status()));
        }
        answer(JsFuture::from(response.json().map_err(fail)?).await)
    }

    /// The save the island loader made before the islands were ready (`src/islands.js`),
    /// taken once: a promise of its answer.
    pub fn early_save() -> Option<js_sys::Promise> {
        let window = window();
        let key = JsValue::from_str("leadistryEarlySave");
        let save = js_sys::Reflect::get(&window, &key).ok()?.dyn_into().ok()?;
        let _ = js_sys::Reflect::delete_property(window.unchecked_ref::<js_sys::Object>(), &key);
        // Its own note takes over from the one CSS showed for a failure.
        if let Some(root) = document().document_element() {
            let _ = root.remove_attribute("data-consent-failed");
        }
        Some(save)
    }

    /// The state a save's answer (`save::Saved`, parsed by the browser) says.
    pub fn answer(answer: Result<JsValue, JsValue>) -> Result<ConsentState, String> {
        let answer = answer.map_err(|e| format!("{e:?}"))?;
        // The decision in its cookie text, read with the codec that reads `<body>`'s.
        let field = |key: &str| js_sys::Reflect::get(&answer, &key.into()).ok()?.as_string();
        Ok(ConsentState {
            decision: Some(
                field("decision")
                    .and_then(|text| text.parse().ok())
                    .map(crate::consent::state::Decided::new)
                    .ok_or("an answer without a decision")?,
            ),
            policy_changed: false,
            clarity_project_id: field("clarity_project_id"),
            gpc: false,
        })
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
