//! The consent cookie on the wire: reading it from a request, writing and expiring cookies.

use super::decision::Decision;
use crate::catalog::{CLARITY_FIRST_PARTY_COOKIES, CONSENT_COOKIE};
use crate::config::SiteSettings;
use codee::{string::FromToStringCodec, Encoder};
use http::{header::COOKIE, HeaderMap, HeaderValue};

/// What the request says in its `lf_cookie_consent` cookie.
#[derive(Debug, PartialEq, Eq)]
pub enum ConsentCookie {
    Absent,
    Value(String),
    /// Several different values at once: none of them can be trusted.
    Ambiguous,
}

pub fn read(headers: &HeaderMap) -> ConsentCookie {
    let mut found: Option<&str> = None;
    // Non-UTF-8 `Cookie` headers are skipped: they cannot hold a cookie this site wrote.
    let pairs = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='));
    for (name, value) in pairs {
        if name.trim() != CONSENT_COOKIE {
            continue;
        }
        let value = value.trim();
        match found {
            Some(previous) if previous != value => return ConsentCookie::Ambiguous,
            _ => found = Some(value),
        }
    }
    found.map_or(ConsentCookie::Absent, |v| {
        ConsentCookie::Value(v.to_string())
    })
}

fn secure(settings: &SiteSettings) -> &'static str {
    if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// `HttpOnly`: the server renders the state; scripts have no reason to read the cookie.
pub fn set_consent(decision: &Decision, settings: &SiteSettings) -> HeaderValue {
    let value = FromToStringCodec::encode(decision).expect("Display cannot fail");
    let max_age = super::api::server::policy(settings).lifetime_secs;
    let cookie = format!(
        "{CONSENT_COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Lax; HttpOnly{}",
        secure(settings)
    );
    HeaderValue::from_str(&cookie).expect("the encoding is cookie-safe")
}

/// Expires Clarity's cookies on the host and on the configured parent domain, where Clarity
/// writes them when it can.
pub fn expire_clarity(settings: &SiteSettings) -> Vec<HeaderValue> {
    let domains = std::iter::once(String::new()).chain(
        settings
            .cookie_domain
            .iter()
            .map(|domain| format!("; Domain={domain}")),
    );
    domains
        .flat_map(|domain| {
            CLARITY_FIRST_PARTY_COOKIES.iter().map(move |name| {
                let cookie = format!("{name}=; Max-Age=0; Path=/{domain}");
                HeaderValue::from_str(&cookie).expect("validated domain")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::decision::{ConsentId, Method};
    use std::path::PathBuf;

    fn settings(secure: bool, domain: Option<&str>) -> SiteSettings {
        SiteSettings {
            clarity_project_id: None,
            policy_revision: 1,
            consent_lifetime_days: 182,
            cookie_domain: domain.map(str::to_string),
            secure_cookies: secure,
            content_dir: PathBuf::from("content"),
            database_url: String::new(),
            receipt_retention_days: 1095,
        }
    }

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    #[test]
    fn reads_the_consent_cookie_among_others() {
        let h = headers(&[b"lf_token=abc; lf_cookie_consent=1.1.2.x.1.b; _clck=z"]);
        assert_eq!(read(&h), ConsentCookie::Value("1.1.2.x.1.b".into()));
        assert_eq!(read(&headers(&[b"lf_token=abc"])), ConsentCookie::Absent);
        assert_eq!(read(&HeaderMap::new()), ConsentCookie::Absent);
    }

    #[test]
    fn conflicting_values_are_ambiguous_and_duplicates_are_not() {
        let h = headers(&[b"lf_cookie_consent=a", b"lf_cookie_consent=b"]);
        assert_eq!(read(&h), ConsentCookie::Ambiguous);
        let same = headers(&[b"lf_cookie_consent=a; lf_cookie_consent=a"]);
        assert_eq!(read(&same), ConsentCookie::Value("a".into()));
    }

    #[test]
    fn non_utf8_headers_are_skipped() {
        let h = headers(&[b"lf_cookie_consent=\xff\xfe", b"lf_cookie_consent=ok"]);
        assert_eq!(read(&h), ConsentCookie::Value("ok".into()));
    }

    #[test]
    fn the_consent_cookie_has_the_promised_attributes() {
        let decision = Decision {
            revision: 1,
            decided_at: 1_764_390_000,
            id: ConsentId(7),
            analytics: false,
            method: Method::Form,
        };
        let plain = set_consent(&decision, &settings(false, None));
        assert_eq!(
            plain.to_str().unwrap(),
            "lf_cookie_consent=1.1.1764390000.00000000000000000000000000000007.0.f; \
             Path=/; Max-Age=15724800; SameSite=Lax; HttpOnly"
        );
        let secure = set_consent(&decision, &settings(true, None));
        assert!(secure.to_str().unwrap().ends_with("; HttpOnly; Secure"));
        assert!(plain.len() < 200);
    }

    #[test]
    fn clarity_cookies_expire_on_host_and_parent_domain_and_nothing_else() {
        let host_only: Vec<_> = expire_clarity(&settings(true, None));
        assert_eq!(
            host_only,
            ["_clck=; Max-Age=0; Path=/", "_clsk=; Max-Age=0; Path=/"]
        );
        let both = expire_clarity(&settings(true, Some("leadistry.com")));
        assert_eq!(both.len(), 4);
        assert!(both
            .iter()
            .any(|h| h == "_clck=; Max-Age=0; Path=/; Domain=leadistry.com"));
        assert!(both
            .iter()
            .all(|h| !h.to_str().unwrap().contains("lf_token")));
    }
}
