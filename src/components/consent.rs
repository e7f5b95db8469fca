//! The visitor's controls: the consent context, the banner, the preferences dialog and the
//! form both the dialog and the `/cookie-settings` page use.
//!
//! Pages are rendered on the server only; these controls are the page's islands, the only
//! code the browser runs. `ConsentRoot` wraps the whole page and provides the consent state
//! to its own controls and to the islands inside the server-rendered page.

use crate::analytics::Clarity;
use crate::catalog::{Category, CATALOG};
use crate::consent::api::{ConsentSnapshot, SaveConsent};
use crate::consent::decision::Decision;
use leptos::{
    ev::{MouseEvent, SubmitEvent},
    html,
    prelude::*,
    server_fn::ServerFn,
    wasm_bindgen::JsCast,
};
use std::collections::HashMap;

pub const BANNER_TITLE: &str = "Cookies on Leadistry";
pub const BANNER_TEXT: &str =
    "Essential cookies keep this site working. Microsoft Clarity analytics runs only if you accept.";
pub const POLICY_CHANGED: &str =
    "Our cookie policy has changed since you last chose, so we are asking again.";
pub const DIALOG_TITLE: &str = "Cookie preferences";
pub const DIALOG_INTRO: &str = "Choose which cookies Leadistry may use. You can change this at any time from “Cookie Settings” in the footer.";
/// Every sentence the controls show: part of the policy fingerprint kept with each receipt.
pub const WORDING: &[&str] = &[
    BANNER_TITLE,
    BANNER_TEXT,
    POLICY_CHANGED,
    DIALOG_TITLE,
    DIALOG_INTRO,
    GPC_HONOURED,
    "Accept",
    "Reject",
    "Preferences",
    "Save",
    "Accept all",
    "Reject all",
    "Always on.",
];

/// The consent state shared by every control on the page.
#[derive(Clone, Copy)]
pub struct Consent {
    /// What the server read from the request the page was rendered for.
    initial: StoredValue<ConsentSnapshot>,
    /// The page's path and query, where a form posted without JavaScript returns.
    return_to: StoredValue<String>,
    /// The state after the visitor saved a choice in this page.
    saved: RwSignal<Option<ConsentSnapshot>>,
    /// The state in force: the saved one, else the server's, with the browser's privacy
    /// signal. A memo, so controls update only when it really changes.
    current: Memo<ConsentSnapshot>,
    pub dialog_open: RwSignal<bool>,
    pub save: ServerAction<SaveConsent>,
    /// Why the last save failed, shown until the next attempt.
    pub error: RwSignal<Option<String>>,
}

impl Consent {
    pub fn provide(initial: ConsentSnapshot, return_to: String) -> Self {
        let initial = StoredValue::new(initial);
        let saved = RwSignal::new(None::<ConsentSnapshot>);
        // `navigator.globalPrivacyControl`, for a browser that says it without the header.
        let gpc_in_browser = RwSignal::new(false);
        let current = Memo::new(move |_| {
            let mut snapshot = saved.get().unwrap_or_else(|| initial.get_value());
            snapshot.gpc |= gpc_in_browser.get() && snapshot.decision.is_none();
            snapshot
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

    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The current state.
    pub fn current(&self) -> ConsentSnapshot {
        self.current.get()
    }

    fn current_untracked(&self) -> ConsentSnapshot {
        self.current.get_untracked()
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
    fn submit(&self, ev: &SubmitEvent, source: &str) {
        ev.prevent_default();
        let form = event_target::<web_sys::HtmlFormElement>(ev);
        let fields = web_sys::FormData::new_with_form(&form).ok();
        let field = |name: &str| fields.as_ref().and_then(|f| f.get(name).as_string());
        let categories: HashMap<String, String> = CATALOG
            .iter()
            .filter_map(|c| {
                let key = c.category.key();
                field(&format!("categories[{key}]")).map(|value| (key.to_string(), value))
            })
            .collect();
        // Enter in a form submits with its first button, which the browser names here too.
        let choice = ev
            .submitter()
            .and_then(|button| button.dyn_into::<web_sys::HtmlButtonElement>().ok())
            .map(|button| button.value());
        self.save.dispatch(SaveConsent {
            choice: choice.unwrap_or_default(),
            source: Some(source.to_string()),
            categories: (!categories.is_empty()).then_some(categories),
            return_to: field("return_to"),
        });
    }

    /// What the page must do once a newly saved choice is the state.
    fn after_save(&self, saved: &ConsentSnapshot) -> AfterSave {
        let was_granted = self.current_untracked().analytics_granted();
        // A page served after a refusal has a CSP without Clarity's hosts.
        let served_refused = self.initial.with_value(ConsentSnapshot::refused);
        match (was_granted, saved.analytics_granted()) {
            (true, false) => AfterSave::Withdraw,
            (false, true) if served_refused => AfterSave::Reload,
            _ => AfterSave::Nothing,
        }
    }

    /// A save that succeeded becomes the state; one that failed changes nothing and says so.
    fn apply_saves(self) {
        Effect::new(move |_| {
            let Some(result) = self.save.value().get() else {
                return;
            };
            match result {
                Ok(snapshot) => {
                    let after = self.after_save(&snapshot);
                    if after == AfterSave::Reload {
                        // Rendering the loader here would only meet this page's policy.
                        #[cfg(feature = "hydrate")]
                        let _ = window().location().reload();
                        return;
                    }
                    self.error.set(None);
                    self.saved.set(Some(snapshot));
                    self.dialog_open.set(false);
                    #[cfg(feature = "hydrate")]
                    if after == AfterSave::Withdraw {
                        crate::analytics::withdraw();
                    }
                }
                Err(error) => {
                    leptos::logging::warn!("consent not saved: {error}");
                    self.error.set(Some(
                        "Your choice could not be saved, so nothing has changed. Please try again."
                            .into(),
                    ));
                }
            }
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AfterSave {
    Nothing,
    /// Analytics was withdrawn: stop Clarity for good.
    Withdraw,
    /// Analytics was granted on a page whose policy keeps Clarity out: load a fresh page.
    Reload,
}

/// The page, with the banner, the dialog and Clarity first in it: keyboard and screen
/// reader users meet the choice before anything else. `initial` and `return_to` come from
/// the request; islands in `children` (the server-rendered page) share the consent state.
#[island]
pub fn ConsentRoot(
    initial: ConsentSnapshot,
    return_to: String,
    children: Children,
) -> impl IntoView {
    Consent::provide(initial, return_to);
    view! {
        <CookieBanner />
        <PreferencesDialog />
        <Clarity />
        {children()}
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

#[component]
fn SaveError() -> impl IntoView {
    let consent = Consent::expect();
    move || {
        consent.error.get().map(|message| {
            view! {
                <p class="consent-error" role="alert">
                    {message}
                </p>
            }
        })
    }
}

#[component]
fn CookieBanner() -> impl IntoView {
    let consent = Consent::expect();
    let undecided = move || consent.current().asks();
    let policy_changed = move || consent.current().policy_changed;
    let banner = NodeRef::<html::Section>::new();
    keep_focus_clear_of(banner);
    view! {
        <Show when=undecided>
            <section node_ref=banner class="cookie-banner" aria-labelledby="cookie-banner-title">
                <div class="container banner-inner">
                    <div class="banner-text">
                        <h2 id="cookie-banner-title">{BANNER_TITLE}</h2>
                        <Show when=policy_changed>
                            <p class="policy-changed">{POLICY_CHANGED}</p>
                        </Show>
                        <p>
                            {BANNER_TEXT}
                            " "
                            <a href="/cookie-notice">"Read our Cookie Notice"</a>
                            "."
                        </p>
                        <SaveError />
                    </div>
                    <ChoiceForm source="banner">
                        <div class="banner-actions">
                            <div class="choice-row">
                                <ChoiceButton choice="accept" class="button-choice" label="Accept" />
                                <ChoiceButton choice="reject" class="button-choice" label="Reject" />
                            </div>
                            <PreferencesLink class="preferences-link" label="Preferences" />
                        </div>
                    </ChoiceForm>
                </div>
            </section>
        </Show>
    }
}

/// Scrolls whatever receives focus above the fixed banner, so the banner never hides it.
fn keep_focus_clear_of(banner: NodeRef<html::Section>) {
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::focusin, move |ev| {
            let (Some(banner), Some(target)) = (
                banner.get_untracked(),
                ev.target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok()),
            ) else {
                return;
            };
            // Once a choice is made the banner is gone (the node ref may still hold it).
            if !banner.is_connected() || banner.contains(Some(&target)) {
                return;
            }
            let hidden_by = target.get_bounding_client_rect().bottom()
                - banner.get_bounding_client_rect().top();
            if hidden_by > 0.0 {
                window().scroll_by_with_x_and_y(0.0, hidden_by + 16.0);
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = banner;
}

#[component]
fn PreferencesDialog() -> impl IntoView {
    let consent = Consent::expect();
    let dialog = NodeRef::<html::Dialog>::new();
    let analytics = RwSignal::new(consent.current_untracked().analytics_granted());

    // Opening shows the saved choice, not whatever was toggled and then abandoned.
    Effect::new(move |_| {
        let open = consent.dialog_open.get();
        let Some(dialog) = dialog.get() else { return };
        if open && !dialog.open() {
            analytics.set(consent.current_untracked().analytics_granted());
            consent.error.set(None);
            // A modal dialog returns focus to the element that had it when it closes.
            let _ = dialog.show_modal();
        } else if !open && dialog.open() {
            dialog.close();
        }
    });
    // Escape, the close button and a save all end here.
    let on_close = move |_| consent.dialog_open.set(false);

    view! {
        <dialog
            node_ref=dialog
            class="preferences-dialog"
            aria-labelledby="preferences-title"
            on:close=on_close
        >
            <div class="dialog-header">
                <h2 id="preferences-title">{DIALOG_TITLE}</h2>
                <button
                    type="button"
                    class="dialog-close"
                    aria-label="Close without saving"
                    on:click=move |_| consent.dialog_open.set(false)
                >
                    "×"
                </button>
            </div>
            <p class="dialog-intro">{DIALOG_INTRO}</p>
            <GpcNotice />
            <SaveError />
            <ConsentForm id_prefix="dialog" analytics />
        </dialog>
    }
}

/// The categories with their toggles, and Save / Accept all / Reject all.
#[component]
fn ConsentForm(id_prefix: &'static str, analytics: RwSignal<bool>) -> impl IntoView {
    // The attribute renders on the server; the property follows the signal once hydrated.
    let initially_on = analytics.get_untracked();
    view! {
        <ChoiceForm source="settings">
            <ul class="category-toggles">
                {CATALOG
                    .iter()
                    .map(|c| {
                        let id = format!("{id_prefix}-{}", c.category.key());
                        let toggle = if c.can_disable {
                            view! {
                                <input
                                    type="checkbox"
                                    role="switch"
                                    id=id.clone()
                                    name=format!("categories[{}]", c.category.key())
                                    value="granted"
                                    checked=initially_on && c.category == Category::Analytics
                                    prop:checked=move || analytics.get()
                                    on:change=move |ev| analytics.set(event_target_checked(&ev))
                                />
                            }
                                .into_any()
                        } else {
                            view! {
                                <input type="checkbox" role="switch" id=id.clone() checked disabled />
                            }
                                .into_any()
                        };
                        view! {
                            <li class="category" data-category=c.category.key()>
                                <div class="category-head">
                                    <label for=id>{c.name}</label>
                                    {toggle}
                                </div>
                                <p>
                                    {c.purpose} ". "
                                    {if c.can_disable { "" } else { "Always on. " }}
                                    <span class="muted">{c.examples}</span>
                                </p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div class="form-actions">
                <ChoiceButton choice="save" class="button-primary" label="Save" />
                <ChoiceButton choice="accept" class="button-secondary" label="Accept all" />
                <ChoiceButton choice="reject" class="button-secondary" label="Reject all" />
            </div>
        </ChoiceForm>
    }
}

/// `navigator.globalPrivacyControl`.
#[cfg(feature = "hydrate")]
fn browser_sends_gpc() -> bool {
    js_sys::Reflect::get(&window().navigator(), &"globalPrivacyControl".into())
        .is_ok_and(|v| v.as_bool() == Some(true))
}

pub const GPC_HONOURED: &str =
    "Your browser's Global Privacy Control signal is honoured: analytics is off.";

/// Says so when the browser's privacy signal decided for a visitor who has not chosen.
/// An island, for the footer; inside another island it is part of that one.
#[island]
pub fn GpcNotice() -> impl IntoView {
    let consent = Consent::expect();
    move || {
        consent
            .current()
            .gpc
            .then(|| view! { <p class="gpc-notice">{GPC_HONOURED}</p> })
    }
}

/// A consent form. It posts to the server function as a plain form, which works before and
/// without JavaScript; once hydrated, a submit dispatches the server action instead. That is
/// what Leptos' `ActionForm` does too, but its generic form decoder cost 26 KB of gzipped WASM.
#[component]
fn ChoiceForm(source: &'static str, children: Children) -> impl IntoView {
    let consent = Consent::expect();
    let return_to = consent.return_to.get_value();
    view! {
        <form method="post" action=SaveConsent::url() on:submit=move |ev| consent.submit(&ev, source)>
            <input type="hidden" name="source" value=source />
            <input type="hidden" name="return_to" value=return_to />
            {children()}
        </form>
    }
}

/// A submit button of a consent form; disabled while a save is under way, so one click is
/// one decision.
#[component]
fn ChoiceButton(choice: &'static str, class: &'static str, label: &'static str) -> impl IntoView {
    let pending = Consent::expect().save.pending();
    view! {
        <button
            type="submit"
            name="choice"
            value=choice
            class=format!("button {class}")
            disabled=move || pending.get()
        >
            {label}
        </button>
    }
}

/// Opens the preferences: the dialog once hydrated, the `/cookie-settings` page before or
/// without JavaScript. "Preferences" in the banner, "Cookie Settings" in every footer.
#[component]
fn PreferencesLink(class: &'static str, label: &'static str) -> impl IntoView {
    let consent = Consent::expect();
    view! {
        <a
            href="/cookie-settings"
            class=class
            aria-haspopup="dialog"
            on:click=move |ev| consent.open_from_link(ev)
        >
            {label}
        </a>
    }
}

/// "Cookie Settings" in every footer.
#[island]
pub fn CookieSettingsLink() -> impl IntoView {
    view! { <PreferencesLink class="cookie-settings-link" label="Cookie Settings" /> }
}

/// The `/cookie-settings` page's state and form: the choice in force, then the toggles.
#[island]
pub fn SettingsPanel() -> impl IntoView {
    let consent = Consent::expect();
    move || {
        let snapshot = consent.current();
        let analytics = RwSignal::new(snapshot.analytics_granted());
        let summary = match snapshot.decision {
            Some(decision) => view! { <DecisionSummary decision /> }.into_any(),
            None => view! {
                <p class="decision-summary">
                    "You have not made a choice yet: analytics is off."
                </p>
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
fn DecisionSummary(decision: Decision) -> impl IntoView {
    view! {
        <p class="decision-summary">
            "Your current choice: analytics "
            <strong>{if decision.analytics { "allowed" } else { "refused" }}</strong>
            ", decided on " {utc_date(decision.decided_at)} " (UTC). Decision id: "
            <code class="consent-id">{decision.id.to_string()}</code>
        </p>
    }
}

/// `YYYY-MM-DD` of a Unix time, computed the same way on the server and in the browser.
fn utc_date(unix_secs: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (unix_secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::utc_date;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_764_390_000), "2025-11-29");
        assert_eq!(utc_date(1_798_761_599), "2026-12-31");
    }
}
