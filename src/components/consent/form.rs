//! The consent form and its parts, shared by the banner, the dialog and the settings page.

use super::context::use_consent;
use crate::catalog::{Category, CATALOG};
use crate::consent::form::{self, category_field, Action, Source};
use crate::save::SaveConsent;
use crate::wording::WORDING;
use leptos::{prelude::*, server_fn::ServerFn};

/// A consent form. It posts to the server function as a plain form, which works before and
/// without JavaScript; once hydrated, a submit posts the same fields with `fetch`
/// (`Consent::submit`). Leptos' `ActionForm` would do that too, but its generic form decoder
/// weighs on the bundle (docs/benchmarks.md, hand-written code).
#[component]
pub fn ChoiceForm(source: Source, children: Children) -> impl IntoView {
    let consent = use_consent();
    view! {
        <form
            method="post"
            action=SaveConsent::url()
            data-consent-control
            on:submit=move |ev| consent.submit(&ev)
        >
            <input type="hidden" name=form::SOURCE value=source.value() />
            <input type="hidden" name=form::RETURN_TO value=consent.return_to() />
            {children()}
        </form>
    }
}

/// A submit button of a consent form; disabled while a save is under way, so one click is
/// one decision.
#[component]
pub fn ChoiceButton(action: Action, class: &'static str, label: &'static str) -> impl IntoView {
    let consent = use_consent();
    view! {
        <button
            type="submit"
            name=form::CHOICE
            value=action.value()
            class=format!("button {class}")
            disabled=move || consent.pending()
        >
            {label}
        </button>
    }
}

/// The categories with their toggles, and Save / Accept all / Reject all.
#[component]
pub fn ConsentForm(id_prefix: &'static str, analytics: RwSignal<bool>) -> impl IntoView {
    // The attribute renders on the server; the property follows the signal once hydrated.
    let initially_on = analytics.get_untracked();
    let text = &WORDING.preferences;
    view! {
        <ChoiceForm source=Source::Settings>
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
                                    name=category_field(c.category)
                                    value=form::GRANTED
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
                                    {(!c.can_disable).then(|| view! { {text.always_on} " " })}
                                    <span class="muted">{c.examples}</span>
                                </p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div class="form-actions">
                <ChoiceButton action=Action::Save class="button-primary" label=text.save />
                <ChoiceButton action=Action::Accept class="button-secondary" label=text.accept_all />
                <ChoiceButton action=Action::Reject class="button-secondary" label=text.reject_all />
            </div>
        </ChoiceForm>
    }
}

/// Opens the preferences: the dialog once hydrated, the `/cookie-settings` page before or
/// without JavaScript. "Preferences" in the banner, "Cookie Settings" in every footer.
#[component]
pub fn PreferencesLink(class: &'static str, label: &'static str) -> impl IntoView {
    let consent = use_consent();
    view! {
        <a
            href="/cookie-settings"
            class=class
            aria-haspopup="dialog"
            data-consent-control
            on:click=move |ev| consent.open_from_link(ev)
        >
            {label}
        </a>
    }
}

/// Why the last save failed, until the next attempt.
#[component]
pub fn SaveError() -> impl IntoView {
    let consent = use_consent();
    move || {
        consent
            .error()
            .map(|message| view! { <ErrorNote message /> })
    }
}

/// A save that failed, said where the visitor is looking.
#[component]
pub fn ErrorNote(message: &'static str) -> impl IntoView {
    view! {
        <p class="consent-error" role="alert">
            {message}
        </p>
    }
}
