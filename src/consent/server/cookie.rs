//! The consent cookie on the wire: signed, read among whatever else the request carries, and
//! the `Set-Cookie` headers that save a decision or expire Clarity's cookies.
//!
//! Any app on the parent domain, or on another port of the host, can set a cookie the browser
//! sends here. So the site reads only `lf_cookie_consent`, ignores every other cookie whatever
//! its bytes, and believes a consent cookie only with a MAC under its own key.

use crate::catalog::{CLARITY_FIRST_PARTY_COOKIES, CONSENT_COOKIE};
use crate::config::{keys::ConsentKeys, keys::SecretKey, SiteSettings};
use crate::consent::decision::{Decision, DecisionRules, NoDecision};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use codee::{string::FromToStringCodec, Encoder};
use cookie::{time::Duration, Cookie, SameSite};
use hmac::{Hmac, Mac};
use http::{header::COOKIE, HeaderMap, HeaderValue};
use sha2::Sha256;

/// Longer consent cookie values are not read: the site writes about 100 bytes.
pub const MAX_VALUE_BYTES: usize = 120;

/// The rules a consent cookie is judged by: the revision in force and the lifetime.
pub fn rules(settings: &SiteSettings) -> DecisionRules {
    DecisionRules {
        revision: settings.policy_revision,
        lifetime_secs: u64::from(settings.consent_lifetime_days) * 86_400,
    }
}

fn mac(key: &SecretKey, payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    // The name is signed too: a value made for another cookie is not a consent.
    mac.update(CONSENT_COOKIE.as_bytes());
    mac.update(b"=");
    mac.update(payload.as_bytes());
    mac
}

/// The cookie's value: the decision, a dot, and its HMAC-SHA256 under the current key.
pub fn sign(decision: &Decision, keys: &ConsentKeys) -> String {
    let payload = FromToStringCodec::encode(decision).expect("Display cannot fail");
    let tag = mac(&keys.current, &payload).finalize().into_bytes();
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// The decision a value holds, when one of the keys signed it.
pub fn verify(value: &str, keys: &ConsentKeys) -> Option<Decision> {
    let (payload, tag) = value.rsplit_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    keys.all()
        .any(|key| mac(key, payload).verify_slice(&tag).is_ok())
        .then(|| payload.parse().ok())
        .flatten()
}

/// Every `lf_cookie_consent` value the request carries; other cookies are skipped unread,
/// whatever their bytes.
fn values(headers: &HeaderMap) -> impl Iterator<Item = &[u8]> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|b| *b == b';'))
        .filter_map(|pair| {
            let pair = pair.trim_ascii();
            let equals = pair.iter().position(|b| *b == b'=')?;
            (pair[..equals].trim_ascii() == CONSENT_COOKIE.as_bytes())
                .then(|| pair[equals + 1..].trim_ascii())
        })
}

/// The decision the request's consent cookies hold, if one still counts at `now`: of several
/// signed ones (another path's, an older one the browser kept), the newest that counts.
pub fn decision(
    headers: &HeaderMap,
    keys: &ConsentKeys,
    rules: &DecisionRules,
    now: u64,
) -> Result<Decision, NoDecision> {
    let mut present = false;
    let mut signed: Vec<Decision> = values(headers)
        .inspect(|_| present = true)
        .filter(|value| value.len() <= MAX_VALUE_BYTES)
        .filter_map(|value| std::str::from_utf8(value).ok())
        .filter_map(|value| verify(value, keys))
        .collect();
    signed.sort_by_key(|d| std::cmp::Reverse(d.decided_at));
    let mut judged = signed.into_iter().map(|d| rules.judge(d, now));
    let newest = judged.next();
    match newest {
        Some(Ok(decision)) => Ok(decision),
        Some(Err(why)) => judged.find_map(Result::ok).ok_or(why),
        None if present => Err(NoDecision::Malformed),
        None => Err(NoDecision::Missing),
    }
}

fn header(cookie: Cookie<'_>) -> HeaderValue {
    HeaderValue::from_str(&cookie.to_string()).expect("cookie-safe by construction")
}

/// `HttpOnly`: the server renders the state; scripts have no reason to read the cookie.
/// `Secure` when visitors use https.
pub fn set_consent(
    decision: &Decision,
    keys: &ConsentKeys,
    settings: &SiteSettings,
) -> HeaderValue {
    header(
        Cookie::build((CONSENT_COOKIE, sign(decision, keys)))
            .path("/")
            .max_age(Duration::seconds(rules(settings).lifetime_secs as i64))
            .same_site(SameSite::Lax)
            .http_only(true)
            .secure(settings.secure())
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

    const NOW: u64 = 1_800_000_000;

    fn keys(byte: u8) -> ConsentKeys {
        use base64::engine::general_purpose::STANDARD;
        ConsentKeys::new(SecretKey::from_base64(&STANDARD.encode([byte; 32])).unwrap())
    }

    fn settings(origin: Option<&str>, domain: Option<&str>) -> SiteSettings {
        let mut settings = SiteSettings::parse("", &|_| None).unwrap();
        settings.public_origin = origin.and_then(crate::config::origin::Origin::parse_setting);
        settings.cookie_domain = domain.map(str::to_string);
        settings
    }

    fn decided(at: u64, analytics: bool) -> Decision {
        Decision {
            revision: 1,
            decided_at: at,
            id: ConsentId(u128::from(at)),
            analytics,
            method: Method::Banner,
        }
    }

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    fn read(headers: &HeaderMap) -> Result<Decision, NoDecision> {
        let rules = rules(&settings(None, None));
        decision(headers, &keys(1), &rules, NOW)
    }

    fn parsed(value: &HeaderValue) -> Cookie<'static> {
        Cookie::parse(value.to_str().unwrap().to_string()).unwrap()
    }

    #[test]
    fn a_signed_value_is_small_and_verifies_only_under_its_keys() {
        let decision = decided(NOW - 60, true);
        let value = sign(&decision, &keys(1));
        assert!(
            value.len() <= MAX_VALUE_BYTES,
            "{} bytes: {value}",
            value.len()
        );
        assert!(value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
        assert_eq!(verify(&value, &keys(1)), Some(decision.clone()));
        assert_eq!(verify(&value, &keys(2)), None, "another site's key");
        let rotated = ConsentKeys {
            current: keys(2).current,
            previous: vec![keys(1).current],
        };
        assert_eq!(
            verify(&value, &rotated),
            Some(decision),
            "a previous key still verifies"
        );
        let unsigned = value.rsplit_once('.').unwrap().0;
        assert_eq!(verify(unsigned, &keys(1)), None);
        let granted = value.replacen(".1.b.", ".0.b.", 1);
        assert_eq!(verify(&granted, &keys(1)), None, "an edited value");
    }

    #[test]
    fn other_cookies_are_ignored_whatever_their_bytes() {
        let value = sign(&decided(NOW - 60, true), &keys(1));
        let mut header = b"lang=espa\xc3\xb1ol; sso=\xff\xfe; ".to_vec();
        header.extend_from_slice(format!("lf_cookie_consent={value}; lf_token=abc").as_bytes());
        assert!(read(&headers(&[&header])).is_ok());
        let big = format!("sso={}", "x".repeat(16 * 1024));
        assert_eq!(read(&headers(&[big.as_bytes()])), Err(NoDecision::Missing));
        assert_eq!(read(&HeaderMap::new()), Err(NoDecision::Missing));
    }

    #[test]
    fn of_several_consent_cookies_the_newest_signed_one_counts() {
        let older = sign(&decided(NOW - 600, false), &keys(1));
        let newer = sign(&decided(NOW - 60, true), &keys(1));
        let forged = sign(&decided(NOW, true), &keys(2));
        let header = format!(
            "lf_cookie_consent={older}; lf_cookie_consent=1.1.{NOW}.0123456789abcdef0123456789abcdef.1.b; \
             lf_cookie_consent={forged}"
        );
        let other = format!("lf_cookie_consent={newer}");
        let found = read(&headers(&[header.as_bytes(), other.as_bytes()])).unwrap();
        assert!(found.analytics && found.decided_at == NOW - 60);
        let expired = sign(&decided(NOW - 200 * 86_400, true), &keys(1));
        let both = format!("lf_cookie_consent={expired}; lf_cookie_consent={older}");
        assert!(!read(&headers(&[both.as_bytes()])).unwrap().analytics);
    }

    #[test]
    fn unsigned_mangled_or_oversized_values_are_no_decision() {
        let value = sign(&decided(NOW - 60, true), &keys(1));
        for bad in [
            "garbage".to_string(),
            format!("2.1.{NOW}.0123456789abcdef0123456789abcdef.1.b"),
            format!("{value}x"),
            format!("{value}.{}", "A".repeat(100)),
            value.to_uppercase(),
        ] {
            let header = format!("lf_cookie_consent={bad}");
            assert_eq!(
                read(&headers(&[header.as_bytes()])),
                Err(NoDecision::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_consent_cookie_has_the_promised_attributes() {
        let decision = decided(NOW, false);
        let plain = set_consent(&decision, &keys(1), &settings(None, None));
        let cookie = parsed(&plain);
        assert_eq!(cookie.name(), "lf_cookie_consent");
        assert_eq!(verify(cookie.value(), &keys(1)), Some(decision.clone()));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.max_age(), Some(Duration::seconds(15_724_800)));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), None);
        assert_eq!(
            cookie.domain(),
            None,
            "host-only: no sibling subdomain receives it"
        );
        let https = settings(Some("https://www.leadistry.com"), None);
        let secure = parsed(&set_consent(&decision, &keys(1), &https));
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
            expired(&settings(None, None)),
            [("_clck".into(), None), ("_clsk".into(), None)]
        );
        let both = expired(&settings(None, Some("leadistry.com")));
        assert_eq!(both.len(), 4);
        assert!(both.contains(&("_clck".into(), Some("leadistry.com".into()))));
        assert!(both.contains(&("_clsk".into(), Some("leadistry.com".into()))));
        assert!(both.iter().all(|(name, _)| name != "lf_token"));
    }
}
