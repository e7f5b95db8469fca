//! The consent cookie on the wire: reading it from a request, writing and expiring cookies.

use crate::catalog::{CLARITY_FIRST_PARTY_COOKIES, CONSENT_COOKIE};
use crate::config::SiteSettings;
use crate::consent::decision::{Decision, NoDecision, Policy};
use codee::{string::FromToStringCodec, Encoder};
use cookie::{time::Duration, Cookie, SameSite};
use http::{header::COOKIE, HeaderMap, HeaderValue};

/// What the request says in its `lf_cookie_consent` cookie.
#[derive(Debug, PartialEq, Eq)]
pub enum ConsentCookie {
    Absent,
    Value(String),
    /// Several different values at once: none of them can be trusted.
    Ambiguous,
}

/// Reads every `lf_cookie_consent` the request carries. The strict reader of its own: a
/// cookie jar would keep one value of a name, and the site must see them all.
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

/// The rules a consent cookie is judged by: the revision in force and the lifetime.
fn policy(settings: &SiteSettings) -> Policy {
    Policy {
        revision: settings.policy_revision,
        lifetime_secs: u64::from(settings.consent_lifetime_days) * 86_400,
    }
}

/// The decision the request's cookie holds, if it still counts at `now`.
pub fn decision(
    headers: &HeaderMap,
    settings: &SiteSettings,
    now: u64,
) -> Result<Decision, NoDecision> {
    match read(headers) {
        ConsentCookie::Absent => Err(NoDecision::Missing),
        ConsentCookie::Ambiguous => Err(NoDecision::Malformed),
        ConsentCookie::Value(value) => policy(settings).evaluate(Some(&value), now),
    }
}

fn header(cookie: Cookie<'_>) -> HeaderValue {
    HeaderValue::from_str(&cookie.to_string()).expect("cookie-safe by construction")
}

/// `HttpOnly`: the server renders the state; scripts have no reason to read the cookie.
pub fn set_consent(decision: &Decision, settings: &SiteSettings) -> HeaderValue {
    let value = FromToStringCodec::encode(decision).expect("Display cannot fail");
    let max_age = policy(settings).lifetime_secs;
    header(
        Cookie::build((CONSENT_COOKIE, value))
            .path("/")
            .max_age(Duration::seconds(max_age as i64))
            .same_site(SameSite::Lax)
            .http_only(true)
            .secure(settings.secure_cookies)
            .build(),
    )
}

/// Expires Clarity's cookies on the host and on the configured parent domain, where Clarity
/// writes them when it can.
pub fn expire_clarity(settings: &SiteSettings) -> Vec<HeaderValue> {
    let domains = std::iter::once(None).chain(settings.cookie_domain.as_deref().map(Some));
    domains
        .flat_map(|domain| {
            CLARITY_FIRST_PARTY_COOKIES.iter().map(move |name| {
                let mut cookie = Cookie::build((*name, "")).path("/").build();
                if let Some(domain) = domain {
                    cookie.set_domain(domain);
                }
                cookie.make_removal();
                header(cookie)
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

    fn parsed(value: &HeaderValue) -> Cookie<'static> {
        Cookie::parse(value.to_str().unwrap().to_string()).unwrap()
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
        let cookie = parsed(&plain);
        assert_eq!(cookie.name(), "lf_cookie_consent");
        assert_eq!(
            cookie.value(),
            "1.1.1764390000.00000000000000000000000000000007.0.f"
        );
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.max_age(), Some(Duration::seconds(15_724_800)));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), None);
        assert_eq!(cookie.domain(), None);
        let secure = parsed(&set_consent(&decision, &settings(true, None)));
        assert_eq!(secure.secure(), Some(true));
        assert!(plain.len() < 200);
    }

    #[test]
    fn clarity_cookies_expire_on_host_and_parent_domain_and_nothing_else() {
        let expired = |s: &SiteSettings| -> Vec<(String, Option<String>)> {
            expire_clarity(s)
                .iter()
                .map(parsed)
                .inspect(|c| {
                    assert_eq!(c.max_age(), Some(Duration::ZERO));
                    assert_eq!(c.path(), Some("/"));
                    assert_eq!(c.value(), "");
                })
                .map(|c| (c.name().to_string(), c.domain().map(str::to_string)))
                .collect()
        };
        assert_eq!(
            expired(&settings(true, None)),
            [("_clck".into(), None), ("_clsk".into(), None)]
        );
        let both = expired(&settings(true, Some("leadistry.com")));
        assert_eq!(both.len(), 4);
        assert!(both.contains(&("_clck".into(), Some("leadistry.com".into()))));
        assert!(both.contains(&("_clsk".into(), Some("leadistry.com".into()))));
        assert!(both.iter().all(|(name, _)| name != "lf_token"));
    }
}
