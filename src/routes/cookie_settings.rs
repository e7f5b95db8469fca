use crate::components::consent::{Consent, ConsentForm, DecisionSummary, GpcNotice};
use leptos::prelude::*;
use leptos_meta::Title;

/// The preferences as a page: where "Cookie Settings" leads when JavaScript is off.
#[component]
pub fn CookieSettingsPage() -> impl IntoView {
    let consent = Consent::expect();
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
                <Suspense>
                    {move || {
                        consent
                            .current()
                            .map(|snapshot| {
                                let analytics = RwSignal::new(snapshot.analytics_granted());
                                view! {
                                    <div class="settings-panel" role="status">
                                        {match snapshot.decision {
                                            Some(decision) => {
                                                view! { <DecisionSummary decision /> }.into_any()
                                            }
                                            None => {
                                                view! {
                                                    <p class="decision-summary">
                                                        "You have not made a choice yet: analytics is off."
                                                    </p>
                                                    <GpcNotice />
                                                }
                                                    .into_any()
                                            }
                                        }}
                                    </div>
                                    <ConsentForm id_prefix="page" analytics />
                                }
                            })
                    }}
                </Suspense>
            </div>
        </section>
    }
}
