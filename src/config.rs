//! Runtime configuration, read once at start-up from `Leptos.toml`.
//!
//! `[package.metadata.leptos]` goes through `leptos_config` (so `LEPTOS_*` variables override it);
//! the site's own settings live in `[leadistry]`, each overridable by a `LEADISTRY_*` variable.
//! Any invalid value stops the server with a message naming the key and what it allows.

use leptos::config::{get_configuration, LeptosOptions};
use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf};

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
    /// Whether cookies carry the `Secure` attribute.
    pub secure_cookies: bool,
    /// Folder holding the operator-supplied Markdown documents.
    pub content_dir: PathBuf,
    /// The consent log: `sqlite://…` (default) or `postgres://…`.
    pub database_url: String,
    /// How long consent receipts are kept before `leadistry prune` deletes them.
    pub receipt_retention_days: u32,
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
        let site = SiteSettings::parse(&text, leptos.site_addr, &|name| std::env::var(name).ok())?;
        if !site.content_dir.is_dir() {
            return Err(ConfigError {
                key: "leadistry.content-dir".into(),
                message: format!("{} is not a directory", site.content_dir.display()),
            });
        }
        Ok(Self { leptos, site })
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
    secure_cookies: Option<toml::Value>,
    content_dir: Option<toml::Value>,
    database_url: Option<toml::Value>,
    receipt_retention_days: Option<toml::Value>,
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
                    ConfigError {
                        key: format!("leadistry.{field}"),
                        message: format!("unknown key ({message})"),
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

    fn flag(&self, default: bool) -> Result<bool, ConfigError> {
        match self.raw()?.as_deref() {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(self.invalid(other, "true or false")),
        }
    }

    /// A string setting where an empty value means "not set".
    fn optional(
        &self,
        valid: fn(&str) -> Option<String>,
        allowed: &str,
    ) -> Result<Option<String>, ConfigError> {
        match self.raw()? {
            None => Ok(None),
            Some(text) if text.is_empty() => Ok(None),
            Some(text) => valid(&text)
                .map(Some)
                .ok_or_else(|| self.invalid(&text, allowed)),
        }
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

impl SiteSettings {
    /// Parses `[leadistry]` from the configuration text, with `env` overriding the file.
    /// `site_addr` decides the default of `secure-cookies`: off only when serving on loopback.
    pub fn parse(
        text: &str,
        site_addr: SocketAddr,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let FileSettings {
            clarity_project_id,
            policy_revision,
            consent_lifetime_days,
            cookie_domain,
            secure_cookies,
            content_dir,
            database_url: database,
            receipt_retention_days,
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
            secure_cookies: key("secure-cookies", secure_cookies)
                .flag(!site_addr.ip().is_loopback())?,
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const LOOPBACK: &str = "127.0.0.1:3000";
    const PUBLIC: &str = "0.0.0.0:8080";

    fn parse_with(text: &str, env: &[(&str, &str)]) -> Result<SiteSettings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SiteSettings::parse(text, LOOPBACK.parse().unwrap(), &move |k| {
            env.get(k).cloned()
        })
    }

    const VALID: &str = r#"
[leadistry]
clarity-project-id = "abcd1234ef"
policy-revision = 3
consent-lifetime-days = 90
cookie-domain = ".Leadistry.com"
secure-cookies = true
content-dir = "docs"
database-url = "postgres://u:p@db/leadistry"
receipt-retention-days = 400

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
        assert!(s.secure_cookies);
        assert_eq!(s.content_dir, PathBuf::from("docs"));
        assert_eq!(s.database_url, "postgres://u:p@db/leadistry");
        assert_eq!(s.receipt_retention_days, 400);
    }

    #[test]
    fn the_repository_file_is_valid() {
        let text = include_str!("../Leptos.toml");
        let s = parse_with(text, &[]).unwrap();
        assert_eq!(s.consent_lifetime_days, DEFAULT_CONSENT_LIFETIME_DAYS);
        assert!(leptos::config::get_config_from_str(text).is_ok());
    }

    #[test]
    fn defaults_apply_to_missing_keys() {
        let s = parse_with("", &[]).unwrap();
        assert_eq!(s.clarity_project_id, None);
        assert_eq!(s.policy_revision, 1);
        assert_eq!(s.consent_lifetime_days, 182);
        assert_eq!(s.cookie_domain, None);
        assert!(!s.secure_cookies, "loopback serves plain http");
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.receipt_retention_days, 1095);
        let public = SiteSettings::parse("", PUBLIC.parse().unwrap(), &|_| None).unwrap();
        assert!(
            public.secure_cookies,
            "secure by default outside local development"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = parse_with(
            VALID,
            &[
                ("LEADISTRY_POLICY_REVISION", "7"),
                ("LEADISTRY_CLARITY_PROJECT_ID", ""),
                ("LEADISTRY_SECURE_COOKIES", "false"),
                ("DATABASE_URL", "sqlite::memory:"),
            ],
        )
        .unwrap();
        assert_eq!(s.policy_revision, 7);
        assert_eq!(s.clarity_project_id, None);
        assert!(!s.secure_cookies);
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
                "[leadistry]\nsecure-cookies = \"yes\"",
                "leadistry.secure-cookies",
                "true or false",
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
    fn broken_toml_is_reported() {
        let err = parse_with("[leadistry\n", &[]).unwrap_err();
        assert_eq!(err.key, "Leptos.toml");
    }
}
