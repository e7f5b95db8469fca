use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// An operator-supplied document from `content/`, rendered from Markdown on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub title: String,
    pub html: String,
}

#[server]
pub async fn load_document(slug: String) -> Result<Document, ServerFnError> {
    use crate::config::SiteSettings;
    use std::sync::Arc;

    let settings = use_context::<Arc<SiteSettings>>()
        .ok_or_else(|| ServerFnError::new("site settings are not in context"))?;
    match crate::server::documents::read(&settings.content_dir, &slug).await {
        Ok(document) => Ok(document),
        Err(error) => {
            tracing::error!(%slug, %error, "document unavailable");
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::NOT_FOUND);
            }
            Err(ServerFnError::new(error.to_string()))
        }
    }
}

#[component]
pub fn DocumentPage(slug: &'static str) -> impl IntoView {
    let document = Resource::new_blocking(move || slug, |slug| load_document(slug.to_string()));
    view! {
        <article class="section">
            <Suspense fallback=|| view! { <p class="container">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match document.await {
                        Ok(doc) => {
                            view! {
                                <Title text=doc.title />
                                <div class="container prose" inner_html=doc.html></div>
                            }
                                .into_any()
                        }
                        Err(_) => {
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
