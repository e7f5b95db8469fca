//! Operator-supplied documents (`content/*.md`): the type, the loader and the renderer.

use crate::state::AppState;
use leptos::prelude::*;
use pulldown_cmark::{html, Event, HeadingLevel, Parser, Tag, TagEnd};
use std::path::Path;

/// A document rendered from Markdown on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub html: String,
}

/// The only documents that can be asked for; a slug is never used as a path otherwise.
pub const SLUGS: &[&str] = &["privacy", "terms", "acceptable-use"];

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("no such document")]
    Unknown,
    #[error("cannot read the document: {0}")]
    Unreadable(#[from] std::io::Error),
}

/// Reads a document while the page renders; a missing one makes the page a 404.
pub async fn load(slug: &str) -> Option<Document> {
    let state = AppState::from_context()?;
    match read(&state.settings.content_dir, slug).await {
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

pub async fn read(dir: &Path, slug: &str) -> Result<Document, DocumentError> {
    if !SLUGS.contains(&slug) {
        return Err(DocumentError::Unknown);
    }
    let text = tokio::fs::read_to_string(dir.join(format!("{slug}.md"))).await?;
    Ok(render(&text, slug))
}

/// Renders Markdown to HTML; the title is the text of the first level-1 heading.
pub fn render(markdown: &str, fallback_title: &str) -> Document {
    let mut title = String::new();
    let mut in_title = false;
    let events: Vec<Event> = Parser::new(markdown)
        .inspect(|event| match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) if title.is_empty() => in_title = true,
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => in_title = false,
            Event::Text(text) | Event::Code(text) if in_title => title.push_str(text),
            _ => {}
        })
        .collect();
    let mut body = String::new();
    html::push_html(&mut body, events.into_iter());
    Document {
        title: if title.is_empty() {
            fallback_title.to_string()
        } else {
            title
        },
        html: body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_comes_from_the_first_heading() {
        let doc = render("# Privacy Notice\n\nSome *text*.\n\n# Second", "privacy");
        assert_eq!(doc.title, "Privacy Notice");
        assert!(doc.html.contains("<h1>Privacy Notice</h1>"));
        assert!(doc.html.contains("<em>text</em>"));
    }

    #[test]
    fn untitled_document_uses_the_fallback() {
        assert_eq!(render("just text", "terms").title, "terms");
    }

    #[tokio::test]
    async fn only_known_slugs_are_read() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        assert!(matches!(
            read(&dir, "../Cargo").await,
            Err(DocumentError::Unknown)
        ));
        for slug in SLUGS {
            let doc = read(&dir, slug).await.expect("shipped document");
            assert!(doc.html.contains("maintained by Leadistry"), "{slug}");
        }
    }
}
