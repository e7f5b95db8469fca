//! A consent decision, its compact cookie encoding, and the rules that say whether it still counts.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Version of the cookie encoding; a cookie of any other version counts as no decision.
/// Version 1 had no signature.
pub const FORMAT_VERSION: u32 = 2;
/// Clock skew tolerated for a decision time that lies in the future.
const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// How a decision was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The banner's Accept or Reject, in the hydrated app.
    Banner,
    /// The preferences dialog or the settings page, in the hydrated app.
    Settings,
    /// A form posted without JavaScript.
    Form,
}

impl Method {
    const fn code(self) -> char {
        match self {
            Method::Banner => 'b',
            Method::Settings => 's',
            Method::Form => 'f',
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "b" => Method::Banner,
            "s" => Method::Settings,
            "f" => Method::Form,
            _ => return None,
        })
    }

    pub const fn label(self) -> &'static str {
        match self {
            Method::Banner => "banner",
            Method::Settings => "settings",
            Method::Form => "form",
        }
    }
}

/// A 128-bit consent id, shown to the visitor as a UUID (and sent as one: JSON numbers
/// cannot hold 128 bits).
// Written and read with `uuid` in the browser too: it costs the bundle no more than the
// hand-written text it replaced (docs/benchmarks.md, "ConsentId in the browser bundle").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ConsentId(pub u128);

impl From<ConsentId> for String {
    fn from(id: ConsentId) -> Self {
        id.to_string()
    }
}

impl TryFrom<String> for ConsentId {
    type Error = MalformedDecision;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let id = text
            .parse::<uuid::fmt::Hyphenated>()
            .map(|uuid| ConsentId(uuid.into_uuid().as_u128()))
            .map_err(|_| MalformedDecision)?;
        // The parser also takes upper-case hex; only the text `Display` writes is an id.
        (id.to_string() == text)
            .then_some(id)
            .ok_or(MalformedDecision)
    }
}

impl fmt::Display for ConsentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&uuid::Uuid::from_u128(self.0), f)
    }
}

/// One visitor's decision, as kept in the `lf_cookie_consent` cookie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The consent policy revision the visitor decided on.
    pub revision: u32,
    /// Unix time of the decision, in seconds.
    pub decided_at: u64,
    pub id: ConsentId,
    pub analytics: bool,
    pub method: Method,
}

/// The decision as the cookie holds it, before its signature:
/// `2.<revision>.<unix seconds>.<32 hex id>.<0|1>.<method>`, about 55 bytes, only digits,
/// letters and dots (cookie-safe without escaping).
impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{FORMAT_VERSION}.{}.{}.{:032x}.{}.{}",
            self.revision,
            self.decided_at,
            self.id.0,
            u8::from(self.analytics),
            self.method.code()
        )
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed consent cookie")]
pub struct MalformedDecision;

impl FromStr for Decision {
    type Err = MalformedDecision;

    /// Strict: only the exact text `Display` writes is accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fields: Vec<&str> = s.split('.').collect();
        let [version, revision, decided_at, id, analytics, method] = fields[..] else {
            return Err(MalformedDecision);
        };
        let number = |text: &str| text.parse::<u64>().ok();
        if number(version) != Some(u64::from(FORMAT_VERSION)) {
            return Err(MalformedDecision);
        }
        let decision = Decision {
            revision: number(revision)
                .and_then(|r| u32::try_from(r).ok())
                .ok_or(MalformedDecision)?,
            decided_at: number(decided_at).ok_or(MalformedDecision)?,
            id: ConsentId(u128::from_str_radix(id, 16).map_err(|_| MalformedDecision)?),
            analytics: match analytics {
                "0" => false,
                "1" => true,
                _ => return Err(MalformedDecision),
            },
            method: Method::from_code(method).ok_or(MalformedDecision)?,
        };
        // Only the text `Display` writes: no leading zeros, `+` sign, upper-case or short id.
        if decision.to_string() != s {
            return Err(MalformedDecision);
        }
        Ok(decision)
    }
}

/// Why a cookie does not count as a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoDecision {
    /// No consent cookie.
    Missing,
    /// Not a consent cookie this site wrote (mangled, another format version, forged).
    Malformed,
    /// A decision on an earlier policy revision: the policy changed since.
    PolicyChanged,
    /// Older than the configured lifetime.
    Expired,
}

/// The rules: what the server does with the cookie it receives.
#[derive(Clone, Copy, Debug)]
pub struct DecisionRules {
    pub revision: u32,
    pub lifetime_secs: u64,
}

impl DecisionRules {
    /// Judges a cookie's text (its signature already checked): the decoder's properties.
    #[cfg(test)]
    pub fn evaluate(&self, cookie: Option<&str>, now: u64) -> Result<Decision, NoDecision> {
        let decision: Decision = cookie
            .ok_or(NoDecision::Missing)?
            .parse()
            .map_err(|_| NoDecision::Malformed)?;
        self.judge(decision, now)
    }

    /// Whether a decision still counts at `now`.
    pub fn judge(&self, decision: Decision, now: u64) -> Result<Decision, NoDecision> {
        if decision.revision > self.revision || decision.decided_at > now + MAX_CLOCK_SKEW_SECS {
            return Err(NoDecision::Malformed);
        }
        if decision.revision < self.revision {
            return Err(NoDecision::PolicyChanged);
        }
        if now.saturating_sub(decision.decided_at) >= self.lifetime_secs {
            return Err(NoDecision::Expired);
        }
        Ok(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codee::{string::FromToStringCodec, Decoder, Encoder};

    const NOW: u64 = 1_764_390_000;
    const DAY: u64 = 86_400;
    const RULES: DecisionRules = DecisionRules {
        revision: 3,
        lifetime_secs: 182 * DAY,
    };

    fn sample() -> Decision {
        Decision {
            revision: 3,
            decided_at: NOW - DAY,
            id: ConsentId(0x0123_4567_89ab_cdef_0011_2233_4455_6677),
            analytics: true,
            method: Method::Banner,
        }
    }

    #[test]
    fn codec_round_trips_every_method_and_choice() {
        for method in [Method::Banner, Method::Settings, Method::Form] {
            for analytics in [true, false] {
                let decision = Decision {
                    method,
                    analytics,
                    ..sample()
                };
                let encoded = FromToStringCodec::encode(&decision).unwrap();
                assert!(encoded.len() < 80, "{encoded}");
                assert!(encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.'));
                let decoded: Decision = FromToStringCodec::decode(&encoded).unwrap();
                assert_eq!(decoded, decision);
            }
        }
    }

    #[test]
    fn the_encoding_is_compact_and_readable() {
        assert_eq!(
            sample().to_string(),
            "2.3.1764303600.0123456789abcdef0011223344556677.1.b"
        );
        assert_eq!(
            sample().id.to_string(),
            "01234567-89ab-cdef-0011-223344556677"
        );
    }

    #[test]
    fn every_kind_of_bad_value_is_no_decision() {
        let good = sample().to_string();
        let bad = [
            String::new(),
            "garbage".into(),
            "{\"analytics\":true}".into(),
            good.replacen("2.", "1.", 1),
            good.replacen("2.", "02.", 1),
            good.replacen(".3.", ".+3.", 1),
            good.replace(".1.b", ".2.b"),
            good.replace(".1.b", ".1.x"),
            good.replace(".1.b", ".1.b.extra"),
            good.replace("0123456789abcdef", "0123456789ABCDEF"),
            good.replace("0123456789abcdef", "0123456789abcdeg"),
            good.replace("0123456789abcdef", "0123456789abcde"),
            good.replace(".1764303600.", ".99999999999999999999999."),
            good.replace(".1764303600.", ".."),
            format!("{good} "),
            "2.3.1764303600.0123456789abcdef0011223344556677.1".into(),
            "2.4294967296.1.0123456789abcdef0011223344556677.1.b".into(),
            "é.3.1764303600.0123456789abcdef0011223344556677.1.b".into(),
        ];
        for value in bad {
            assert_eq!(
                RULES.evaluate(Some(&value), NOW),
                Err(NoDecision::Malformed),
                "{value:?}"
            );
        }
        assert_eq!(RULES.evaluate(None, NOW), Err(NoDecision::Missing));
    }

    #[test]
    fn the_id_travels_as_a_uuid_string() {
        let id = sample().id;
        let text = String::from(id);
        assert_eq!(ConsentId::try_from(text), Ok(id));
        for bad in [
            "",
            "0123",
            "01234567-89ab-cdef-0011-2233445566zz",
            "0123456789abcdef0011223344556677",
            "01234567-89AB-CDEF-0011-223344556677",
            "{01234567-89ab-cdef-0011-223344556677}",
            "urn:uuid:01234567-89ab-cdef-0011-223344556677",
            "01234567-89ab-cdef-0011-223344556677 ",
        ] {
            assert!(ConsentId::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_current_decision_counts() {
        assert_eq!(
            RULES.evaluate(Some(&sample().to_string()), NOW),
            Ok(sample())
        );
    }

    #[test]
    fn an_older_revision_means_the_policy_changed() {
        let old = Decision {
            revision: 2,
            ..sample()
        };
        assert_eq!(
            RULES.evaluate(Some(&old.to_string()), NOW),
            Err(NoDecision::PolicyChanged)
        );
        let newer = Decision {
            revision: 4,
            ..sample()
        };
        assert_eq!(
            RULES.evaluate(Some(&newer.to_string()), NOW),
            Err(NoDecision::Malformed)
        );
    }

    #[test]
    fn a_decision_expires_at_its_lifetime() {
        let at = |age: u64| Decision {
            decided_at: NOW - age,
            ..sample()
        };
        let last_second = at(182 * DAY - 1).to_string();
        assert!(RULES.evaluate(Some(&last_second), NOW).is_ok());
        let expired = at(182 * DAY).to_string();
        assert_eq!(
            RULES.evaluate(Some(&expired), NOW),
            Err(NoDecision::Expired)
        );
    }

    #[test]
    fn a_decision_from_the_future_is_not_trusted() {
        let skewed = Decision {
            decided_at: NOW + 60,
            ..sample()
        };
        assert!(RULES.evaluate(Some(&skewed.to_string()), NOW).is_ok());
        let at_the_edge = Decision {
            decided_at: NOW + MAX_CLOCK_SKEW_SECS,
            ..sample()
        };
        assert!(RULES.evaluate(Some(&at_the_edge.to_string()), NOW).is_ok());
        let past_it = Decision {
            decided_at: NOW + MAX_CLOCK_SKEW_SECS + 1,
            ..sample()
        };
        assert_eq!(
            RULES.evaluate(Some(&past_it.to_string()), NOW),
            Err(NoDecision::Malformed)
        );
        let future = Decision {
            decided_at: NOW + 3600,
            ..sample()
        };
        assert_eq!(
            RULES.evaluate(Some(&future.to_string()), NOW),
            Err(NoDecision::Malformed)
        );
    }

    mod properties {
        //! Hostile input: run with PROPTEST_CASES=1000000 by `bench/fuzz-decoder.sh`.
        use super::*;
        use proptest::prelude::*;

        fn accepted_only_if_canonical(value: &str) -> Result<(), TestCaseError> {
            if let Ok(decision) = RULES.evaluate(Some(value), NOW) {
                prop_assert_eq!(decision.to_string(), value);
            }
            Ok(())
        }

        proptest! {
            #[test]
            fn any_text_is_a_decision_only_when_canonical(value in "\\PC{0,120}") {
                accepted_only_if_canonical(&value)?;
            }

            #[test]
            fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
                accepted_only_if_canonical(&String::from_utf8_lossy(&bytes))?;
            }

            #[test]
            fn every_near_miss_of_a_valid_cookie_is_safe(
                revision in 0u32..5,
                age in 0u64..400 * DAY,
                id in any::<u128>(),
                analytics in any::<bool>(),
                position in 0usize..60,
                replacement in any::<char>(),
            ) {
                let valid = Decision { revision, decided_at: NOW - age, id: ConsentId(id), analytics, method: Method::Settings }.to_string();
                let mut mutated: Vec<char> = valid.chars().collect();
                let at = position % mutated.len();
                mutated[at] = replacement;
                let mutated: String = mutated.into_iter().collect();
                accepted_only_if_canonical(&valid)?;
                accepted_only_if_canonical(&mutated)?;
            }
        }
    }
}
