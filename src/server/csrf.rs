//! The same-origin rule for server functions: a post must show that it comes from this site.

use crate::config::origin::Origin;
use axum::http::{header, HeaderMap, HeaderValue};

/// The site's origin is the configured public one (scheme, host and port); without one, in
/// development, `http://` and the request's `Host`.
///
/// `Origin` must be that origin; without it, `Sec-Fetch-Site` must say same-origin; without
/// either, the `Referer` must be on that origin. A request that shows none of them is refused.
/// Lax cookies alone would not be enough: another port of the same host is the same site.
pub fn is_same_origin(headers: &HeaderMap, public_origin: Option<&Origin>) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let site = match public_origin {
        Some(origin) => Some(origin.clone()),
        None => text(header::HOST).and_then(Origin::http),
    };
    let Some(site) = site else {
        return false;
    };
    let ours = |url: &str| Origin::of_url(url).is_some_and(|o| o == site);
    if let Some(origin) = text(header::ORIGIN) {
        return ours(origin);
    }
    if let Some(fetch_site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return fetch_site == "same-origin";
    }
    text(header::REFERER).is_some_and(ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn same_origin_needs_evidence() {
        let host = ("host", "leadistry.com");
        for (evidence, same) in [
            (("origin", "http://leadistry.com"), true),
            (("origin", "http://LEADISTRY.com"), true),
            (("origin", "https://leadistry.com"), false),
            (("origin", "https://evil.example"), false),
            (("origin", "http://leadistry.com.evil.example"), false),
            (("origin", "null"), false),
            (("sec-fetch-site", "same-origin"), true),
            (("sec-fetch-site", "cross-site"), false),
            (("sec-fetch-site", "same-site"), false),
            (("referer", "http://leadistry.com/x?y"), true),
            (("referer", "https://evil.example/leadistry.com"), false),
            (("referer", "http://leadistry.com@evil.example/"), false),
        ] {
            assert_eq!(
                is_same_origin(&headers(&[host, evidence]), None),
                same,
                "{evidence:?}"
            );
        }
        assert!(
            !is_same_origin(&headers(&[host]), None),
            "no evidence at all"
        );
        assert!(
            !is_same_origin(&headers(&[("origin", "http://leadistry.com")]), None),
            "no host"
        );
        // Origin decides when present, even if the other headers would agree.
        assert!(!is_same_origin(
            &headers(&[
                host,
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin")
            ]),
            None
        ));
    }

    #[test]
    fn behind_a_proxy_the_public_origin_decides_not_the_host_header() {
        let public = Origin::parse_setting("https://www.leadistry.com").unwrap();
        let proxied = ("host", "127.0.0.1:3000");
        for (evidence, same) in [
            (("origin", "https://www.leadistry.com"), true),
            (("origin", "http://www.leadistry.com"), false),
            (("origin", "https://www.leadistry.com:8443"), false),
            (("origin", "http://127.0.0.1:3000"), false),
            (("origin", "https://app.leadistry.com"), false),
            (("referer", "https://www.leadistry.com/privacy"), true),
            (("referer", "http://www.leadistry.com/privacy"), false),
        ] {
            assert_eq!(
                is_same_origin(&headers(&[proxied, evidence]), Some(&public)),
                same,
                "{evidence:?}"
            );
        }
        assert!(is_same_origin(
            &headers(&[("origin", "https://www.leadistry.com")]),
            Some(&public)
        ));
    }
}
