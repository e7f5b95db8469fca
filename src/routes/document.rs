use leptos::prelude::*;
use leptos_meta::Title;
/// An operator-supplied document from `content/`, rendered from Markdown on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub html: String,
}

/// Reads a document while the page renders; a missing one makes the page a 404.
async fn load_document(slug: &str) -> Option<Document> {
    use crate::config::SiteSettings;
    use std::sync::Arc;

    let settings = use_context::<Arc<SiteSettings>>()?;
    match crate::server::documents::read(&settings.content_dir, slug).await {
        Ok(document) => Some(document),
        Err(error) => {
            tracing::error!(%slug, %error, "document unavailable");
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::NOT_FOUND);
            }
            None
        }
    }
}

#[component]
pub fn DocumentPage(slug: &'static str) -> impl IntoView {
    view! {
        <article class="section">
            <Suspense fallback=|| view! { <p class="container">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match load_document(slug).await {
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
