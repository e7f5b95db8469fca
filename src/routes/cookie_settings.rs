//! `/cookie-settings`: the preferences as a page, where "Cookie Settings" leads without JavaScript.

use crate::components::consent::{form::ErrorNote, settings::SettingsPanel};
use crate::consent::server::save_failure;
use crate::wording::WORDING;
use leptos::prelude::*;
use leptos_meta::Title;

/// The preferences as a page: where "Cookie Settings" leads when JavaScript is off.
#[component]
pub fn CookieSettingsPage() -> impl IntoView {
    view! {
        <Title text=WORDING.cookie_settings />
        <section class="section">
            <div class="container prose">
                <h1>{WORDING.cookie_settings}</h1>
                <p>
                    {WORDING.settings_page.intro} " "
                    <a href="/cookie-notice">{WORDING.read_notice}</a>
                    "."
                </p>
                {save_failure().map(|message| view! { <ErrorNote message /> })}
                <SettingsPanel />
            </div>
        </section>
    }
}
