//! The render cache: the store of rendered pages and the middleware that serves from it.
//! Its rule: pages are kept per path and visitor class; decided visitors' pages are templates
//! filled with `Personal` texts only (`consent::personal`), nothing else of the visitor.
//!
//! - A visitor with no decision in force (undecided, asked again after a policy change, or
//!   refused by Global Privacy Control) gets the one page of their class: kept compressed in
//!   the encoding they accept, served as kept. Such a page carries nothing of the visitor: the
//!   policy names its inline sources by hash (no nonce) and pages set no cookie.
//! - A decided visitor gets the page of their choice (analytics granted or refused), rendered
//!   once with holes where their own texts stand, kept plain, and filled and compressed for
//!   each of them (`template`).
//!
//! Only GETs answered 200 with HTML are kept, for up to `TTL`. The revision is the server's
//! own (one per process), and an edited document in `content/` shows within `TTL`. Which
//! encoding a client accepts is `negotiation`'s; Brotli and gzip are `codec`'s.

mod codec;
mod negotiation;
pub mod template;

use crate::consent::{decision::Decision, personal::Holes, server::VisitorConsent};
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use negotiation::Encoding;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use template::Template;

/// How long a page is served from memory before it is rendered again.
const TTL: Duration = Duration::from_secs(60);
/// A page is read whole to be kept or filled; none comes near this (`/` is 21 KB). One over
/// the budget is served but not kept.
const LARGEST_PAGE: usize = 16 * 1024 * 1024;

/// Visitors whose page on a path is the same page, apart from their own texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Class {
    /// No decision in force; asked again after a policy change or not, GPC or not.
    Undecided { policy_changed: bool, gpc: bool },
    /// A decision in force that grants analytics or not.
    Decided { analytics: bool },
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Self::Undecided { .. } => "undecided",
            Self::Decided { .. } => "decided",
        }
    }
}

/// What is kept: a page in one encoding, or a decided visitor's template (plain).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    path: String,
    class: Class,
    encoding: Encoding,
}

/// A request whose page may be kept: its key, the encoding it accepts, and its decision.
struct Ask {
    key: Key,
    encoding: Encoding,
    decision: Option<Decision>,
}

/// A page as kept: as served, or a decided visitor's template.
#[derive(Clone)]
enum Kept {
    Page(Bytes),
    Template(Arc<Template>),
}

impl Kept {
    fn size(&self) -> usize {
        match self {
            Self::Page(body) => body.len(),
            Self::Template(template) => template.size(),
        }
    }
}

struct Page {
    headers: HeaderMap,
    kept: Kept,
    made: Instant,
}

/// A page's weight against the budget: its body or template, and its path.
#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Key, Arc<Page>> for Weight {
    fn weight(&self, key: &Key, page: &Arc<Page>) -> u64 {
        (page.kept.size() + key.path.len()) as u64
    }
}

/// Pages kept in at most `budget` bytes (bodies, templates and paths); quick_cache evicts
/// (CLOCK-PRO) when it is full. It serves `/` as fast as the hand-written oldest-first map it
/// replaced (A B A B, measured in 4ed76b2).
#[derive(Clone)]
pub struct RenderCache {
    pages: Option<Arc<quick_cache::sync::Cache<Key, Arc<Page>, Weight>>>,
    ttl: Duration,
}

/// A guess of a page's size for the cache's first table.
const TYPICAL_PAGE: usize = 16 * 1024;

impl RenderCache {
    /// With a `budget` of 0, nothing is kept.
    pub fn new(budget: usize) -> Self {
        let pages = (budget > 0).then(|| {
            let items = (budget / TYPICAL_PAGE).max(16);
            Arc::new(quick_cache::sync::Cache::with_weighter(
                items,
                budget as u64,
                Weight,
            ))
        });
        Self { pages, ttl: TTL }
    }

    /// What a request's page may be kept as, with its `Accept-Encoding` made exactly the
    /// encoding it accepts (so that the compression layer makes that one), and a decided
    /// visitor's page asked for with holes.
    fn ask(&self, request: &mut Request) -> Option<Ask> {
        if self.pages.is_none() || request.method() != Method::GET {
            return None;
        }
        let consent = request.extensions().get::<VisitorConsent>()?;
        let (visitor, decision) = (consent.state(), consent.decision().cloned());
        // A decided visitor's page is spliced in gzip, a shared one kept in Brotli.
        let first = match decision {
            Some(_) => Encoding::Gzip,
            None => Encoding::Brotli,
        };
        let encoding = Encoding::accepted(request.headers(), first);
        let (class, kept_as) = match &decision {
            None => (
                Class::Undecided {
                    policy_changed: visitor.policy_changed,
                    gpc: visitor.gpc,
                },
                encoding,
            ),
            Some(decision) => (
                Class::Decided {
                    analytics: decision.analytics,
                },
                Encoding::Identity,
            ),
        };
        let path = request.uri().path_and_query()?.as_str().to_owned();
        request
            .headers_mut()
            .insert(header::ACCEPT_ENCODING, encoding.header());
        if decision.is_some() {
            request.extensions_mut().insert(Holes);
        }
        Some(Ask {
            key: Key {
                path,
                class,
                encoding: kept_as,
            },
            encoding,
            decision,
        })
    }

    fn get(&self, key: &Key) -> Option<(HeaderMap, Kept)> {
        let page = self.pages.as_ref()?.get(key)?;
        if page.made.elapsed() > self.ttl {
            return None;
        }
        Some((page.headers.clone(), page.kept.clone()))
    }

    fn put(&self, key: Key, headers: HeaderMap, kept: Kept) {
        let Some(pages) = &self.pages else {
            return;
        };
        let page = Page {
            headers,
            kept,
            made: Instant::now(),
        };
        pages.insert(key, Arc::new(page));
        metrics::gauge!("leadistry_render_cache_bytes").set(pages.weight() as f64);
    }
}

/// Serves a kept page, or renders it and keeps it if it may be kept.
pub async fn serve_cached(
    State(cache): State<RenderCache>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(ask) = cache.ask(&mut request) else {
        return next.run(request).await;
    };
    let counted = |result: &'static str| {
        metrics::counter!("leadistry_render_cache_total", "class" => ask.key.class.label(),
            "result" => result)
        .increment(1);
    };
    // A class keeps one kind of page (undecided: a page, decided: a template).
    match (cache.get(&ask.key), &ask.decision) {
        (Some((headers, Kept::Page(body))), None) => {
            counted("hit");
            return with_headers(StatusCode::OK, headers, body.into());
        }
        (Some((headers, Kept::Template(template))), Some(decision)) => {
            counted("hit");
            return filled(StatusCode::OK, headers, &template, decision, ask.encoding);
        }
        _ => {}
    }
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A decided visitor's page has holes whatever its status: it is always filled.
    if !html || (response.status() != StatusCode::OK && ask.decision.is_none()) {
        return response;
    }
    counted("miss");
    let (parts, body) = response.into_parts();
    let keep = parts.status == StatusCode::OK;
    let unreadable = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, path = ask.key.path, "a page could not be read to be kept");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    };
    let body = match axum::body::to_bytes(body, LARGEST_PAGE).await {
        Ok(body) => body,
        Err(error) => return unreadable(&error),
    };
    let Some(decision) = &ask.decision else {
        if keep {
            cache.put(ask.key, parts.headers.clone(), Kept::Page(body.clone()));
        }
        return Response::from_parts(parts, Body::from(body));
    };
    let template = match codec::decode(Encoding::of(&parts.headers), &body)
        .and_then(|page| Template::new(&page))
    {
        Ok(template) => Arc::new(template),
        Err(error) => return unreadable(&error),
    };
    let mut headers = parts.headers;
    headers.remove(header::CONTENT_ENCODING);
    headers.remove(header::CONTENT_LENGTH);
    if keep {
        cache.put(
            ask.key.clone(),
            headers.clone(),
            Kept::Template(template.clone()),
        );
    }
    filled(parts.status, headers, &template, decision, ask.encoding)
}

/// A decided visitor's page: the template with their own texts, in the encoding they accept
/// (gzip before Brotli: gzip is spliced, Brotli compressed for each page).
fn filled(
    status: StatusCode,
    mut headers: HeaderMap,
    template: &Template,
    decision: &Decision,
    accepted: Encoding,
) -> Response {
    let (encoding, body) = match accepted {
        Encoding::Identity => (accepted, template.plain(decision)),
        Encoding::Gzip => (accepted, template.gzip(decision)),
        Encoding::Brotli => {
            let page = template.plain(decision);
            match codec::brotli(&page) {
                Ok(body) => (accepted, body),
                Err(error) => {
                    tracing::warn!(%error, "a page could not be compressed: sent plain");
                    (Encoding::Identity, page)
                }
            }
        }
    };
    if encoding != Encoding::Identity {
        headers.insert(header::CONTENT_ENCODING, encoding.header());
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    with_headers(status, headers, body.into())
}

fn with_headers(status: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut response = body.into_response();
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_kept_within_the_budget() {
        let budget = 64 * 1024;
        let cache = RenderCache::new(budget);
        let key = |path: String| Key {
            path,
            class: Class::Undecided {
                policy_changed: false,
                gpc: false,
            },
            encoding: Encoding::Identity,
        };
        for n in 0..100 {
            let body = Kept::Page(Bytes::from(vec![b'x'; 4000]));
            cache.put(key(format!("/{n}")), HeaderMap::new(), body);
        }
        let pages = cache.pages.as_ref().unwrap();
        assert!(pages.weight() <= budget as u64);
        assert!(pages.len() >= 8, "{} kept", pages.len());
        assert!(
            cache.get(&key("/99".into())).is_some(),
            "the newest is kept"
        );
        assert!(RenderCache::new(0).pages.is_none());
    }

    #[test]
    fn a_page_is_rendered_again_after_its_time() {
        let cache = RenderCache {
            ttl: Duration::from_millis(50),
            ..RenderCache::new(64 * 1024)
        };
        let key = Key {
            path: "/".into(),
            class: Class::Decided { analytics: true },
            encoding: Encoding::Identity,
        };
        let page = Kept::Page(Bytes::from_static(b"<p>kept</p>"));
        cache.put(key.clone(), HeaderMap::new(), page);
        assert!(cache.get(&key).is_some());
        std::thread::sleep(Duration::from_millis(80));
        assert!(cache.get(&key).is_none(), "older than its time");
    }
}
