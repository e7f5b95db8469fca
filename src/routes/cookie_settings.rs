use crate::components::consent::SettingsPanel;
use leptos::prelude::*;
use leptos_meta::Title;

/// The preferences as a page: where "Cookie Settings" leads when JavaScript is off.
#[component]
pub fn CookieSettingsPage() -> impl IntoView {
    view! {
        <Title text="Cookie Settings" />
        <section class="section">
            <div class="container prose">
                <h1>"Cookie Settings"</h1>
                <p>
                    "Choose which cookies Leadistry may use. Essential cookies are always on; analytics runs only if you allow it. "
                    <a href="/cookie-notice">"Read our Cookie Notice"</a>
                    "."
                </p>
                <SettingsPanel />
            </div>
        </section>
    }
}
