//! The render cache: a page that does not depend on the visitor is rendered once per path,
//! class of visitor and encoding, and then served from memory, compressed.
//!
//! Which pages: a GET whose visitor has no decision in force (undecided, asked again after a
//! policy change, or refused by Global Privacy Control: the three classes), answered 200 with
//! HTML. Such a page carries nothing of the visitor: the policy names its inline sources by
//! hash (no nonce) and pages set no cookie. A decided visitor's page carries the decision and
//! its id, so it is rendered each time. The revision is the server's own (one per process),
//! and entries live at most `TTL`, so an edited document in `content/` shows within it.

use crate::consent::server::VisitorConsent;
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How long a page is served from memory before it is rendered again.
const TTL: Duration = Duration::from_secs(60);
/// The largest page kept; a larger one is served as rendered.
const LARGEST_PAGE: usize = 512 * 1024;

/// The encodings a page is kept in, as the compression layer makes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The client's preferred one of the three (by `q`, then Brotli before gzip).
    fn accepted(headers: &HeaderMap) -> Self {
        let (mut br, mut gzip) = (0.0, 0.0);
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            for item in value.to_str().unwrap_or_default().split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                    .unwrap_or(0.0);
                match name {
                    "br" => br = q,
                    "gzip" => gzip = q,
                    "*" => {
                        br = if br == 0.0 { q } else { br };
                        gzip = if gzip == 0.0 { q } else { gzip };
                    }
                    _ => {}
                }
            }
        }
        match () {
            _ if br > 0.0 && br >= gzip => Self::Brotli,
            _ if gzip > 0.0 => Self::Gzip,
            _ => Self::Identity,
        }
    }

    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
            Self::Identity => "identity",
        })
    }
}

/// A visitor class whose pages are all the same: (asked again after a policy change, GPC).
type Class = (bool, bool);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    path: String,
    class: Class,
    encoding: Encoding,
}

struct Page {
    headers: HeaderMap,
    body: Bytes,
    made: Instant,
}

#[derive(Default)]
struct Pages {
    pages: HashMap<Key, Page>,
    /// Oldest first: what goes when the budget is full.
    order: VecDeque<Key>,
    bytes: usize,
}

/// Pages kept compressed in at most `budget` bytes (bodies and paths).
#[derive(Clone)]
pub struct RenderCache {
    pages: Arc<Mutex<Pages>>,
    budget: usize,
}

impl RenderCache {
    pub fn new(budget: usize) -> Self {
        Self {
            pages: Arc::default(),
            budget,
        }
    }

    /// The key of a request whose page may be kept, with its `Accept-Encoding` made exactly
    /// the encoding of the key (so that the compression layer makes that one).
    fn key(&self, request: &mut Request) -> Option<Key> {
        if self.budget == 0 || request.method() != Method::GET {
            return None;
        }
        let VisitorConsent(visitor) = request.extensions().get::<VisitorConsent>()?;
        if visitor.decision.is_some() {
            return None;
        }
        let class = (visitor.policy_changed, visitor.gpc);
        let encoding = Encoding::accepted(request.headers());
        request
            .headers_mut()
            .insert(header::ACCEPT_ENCODING, encoding.header());
        let path = request.uri().path_and_query()?.as_str().to_owned();
        Some(Key {
            path,
            class,
            encoding,
        })
    }

    fn get(&self, key: &Key) -> Option<Response> {
        let pages = self.pages.lock().ok()?;
        let page = pages.pages.get(key)?;
        if page.made.elapsed() > TTL {
            return None;
        }
        let mut response = Body::from(page.body.clone()).into_response();
        *response.headers_mut() = page.headers.clone();
        Some(response)
    }

    fn put(&self, key: Key, headers: HeaderMap, body: Bytes) {
        let size = body.len() + key.path.len();
        if size > self.budget {
            return;
        }
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        let page = Page {
            headers,
            body,
            made: Instant::now(),
        };
        if let Some(old) = pages.pages.insert(key.clone(), page) {
            pages.bytes -= old.body.len() + key.path.len();
            pages.order.retain(|k| k != &key);
        }
        pages.bytes += size;
        pages.order.push_back(key);
        while pages.bytes > self.budget {
            let Some(oldest) = pages.order.pop_front() else {
                break;
            };
            if let Some(old) = pages.pages.remove(&oldest) {
                pages.bytes -= old.body.len() + oldest.path.len();
            }
        }
        metrics::gauge!("leadistry_render_cache_bytes").set(pages.bytes as f64);
    }
}

/// Serves a kept page, or renders it and keeps it if it may be kept.
pub async fn serve_cached(
    State(cache): State<RenderCache>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(key) = cache.key(&mut request) else {
        return next.run(request).await;
    };
    if let Some(page) = cache.get(&key) {
        metrics::counter!("leadistry_render_cache_total", "result" => "hit").increment(1);
        return page;
    }
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if response.status() != StatusCode::OK || !html {
        return response;
    }
    metrics::counter!("leadistry_render_cache_total", "result" => "miss").increment(1);
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, LARGEST_PAGE).await {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, path = key.path, "a page could not be read to be kept");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    cache.put(key, parts.headers.clone(), body.clone());
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(value: &str) -> Encoding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        Encoding::accepted(&headers)
    }

    #[test]
    fn the_encoding_is_the_clients_preferred_one() {
        assert_eq!(accepted("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accepted("gzip"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0.5, gzip"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0, gzip;q=0"), Encoding::Identity);
        assert_eq!(accepted("identity"), Encoding::Identity);
        assert_eq!(accepted("*"), Encoding::Brotli);
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn the_oldest_pages_go_when_the_budget_is_full() {
        let cache = RenderCache::new(250);
        let key = |path: &str| Key {
            path: path.into(),
            class: (false, false),
            encoding: Encoding::Identity,
        };
        for path in ["/a", "/b", "/c"] {
            cache.put(key(path), HeaderMap::new(), Bytes::from(vec![b'x'; 100]));
        }
        assert!(cache.get(&key("/a")).is_none());
        assert!(cache.get(&key("/b")).is_some() && cache.get(&key("/c")).is_some());
        assert!(cache.pages.lock().unwrap().bytes <= 250);
        cache.put(key("/c"), HeaderMap::new(), Bytes::from(vec![b'y'; 10]));
        assert_eq!(cache.pages.lock().unwrap().bytes, 100 + 2 + 10 + 2);
        cache.put(key("/big"), HeaderMap::new(), Bytes::from(vec![b'z'; 300]));
        assert!(cache.get(&key("/big")).is_none());
    }
}
