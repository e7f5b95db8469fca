//! The first layer: Accept and Reject side by side, and Preferences.

use super::context::use_consent;
use super::form::{ChoiceButton, ChoiceForm, PreferencesLink, SaveError};
use crate::consent::form::{Action, Source};
use crate::wording::WORDING;
use leptos::{html, prelude::*};

#[component]
pub fn CookieBanner() -> impl IntoView {
    let consent = use_consent();
    let undecided = move || consent.current().asks();
    let policy_changed = move || consent.current().policy_changed;
    let banner = NodeRef::<html::Section>::new();
    keep_focus_clear_of(banner);
    let text = &WORDING.banner;
    view! {
        <Show when=undecided>
            <section
                node_ref=banner
                class="cookie-banner"
                aria-labelledby="cookie-banner-title"
                data-consent-control
            >
                <div class="container banner-inner">
                    // What CSS says here when a save made before the islands were ready
                    // failed (`src/islands.js`); the islands then say it themselves.
                    <div class="banner-text" data-not-saved=WORDING.errors.not_saved>
                        <h2 id="cookie-banner-title">{text.title}</h2>
                        <Show when=policy_changed>
                            <p class="policy-changed">{text.policy_changed}</p>
                        </Show>
                        <p>
                            {text.text}
                            " "
                            <a href="/cookie-notice">{WORDING.read_notice}</a>
                            "."
                        </p>
                        <SaveError />
                    </div>
                    <ChoiceForm source=Source::Banner>
                        <div class="banner-actions">
                            <div class="choice-row">
                                <ChoiceButton action=Action::Accept class="button-choice" label=text.accept />
                                <ChoiceButton action=Action::Reject class="button-choice" label=text.reject />
                            </div>
                            <PreferencesLink class="preferences-link" label=text.preferences />
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
        use leptos::wasm_bindgen::JsCast;
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
