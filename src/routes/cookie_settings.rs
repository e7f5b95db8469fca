use crate::catalog::CATALOG;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CookieSettingsPage() -> impl IntoView {
    view! {
        <Title text="Cookie Settings" />
        <section class="section">
            <div class="container prose">
                <h1>"Cookie Settings"</h1>
                <p>"These are the kinds of cookies this site uses. Essential cookies are always on."</p>
                <ul class="category-list">
                    {CATALOG
                        .iter()
                        .map(|c| {
                            view! {
                                <li data-category=c.category.key()>
                                    <h2>{c.name}</h2>
                                    <p>{c.purpose} "."</p>
                                    <p class="muted">{c.examples}</p>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        </section>
    }
}
