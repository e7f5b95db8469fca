//! The runtime configuration: read once at start-up from `Leptos.toml` and the environment,
//! and held to the rules between settings.
//!
//! `[package.metadata.leptos]` goes through `leptos_config` (so `LEPTOS_*` variables override
//! it). The site's own settings, `[leadistry]`, are declared once in `settings`; `sources`
//! reads them from the file with the environment over it and knows where each came from.

pub mod database;
pub mod keys;
pub mod kind;
pub mod origin;
pub mod settings;
pub mod sources;

use keys::ConsentKeys;
use kind::{whole, Kind};
use leptos::config::{get_configuration, LeptosOptions};
pub use settings::SiteSettings;
use settings::MAX_RECEIPT_RETENTION_DAYS;
use sources::Sources;
pub use sources::{ConfigError, InForce};
use std::fmt::Write;

/// Default location of the configuration file, relative to the working directory.
pub const DEFAULT_CONFIG_PATH: &str = "Leptos.toml";

/// The whole runtime configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub leptos: LeptosOptions,
    pub site: SiteSettings,
    pub in_force: Vec<InForce>,
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
        let sources = Sources::new(&path, &text, &|name| std::env::var(name).ok())?;
        let site = SiteSettings::read(&sources)?.checked(&sources)?;
        if !site.content_dir.is_dir() {
            return Err(ConfigError {
                key: "leadistry.content-dir".into(),
                message: format!("{} is not a directory", site.content_dir.display()),
            });
        }
        Ok(Self {
            leptos,
            site,
            in_force: sources.in_force(),
        })
    }

    /// The consent cookie keys in force, taken out of the settings so that one copy exists:
    /// the configured ones, else the default key (made beside a SQLite log on first start;
    /// see `keys::default_key`).
    pub fn take_consent_keys(&mut self) -> Result<ConsentKeys, ConfigError> {
        let previous = std::mem::take(&mut self.site.consent_previous_keys);
        match std::mem::take(&mut self.site.consent_key)
            .into_iter()
            .next()
        {
            Some(current) => Ok(ConsentKeys { current, previous }),
            None => keys::default_key(&self.site.database_url)
                .map(ConsentKeys::new)
                .map_err(|message| ConfigError {
                    key: "leadistry.consent-key".into(),
                    message,
                }),
        }
    }

    /// The settings in force and where each came from, secrets masked: `leadistry config`.
    pub fn describe(&self) -> String {
        let mut out = String::from("[leadistry]\n");
        for setting in &self.in_force {
            let line = format!("{} = {}", setting.key, setting.shown);
            let from = setting.source.as_deref().unwrap_or("default");
            let _ = writeln!(out, "{line:<60} # {from}");
        }
        let leptos = &self.leptos;
        let _ = write!(
            out,
            "\n[package.metadata.leptos]\nsite-addr = \"{}\"\nsite-root = \"{}\"\nenv = \"{:?}\"\n",
            leptos.site_addr, leptos.site_root, leptos.env,
        );
        out
    }
}

impl SiteSettings {
    /// Parses `[leadistry]` from the configuration text, with `env` overriding the file.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let sources = Sources::new(DEFAULT_CONFIG_PATH, text, env)?;
        Self::read(&sources)?.checked(&sources)
    }

    /// The rules between settings.
    fn checked(self, sources: &Sources) -> Result<Self, ConfigError> {
        // Proof must outlive every decision it proves.
        let retention = whole(self.consent_lifetime_days, MAX_RECEIPT_RETENTION_DAYS);
        if retention
            .parse(&self.receipt_retention_days.to_string())
            .is_err()
        {
            let text = self.receipt_retention_days.to_string();
            return Err(sources.invalid("receipt-retention-days", &text, &retention.allowed()));
        }
        let exposed = self
            .operator_addr
            .is_some_and(|addr| !addr.ip().is_loopback());
        if exposed && self.operator_token.is_none() {
            return Err(ConfigError {
                key: "leadistry.operator-token".into(),
                message: "operator-addr is not a loopback address: set operator-token (in \
                          LEADISTRY_OPERATOR_TOKEN) so that only the operator reads the metrics \
                          and statistics"
                    .into(),
            });
        }
        if self.consent_key.is_empty() && !self.consent_previous_keys.is_empty() {
            return Err(ConfigError {
                key: "leadistry.consent-key".into(),
                message: "consent-previous-keys only verify: set consent-key to sign with".into(),
            });
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{collections::HashMap, path::PathBuf, time::Duration};

    fn parse_with(text: &str, env: &[(&str, &str)]) -> Result<SiteSettings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SiteSettings::parse(text, &move |k| env.get(k).cloned())
    }

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
        assert_eq!(s.consent_key[0].as_bytes(), [1u8; 32]);
        assert_eq!(s.consent_previous_keys.len(), 1);
        assert!(s.is_trusted_proxy("127.0.0.1".parse().unwrap()));
        assert!(s.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(!s.is_trusted_proxy("192.168.1.1".parse().unwrap()));
        assert_eq!(s.content_dir, PathBuf::from("docs"));
        assert_eq!(s.database_url.as_str(), "postgres://u:p@db/leadistry");
        assert_eq!(s.receipt_retention_days, 400);
        assert_eq!(s.saves_per_minute, 60);
        assert_eq!(s.header_read_timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_repository_file_is_valid() {
        let text = include_str!("../../Leptos.toml");
        let s = parse_with(text, &[]).unwrap();
        assert_eq!(s.consent_lifetime_days, 182);
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
        assert!(s.consent_key.is_empty(), "made beside the log at start-up");
        assert!(s.trusted_proxies.is_empty());
        assert!(s.database_url.as_str().starts_with("sqlite://"));
        assert_eq!(s.receipt_retention_days, 1095);
        assert_eq!(s.header_read_timeout, Duration::from_secs(10));
        assert_eq!(s.shutdown_timeout, Duration::from_secs(10));
        assert_eq!(s.max_connections, 4096);
        let http = parse_with(
            "[leadistry]\npublic-origin = \"http://localhost:8080\"",
            &[],
        )
        .unwrap();
        assert!(!http.secure(), "no Secure over plain http");
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
    fn leadistry_config_shows_each_setting_in_force_and_its_source() {
        let env = |name: &str| match name {
            "LEADISTRY_CONSENT_KEY" => {
                Some("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE".to_string())
            }
            _ => None,
        };
        let sources =
            Sources::new("Leptos.toml", "[leadistry]\npolicy-revision = 4", &env).unwrap();
        let config = Config {
            leptos: LeptosOptions::builder().output_name("leadistry").build(),
            site: SiteSettings::read(&sources).unwrap(),
            in_force: sources.in_force(),
        };
        let text = config.describe();
        assert!(text.contains("policy-revision = 4"), "{text}");
        assert!(text.contains("# Leptos.toml"), "{text}");
        assert!(text.contains("consent-key = (set, not shown)"), "{text}");
        assert!(text.contains("# LEADISTRY_CONSENT_KEY"), "{text}");
        assert!(!text.contains("AQEBAQ"), "{text}");
        assert!(text.contains("consent-lifetime-days = 182"), "{text}");
    }
}
