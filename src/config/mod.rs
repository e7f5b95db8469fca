//! Runtime configuration, read once at start-up from `Leptos.toml`.
//!
//! `[package.metadata.leptos]` goes through `leptos_config` (so `LEPTOS_*` variables override it);
//! the site's own settings live in `[leadistry]`, each overridable by a `LEADISTRY_*` variable.
//! Any invalid value stops the server with a message naming the key and what it allows.

pub mod keys;
pub mod origin;

use ipnet::IpNet;
use keys::{ConsentKeys, SecretKey};
use leptos::config::{get_configuration, LeptosOptions};
use origin::Origin;
use serde::Deserialize;
use std::{net::IpAddr, path::PathBuf, time::Duration};

/// Default location of the configuration file, relative to the working directory.
pub const DEFAULT_CONFIG_PATH: &str = "Leptos.toml";
/// The longest a consent decision may be kept (13 months, the CNIL's ceiling).
pub const MAX_CONSENT_LIFETIME_DAYS: u32 = 395;
const DEFAULT_CONSENT_LIFETIME_DAYS: u32 = 182;
const DEFAULT_DATABASE_URL: &str = "sqlite://data/consent-receipts.sqlite?mode=rwc";
const DEFAULT_RECEIPT_RETENTION_DAYS: u32 = 1095;
const MAX_RECEIPT_RETENTION_DAYS: u32 = 3650;

/// The site's own settings (`[leadistry]` in `Leptos.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteSettings {
    /// Microsoft Clarity project id; `None` disables Clarity entirely.
    pub clarity_project_id: Option<String>,
    /// Raising it invalidates every earlier consent decision.
    pub policy_revision: u32,
    /// How long a consent decision stays valid.
    pub consent_lifetime_days: u32,
    /// Parent domain Clarity may write its cookies on (e.g. `leadistry.com`), to delete them there.
    pub cookie_domain: Option<String>,
    /// The origin visitors use (`https://www.leadistry.com`); `None` in development, where
    /// the `Host` header stands in for it.
    pub public_origin: Option<Origin>,
    /// The keys that sign consent cookies, when configured.
    pub consent_keys: Option<ConsentKeys>,
    /// Proxies whose `X-Forwarded-For` names the client; nobody else's is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// What the server accepts, and for how long.
    pub limits: Limits,
    /// Folder holding the operator-supplied Markdown documents.
    pub content_dir: PathBuf,
    /// The consent log: `sqlite://…` (default) or `postgres://…`.
    pub database_url: String,
    /// How long consent receipts are kept before `leadistry prune` deletes them.
    pub receipt_retention_days: u32,
}

impl SiteSettings {
    /// Cookies carry `Secure`, and responses HSTS, when visitors use https.
    pub fn secure(&self) -> bool {
        self.public_origin.as_ref().is_some_and(Origin::is_https)
    }

    /// Reachable from other machines with no public origin set: most likely behind a proxy
    /// that nobody has told the server about, so the server says so at start-up.
    pub fn lacks_public_origin_for(&self, bind: std::net::SocketAddr) -> bool {
        self.public_origin.is_none() && !bind.ip().is_loopback()
    }

    pub fn is_trusted_proxy(&self, address: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .any(|net| net.contains(&address))
    }
}

/// How much the server accepts from clients, and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Consent saves a client may make per minute, after a burst of `saves_burst`.
    pub saves_per_minute: u32,
    pub saves_burst: u32,
    /// Receipt writes under way or waiting; more are refused at once (503).
    pub receipt_queue: usize,
    /// To receive a request's headers, counted from when the connection waits for them.
    pub header_read_timeout: Duration,
    /// To receive a request's body.
    pub body_read_timeout: Duration,
    /// To answer a request, from its headers to the end of the response's headers.
    pub request_timeout: Duration,
    /// How long a connection may stay open with no request in it.
    pub keep_alive_timeout: Duration,
    /// Connections served at once; more wait in the operating system's queue.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in progress before it exits.
    pub shutdown_timeout: Duration,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration `{key}`: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

/// The whole runtime configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub leptos: LeptosOptions,
    pub site: SiteSettings,
}

impl Config {
    /// Reads the file named by `LEADISTRY_CONFIG` (default `Leptos.toml`) and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let path =
            std::env::var("LEADISTRY_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG_PATH.to_string());
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
            key: path.clone(),
            message: format!("cannot read the configuration file: {e}"),
        })?;
        let leptos = get_configuration(Some(&path))
            .map_err(|e| ConfigError {
                key: "package.metadata.leptos".into(),
                message: e.to_string(),
            })?
            .leptos_options;
        let site = SiteSettings::parse(&text, &|name| std::env::var(name).ok())?;
        if !site.content_dir.is_dir() {
            return Err(ConfigError {
                key: "leadistry.content-dir".into(),
                message: format!("{} is not a directory", site.content_dir.display()),
            });
        }
        Ok(Self { leptos, site })
    }

    /// The consent cookie keys in force: the configured ones, else the default key (made
    /// beside a SQLite log on first start; see `keys::default_key`).
    pub fn consent_keys(&self) -> Result<ConsentKeys, ConfigError> {
        match &self.site.consent_keys {
            Some(keys) => Ok(keys.clone()),
            None => keys::default_key(&self.site.database_url)
                .map(ConsentKeys::new)
                .map_err(|message| ConfigError {
                    key: "leadistry.consent-key".into(),
                    message,
                }),
        }
    }
}

/// `[leadistry]` as written. Serde refuses unknown keys; `Key` checks each value, with the
/// environment overriding the file.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileSettings {
    clarity_project_id: Option<toml::Value>,
    policy_revision: Option<toml::Value>,
    consent_lifetime_days: Option<toml::Value>,
    cookie_domain: Option<toml::Value>,
    public_origin: Option<toml::Value>,
    consent_key: Option<toml::Value>,
    consent_previous_keys: Option<toml::Value>,
    trusted_proxies: Option<toml::Value>,
    content_dir: Option<toml::Value>,
    database_url: Option<toml::Value>,
    receipt_retention_days: Option<toml::Value>,
    saves_per_minute: Option<toml::Value>,
    saves_burst: Option<toml::Value>,
    receipt_queue: Option<toml::Value>,
    header_read_timeout_secs: Option<toml::Value>,
    body_read_timeout_secs: Option<toml::Value>,
    request_timeout_secs: Option<toml::Value>,
    keep_alive_timeout_secs: Option<toml::Value>,
    max_connections: Option<toml::Value>,
    shutdown_timeout_secs: Option<toml::Value>,
}

impl FileSettings {
    fn from_file(text: &str) -> Result<Self, ConfigError> {
        let file: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            key: "Leptos.toml".into(),
            message: e.message().to_string(),
        })?;
        match file.get("leadistry") {
            None => Ok(Self::default()),
            Some(table @ toml::Value::Table(_)) => {
                table.clone().try_into().map_err(|e: toml::de::Error| {
                    let message = e.message();
                    let field = message
                        .strip_prefix("unknown field `")
                        .and_then(|rest| rest.split('`').next())
                        .unwrap_or_default();
                    let message = if field == "secure-cookies" {
                        "no longer a setting: Secure and HSTS follow the scheme of public-origin"
                            .to_string()
                    } else {
                        format!("unknown key ({message})")
                    };
                    ConfigError {
                        key: format!("leadistry.{field}"),
                        message,
                    }
                })
            }
            Some(_) => Err(ConfigError {
                key: "leadistry".into(),
                message: "must be a table ([leadistry])".into(),
            }),
        }
    }
}

/// One `[leadistry]` key, with its value from the file, and the environment to look in.
struct Key<'a> {
    name: &'static str,
    file: Option<toml::Value>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Key<'_> {
    /// The variable that overrides the key: `LEADISTRY_` and the key in upper snake case,
    /// except the conventional `DATABASE_URL`.
    fn variable(&self) -> String {
        match self.name {
            "database-url" => "DATABASE_URL".into(),
            name => format!("LEADISTRY_{}", name.to_ascii_uppercase().replace('-', "_")),
        }
    }

    /// The raw value as text: the environment wins over the file.
    fn raw(&self) -> Result<Option<String>, ConfigError> {
        if let Some(value) = (self.env)(&self.variable()) {
            return Ok(Some(value.trim().to_string()));
        }
        match &self.file {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(toml::Value::Integer(i)) => Ok(Some(i.to_string())),
            Some(toml::Value::Boolean(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(self.invalid(&other.to_string(), "a string, a number or a boolean")),
        }
    }

    fn invalid(&self, value: &str, allowed: &str) -> ConfigError {
        ConfigError {
            key: format!("leadistry.{}", self.name),
            message: format!(
                "{value:?} is not allowed (set in Leptos.toml or {}); expected {allowed}",
                self.variable()
            ),
        }
    }

    fn number(&self, default: u32, min: u32, max: u32) -> Result<u32, ConfigError> {
        let allowed = format!("a whole number from {min} to {max}");
        match self.raw()? {
            None => Ok(default),
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(self.invalid(&text, &allowed)),
            },
        }
    }

    fn seconds(&self, default: u32, min: u32, max: u32) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(self.number(default, min, max)?.into()))
    }

    /// A string setting where an empty value means "not set".
    fn optional<T>(
        &self,
        valid: fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Result<Option<T>, ConfigError> {
        match self.raw()? {
            None => Ok(None),
            Some(text) if text.is_empty() => Ok(None),
            Some(text) => valid(&text)
                .map(Some)
                .ok_or_else(|| self.invalid(&text, allowed)),
        }
    }

    /// A comma-separated list; empty means none.
    fn items<T>(
        &self,
        parse: impl Fn(&str) -> Result<T, ConfigError>,
    ) -> Result<Vec<T>, ConfigError> {
        let text = self.raw()?.unwrap_or_default();
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(parse)
            .collect()
    }

    fn list<T>(&self, valid: fn(&str) -> Option<T>, allowed: &str) -> Result<Vec<T>, ConfigError> {
        self.items(|item| valid(item).ok_or_else(|| self.invalid(item, allowed)))
    }

    /// Keys, in base64, comma-separated; the error never repeats a key.
    fn secrets(&self) -> Result<Vec<SecretKey>, ConfigError> {
        self.items(|item| {
            SecretKey::from_base64(item).map_err(|reason| ConfigError {
                key: format!("leadistry.{}", self.name),
                message: format!("{reason} (set in Leptos.toml or {})", self.variable()),
            })
        })
    }
}

fn clarity_id(text: &str) -> Option<String> {
    let ok = (4..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    ok.then(|| text.to_string())
}

fn database_url(text: &str) -> Option<String> {
    ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|scheme| text.starts_with(scheme))
        .then(|| text.to_string())
}

fn domain(text: &str) -> Option<String> {
    let name = text.strip_prefix('.').unwrap_or(text).to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let ok = labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then_some(name)
}

fn proxy(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

impl SiteSettings {
    /// Parses `[leadistry]` from the configuration text, with `env` overriding the file.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let FileSettings {
            clarity_project_id,
            policy_revision,
            consent_lifetime_days,
            cookie_domain,
            public_origin,
            consent_key,
            consent_previous_keys,
            trusted_proxies,
            content_dir,
            database_url: database,
            receipt_retention_days,
            saves_per_minute,
            saves_burst,
            receipt_queue,
            header_read_timeout_secs,
            body_read_timeout_secs,
            request_timeout_secs,
            keep_alive_timeout_secs,
            max_connections,
            shutdown_timeout_secs,
        } = FileSettings::from_file(text)?;
        let key = |name, file| Key { name, file, env };
        let consent_lifetime_days = key("consent-lifetime-days", consent_lifetime_days).number(
            DEFAULT_CONSENT_LIFETIME_DAYS,
            1,
            MAX_CONSENT_LIFETIME_DAYS,
        )?;
        Ok(Self {
            clarity_project_id: key("clarity-project-id", clarity_project_id).optional(
                clarity_id,
                "4 to 32 lowercase letters or digits, or \"\" to disable Clarity",
            )?,
            policy_revision: key("policy-revision", policy_revision).number(1, 1, u32::MAX)?,
            consent_lifetime_days,
            cookie_domain: key("cookie-domain", cookie_domain).optional(
                domain,
                "a domain name such as leadistry.com, or \"\" for the host only",
            )?,
            public_origin: key("public-origin", public_origin).optional(
                Origin::parse_setting,
                "http(s)://host[:port] such as https://www.leadistry.com, or \"\" in development",
            )?,
            consent_keys: {
                let current = key("consent-key", consent_key).secrets()?;
                let previous = key("consent-previous-keys", consent_previous_keys).secrets()?;
                match (&current[..], previous.is_empty()) {
                    ([], true) => None,
                    ([current], _) => Some(ConsentKeys {
                        current: current.clone(),
                        previous,
                    }),
                    (keys, _) => {
                        let message = if keys.is_empty() {
                            "consent-previous-keys only verify: set consent-key to sign with"
                        } else {
                            "one key signs: earlier ones go in consent-previous-keys"
                        };
                        return Err(ConfigError {
                            key: "leadistry.consent-key".into(),
                            message: message.into(),
                        });
                    }
                }
            },
            trusted_proxies: key("trusted-proxies", trusted_proxies).list(
                proxy,
                "IP addresses or networks such as 127.0.0.1, 10.0.0.0/8, separated by commas",
            )?,
            content_dir: PathBuf::from(
                key("content-dir", content_dir)
                    .raw()?
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "content".into()),
            ),
            database_url: key("database-url", database)
                .optional(database_url, "a sqlite:… or postgres://… URL")?
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            // Proof must outlive every decision it proves.
            receipt_retention_days: key("receipt-retention-days", receipt_retention_days).number(
                DEFAULT_RECEIPT_RETENTION_DAYS,
                consent_lifetime_days,
                MAX_RECEIPT_RETENTION_DAYS,
            )?,
            limits: Limits {
                saves_per_minute: key("saves-per-minute", saves_per_minute)
                    .number(240, 1, 60_000)?,
                saves_burst: key("saves-burst", saves_burst).number(20, 1, 10_000)?,
                receipt_queue: key("receipt-queue", receipt_queue).number(256, 1, 100_000)?
                    as usize,
                header_read_timeout: key("header-read-timeout-secs", header_read_timeout_secs)
                    .seconds(10, 1, 300)?,
                body_read_timeout: key("body-read-timeout-secs", body_read_timeout_secs)
                    .seconds(10, 1, 300)?,
                request_timeout: key("request-timeout-secs", request_timeout_secs)
                    .seconds(30, 1, 3600)?,
                keep_alive_timeout: key("keep-alive-timeout-secs", keep_alive_timeout_secs)
                    .seconds(5, 1, 3600)?,
                max_connections: key("max-connections", max_connections)
                    .number(4096, 1, 1_000_000)? as usize,
                shutdown_timeout: key("shutdown-timeout-secs", shutdown_timeout_secs)
                    .seconds(10, 0, 3600)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse_with(text: &str, env: &[(&str, &str)]) -> Result<SiteSettings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SiteSettings::parse(text, &move |k| env.get(k).cloned())
    }

    /// 32 bytes of 0x01 and of 0x02, in base64.
    const KEY_1: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
    const KEY_2: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";

    const VALID: &str = r#"
[leadistry]
clarity-project-id = "abcd1234ef"
policy-revision = 3
consent-lifetime-days = 90
cookie-domain = ".Leadistry.com"
public-origin = "https://www.Leadistry.com/"
consent-key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
consent-previous-keys = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"
trusted-proxies = "127.0.0.1, 10.0.0.0/8"
content-dir = "docs"
database-url = "postgres://u:p@db/leadistry"
receipt-retention-days = 400
saves-per-minute = 60
header-read-timeout-secs = 5

[package.metadata.leptos]
output-name = "leadistry"
"#;

    #[test]
    fn reads_a_valid_file() {
        let s = parse_with(VALID, &[]).unwrap();
        assert_eq!(s.clarity_project_id.as_deref(), Some("abcd1234ef"));
        assert_eq!(s.policy_revision, 3);
        assert_eq!(s.consent_lifetime_days, 90);
        assert_eq!(s.cookie_domain.as_deref(), Some("leadistry.com"));
        assert_eq!(
            s.public_origin.as_ref().map(ToString::to_string).as_deref(),
            Some("https://www.leadistry.com")
        );
        assert!(
            s.secure(),
            "Secure and HSTS follow the public origin's scheme"
        );
        let keys = s.consent_keys.as_ref().unwrap();
        assert_eq!(keys.current.as_bytes(), [1u8; 32]);
        assert_eq!(keys.previous.len(), 1);
        assert!(s.is_trusted_proxy("127.0.0.1".parse().unwrap()));
        assert!(s.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(!s.is_trusted_proxy("192.168.1.1".parse().unwrap()));
        assert_eq!(s.content_dir, PathBuf::from("docs"));
        assert_eq!(s.database_url, "postgres://u:p@db/leadistry");
        assert_eq!(s.receipt_retention_days, 400);
        assert_eq!(s.limits.saves_per_minute, 60);
        assert_eq!(s.limits.header_read_timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_repository_file_is_valid() {
        let text = include_str!("../../Leptos.toml");
        let s = parse_with(text, &[]).unwrap();
        assert_eq!(s.consent_lifetime_days, DEFAULT_CONSENT_LIFETIME_DAYS);
        assert!(leptos::config::get_config_from_str(text).is_ok());
    }

    #[test]
    fn only_a_server_reachable_from_elsewhere_without_a_public_origin_lacks_one() {
        let bind = |a: &str| a.parse::<std::net::SocketAddr>().unwrap();
        let unset = parse_with("", &[]).unwrap();
        assert!(unset.lacks_public_origin_for(bind("0.0.0.0:3000")));
        assert!(unset.lacks_public_origin_for(bind("[::]:3000")));
        assert!(!unset.lacks_public_origin_for(bind("127.0.0.1:3000")));
        assert!(!unset.lacks_public_origin_for(bind("[::1]:3000")));
        let set = parse_with(
            "[leadistry]\npublic-origin = \"https://www.leadistry.com\"",
            &[],
        )
        .unwrap();
        assert!(!set.lacks_public_origin_for(bind("0.0.0.0:3000")));
    }

    #[test]
    fn defaults_apply_to_missing_keys() {
        let s = parse_with("", &[]).unwrap();
        assert_eq!(s.clarity_project_id, None);
        assert_eq!(s.policy_revision, 1);
        assert_eq!(s.consent_lifetime_days, 182);
        assert_eq!(s.cookie_domain, None);
        assert_eq!(s.public_origin, None);
        assert!(!s.secure(), "development serves plain http");
        assert_eq!(s.consent_keys, None, "made beside the log at start-up");
        assert!(s.trusted_proxies.is_empty());
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.receipt_retention_days, 1095);
        assert_eq!(s.limits.header_read_timeout, Duration::from_secs(10));
        assert_eq!(s.limits.shutdown_timeout, Duration::from_secs(10));
        assert_eq!(s.limits.max_connections, 4096);
        let http = parse_with(
            "[leadistry]\npublic-origin = \"http://localhost:8080\"",
            &[],
        )
        .unwrap();
        assert!(!http.secure(), "no Secure over plain http");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = parse_with(
            VALID,
            &[
                ("LEADISTRY_POLICY_REVISION", "7"),
                ("LEADISTRY_CLARITY_PROJECT_ID", ""),
                ("LEADISTRY_PUBLIC_ORIGIN", ""),
                ("LEADISTRY_CONSENT_KEY", KEY_2),
                (
                    "LEADISTRY_CONSENT_PREVIOUS_KEYS",
                    &format!("{KEY_1}, {KEY_2}"),
                ),
                ("LEADISTRY_TRUSTED_PROXIES", "::1"),
                ("DATABASE_URL", "sqlite::memory:"),
            ],
        )
        .unwrap();
        assert_eq!(s.policy_revision, 7);
        assert_eq!(s.clarity_project_id, None);
        assert!(!s.secure());
        let keys = s.consent_keys.unwrap();
        assert_eq!(keys.current.as_bytes(), [2u8; 32]);
        assert_eq!(keys.previous.len(), 2);
        assert!(s.trusted_proxies[0].contains(&"::1".parse::<IpAddr>().unwrap()));
        assert_eq!(s.consent_lifetime_days, 90);
        assert_eq!(s.database_url, "sqlite::memory:");
    }

    #[test]
    fn invalid_values_name_the_key_and_what_is_allowed() {
        let cases = [
            (
                "[leadistry]\nconsent-lifetime-days = 400",
                "leadistry.consent-lifetime-days",
                "1 to 395",
            ),
            (
                "[leadistry]\nconsent-lifetime-days = 0",
                "leadistry.consent-lifetime-days",
                "1 to 395",
            ),
            (
                "[leadistry]\npolicy-revision = \"two\"",
                "leadistry.policy-revision",
                "whole number",
            ),
            (
                "[leadistry]\nclarity-project-id = \"<script>\"",
                "leadistry.clarity-project-id",
                "lowercase",
            ),
            (
                "[leadistry]\ncookie-domain = \"localhost\"",
                "leadistry.cookie-domain",
                "domain name",
            ),
            (
                "[leadistry]\nsecure-cookies = true",
                "leadistry.secure-cookies",
                "follow the scheme of public-origin",
            ),
            (
                "[leadistry]\npublic-origin = \"www.leadistry.com\"",
                "leadistry.public-origin",
                "https://www.leadistry.com",
            ),
            (
                "[leadistry]\nconsent-key = \"c2hvcnQ=\"",
                "leadistry.consent-key",
                "at least 32 random bytes",
            ),
            (
                "[leadistry]\nconsent-previous-keys = \"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"",
                "leadistry.consent-key",
                "set consent-key to sign with",
            ),
            (
                "[leadistry]\ntrusted-proxies = \"10.0.0.0/8, proxy.local\"",
                "leadistry.trusted-proxies",
                "IP addresses or networks",
            ),
            (
                "[leadistry]\nheader-read-timeout-secs = 0",
                "leadistry.header-read-timeout-secs",
                "1 to 300",
            ),
            (
                "[leadistry]\npolicy-revison = 2",
                "leadistry.policy-revison",
                "unknown key",
            ),
            (
                "[leadistry]\npolicy-revision = [1]",
                "leadistry.policy-revision",
                "a string",
            ),
            ("leadistry = 3", "leadistry", "table"),
            (
                "[leadistry]\ndatabase-url = \"mysql://x\"",
                "leadistry.database-url",
                "postgres://",
            ),
            (
                "[leadistry]\nreceipt-retention-days = 30",
                "leadistry.receipt-retention-days",
                "182 to 3650",
            ),
        ];
        for (text, key, allowed) in cases {
            let err = parse_with(text, &[]).unwrap_err();
            assert_eq!(err.key, key, "{text}");
            assert!(err.to_string().contains(allowed), "{err}");
        }
    }

    #[test]
    fn an_invalid_environment_value_is_an_error_too() {
        let err = parse_with(VALID, &[("LEADISTRY_CONSENT_LIFETIME_DAYS", "forever")]).unwrap_err();
        assert_eq!(err.key, "leadistry.consent-lifetime-days");
        assert!(err.message.contains("LEADISTRY_CONSENT_LIFETIME_DAYS"));
    }

    #[test]
    fn a_key_is_never_repeated_in_an_error() {
        let secret = "c2VjcmV0LWJ1dC10b28tc2hvcnQ";
        let err = parse_with("", &[("LEADISTRY_CONSENT_KEY", secret)]).unwrap_err();
        assert!(err.message.contains("LEADISTRY_CONSENT_KEY"), "{err}");
        assert!(!err.to_string().contains(secret), "{err}");
    }

    #[test]
    fn broken_toml_is_reported() {
        let err = parse_with("[leadistry\n", &[]).unwrap_err();
        assert_eq!(err.key, "Leptos.toml");
    }
}
