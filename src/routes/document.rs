//! The operator's documents (privacy, terms, acceptable use), rendered from `content/`.

use crate::content;
use leptos::prelude::*;
use leptos_meta::Title;

/// An operator-supplied document from `content/`.
#[component]
pub fn DocumentPage(slug: &'static str) -> impl IntoView {
    view! {
        <article class="section">
            <Suspense fallback=|| view! { <p class="container">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match content::load(slug).await {
                        Some(doc) => {
                            view! {
                                <Title text=doc.title />
                                <div class="container prose" inner_html=doc.html></div>
                            }
                                .into_any()
                        }
                        None => {
                            view! {
                                <Title text="Document unavailable" />
                                <div class="container prose">
                                    <h1>"Document unavailable"</h1>
                                    <p>"This document could not be loaded. Please try again later."</p>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </article>
    }
}
