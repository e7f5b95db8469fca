//! The same-origin rule for server functions: a post must show that it comes from this site.

use axum::http::{header, HeaderMap, HeaderValue};

/// `Origin` must name this host; without it, `Sec-Fetch-Site` must say same-origin; without
/// either, the `Referer` must be on this host. A request that shows none of them is refused.
/// Lax cookies alone would not be enough: another port of the same host is the same site.
pub fn is_same_origin(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let Some(host) = text(header::HOST) else {
        return false;
    };
    let same_host = |url: &str| authority(url).is_some_and(|a| a.eq_ignore_ascii_case(host));
    if let Some(origin) = text(header::ORIGIN) {
        return same_host(origin);
    }
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin";
    }
    text(header::REFERER).is_some_and(same_host)
}

/// `host[:port]` of an absolute http(s) URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty() && !a.contains('@'))
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
            (("origin", "https://leadistry.com"), true),
            (("origin", "http://LEADISTRY.com"), true),
            (("origin", "https://evil.example"), false),
            (("origin", "https://leadistry.com.evil.example"), false),
            (("origin", "null"), false),
            (("sec-fetch-site", "same-origin"), true),
            (("sec-fetch-site", "cross-site"), false),
            (("sec-fetch-site", "same-site"), false),
            (("referer", "https://leadistry.com/x?y"), true),
            (("referer", "https://evil.example/leadistry.com"), false),
            (("referer", "https://leadistry.com@evil.example/"), false),
        ] {
            assert_eq!(
                is_same_origin(&headers(&[host, evidence])),
                same,
                "{evidence:?}"
            );
        }
        assert!(!is_same_origin(&headers(&[host])), "no evidence at all");
        assert!(
            !is_same_origin(&headers(&[("origin", "https://leadistry.com")])),
            "no host"
        );
        // Origin decides when present, even if the other headers would agree.
        assert!(!is_same_origin(&headers(&[
            host,
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin")
        ])));
    }
}
