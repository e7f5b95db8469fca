//! Runtime configuration, read once at start-up from `Leptos.toml` and the environment.
//!
//! `[package.metadata.leptos]` goes through `leptos_config` (so `LEPTOS_*` variables override
//! it). The site's own settings, `[leadistry]`, are declared once in `settings!` below: the
//! loader, its errors, `leadistry config`, the start-up log and the README's table all come
//! from that declaration.

pub mod keys;
pub mod kind;
pub mod origin;

use ipnet::IpNet;
use keys::{ConsentKeys, OperatorToken, SecretKey};
use kind::{count, seconds, whole, Keys, Kind, List, Refusal, Required, Secret, Text};
use leptos::config::{get_configuration, LeptosOptions};
use origin::Origin;
use std::{
    fmt::Write,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

/// Default location of the configuration file, relative to the working directory.
pub const DEFAULT_CONFIG_PATH: &str = "Leptos.toml";
/// The longest a consent decision may be kept (13 months, the CNIL's ceiling).
pub const MAX_CONSENT_LIFETIME_DAYS: u32 = 395;

/// One `[leadistry]` setting as declared: what `leadistry config` and the README show.
pub struct Declared {
    pub key: &'static str,
    pub default: &'static str,
    pub allowed: String,
    pub meaning: &'static str,
    pub secret: bool,
}

/// The variable that overrides a key: `LEADISTRY_` and the key in upper snake case, except
/// the conventional `DATABASE_URL`.
pub fn variable(key: &str) -> String {
    match key {
        "database-url" => "DATABASE_URL".into(),
        key => format!("LEADISTRY_{}", key.to_ascii_uppercase().replace('-', "_")),
    }
}

/// Declares each setting once: field, type, key, default (as it would be written), kind
/// (what it allows), and meaning (one line of the README's table).
macro_rules! settings {
    ($($field:ident: $ty:ty = $key:literal, $default:literal, $kind:expr, $meaning:literal;)*) => {
        /// The site's own settings (`[leadistry]` in `Leptos.toml`).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct SiteSettings {
            $(#[doc = $meaning] pub $field: $ty,)*
        }

        /// Every `[leadistry]` setting, in the order of the README's table.
        pub fn declared() -> Vec<Declared> {
            vec![$(Declared {
                key: $key,
                default: $default,
                allowed: Kind::summary(&$kind),
                meaning: $meaning,
                secret: Kind::secret(&$kind),
            },)*]
        }

        const KEYS: &[&str] = &[$($key),*];

        impl SiteSettings {
            fn from_sources(sources: &Sources) -> Result<Self, ConfigError> {
                Ok(Self { $($field: sources.value($key, $default, &$kind)?,)* })
            }
        }
    };
}

settings! {
    clarity_project_id: Option<String> = "clarity-project-id", "",
        Text { valid: clarity_id, allowed: "4 to 32 lowercase letters or digits, or \"\" to disable Clarity", summary: "4–32 lowercase letters/digits, or `\"\"`" },
        "Microsoft Clarity project. Empty: Clarity is never loaded, and the server says so at start-up.";
    policy_revision: u32 = "policy-revision", "1", whole(1, u32::MAX),
        "Raise it when the cookie policy changes: every earlier decision then counts as none and the banner asks again, saying the policy changed.";
    consent_lifetime_days: u32 = "consent-lifetime-days", "182", whole(1, MAX_CONSENT_LIFETIME_DAYS),
        "How long a decision is valid (and the cookie's `Max-Age`). 395 days is the 13-month ceiling.";
    cookie_domain: Option<String> = "cookie-domain", "",
        Text { valid: domain, allowed: "a domain name such as leadistry.com, or \"\" for the host only", summary: "a domain such as `leadistry.com`, or `\"\"`" },
        "The parent domain Clarity writes `_clck`/`_clsk` on; withdrawal expires them there as well as on the host.";
    public_origin: Option<Origin> = "public-origin", "",
        Text { valid: Origin::parse_setting, allowed: "http(s)://host[:port] such as https://www.leadistry.com, or \"\" in development", summary: "`http(s)://host[:port]`, or `\"\"`" },
        "The origin visitors use, e.g. `https://www.leadistry.com`. The same-origin check compares scheme, host and port with it; the consent cookie is `Secure` and responses carry HSTS when it is `https`. Empty (development): `http://` and the request's `Host`, no `Secure`, no HSTS; the server warns when it binds a non-loopback address this way.";
    consent_key: Vec<SecretKey> = "consent-key", "", Keys { one: true },
        "The key that signs consent cookies (HMAC-SHA256). Put it in `LEADISTRY_CONSENT_KEY` rather than the file. Unset with SQLite: the server makes one on first start in `consent-key` beside the log file, readable by its owner only, and keeps it; unset with PostgreSQL: the server refuses to start (several instances need the same key). With an in-memory SQLite log, a new key at every start. Too short or not base64: the server refuses to start, without repeating the key.";
    consent_previous_keys: Vec<SecretKey> = "consent-previous-keys", "", Keys { one: false },
        "Earlier keys: cookies they signed still count, so a rotation signs nobody out of their choice. Setting it without `consent-key` is an error.";
    trusted_proxies: Vec<IpNet> = "trusted-proxies", "",
        List(Text { valid: proxy, allowed: "IP addresses or networks such as 127.0.0.1, 10.0.0.0/8, separated by commas", summary: "IP addresses or networks, comma-separated" }),
        "Proxies whose `X-Forwarded-For` names the client, for the rate limit. Anyone else's forwarded header is ignored.";
    content_dir: PathBuf = "content-dir", "content", Required(Text { valid: |path| Some(PathBuf::from(path)), allowed: "the path of a folder", summary: "an existing folder" }),
        "Where `privacy.md`, `terms.md` and `acceptable-use.md` live.";
    database_url: String = "database-url", "sqlite://data/consent-receipts.sqlite?mode=rwc",
        Required(Text { valid: database_url, allowed: "a sqlite:… or postgres://… URL", summary: "`sqlite:…`, `postgres://…` or `postgresql://…`" }),
        "The consent log. The SQLite file (and its folder) is created on first start.";
    receipt_retention_days: u32 = "receipt-retention-days", "1095", whole(1, MAX_RECEIPT_RETENTION_DAYS),
        "How long `leadistry prune` keeps receipts. Never shorter than `consent-lifetime-days`: proof outlives every decision it proves.";
    saves_per_minute: u32 = "saves-per-minute", "240", whole(1, 60_000),
        "Consent saves one client may make a minute, after a burst of `saves-burst`. Over it: 429 with `Retry-After`, held 250 ms, nothing written.";
    saves_burst: u32 = "saves-burst", "20", whole(1, 10_000),
        "Consent saves one client may make at once before `saves-per-minute` applies.";
    receipt_queue: usize = "receipt-queue", "256", count(1, 100_000),
        "Receipt writes under way or waiting; past it a save is refused at once (503, `Retry-After: 1`).";
    header_read_timeout: Duration = "header-read-timeout-secs", "10", seconds(1, 300),
        "Seconds to receive a request's headers, counted from when the connection waits for them.";
    body_read_timeout: Duration = "body-read-timeout-secs", "10", seconds(1, 300),
        "Seconds to receive a consent form's body (408 after it).";
    request_timeout: Duration = "request-timeout-secs", "30", seconds(1, 3600),
        "Seconds to answer a request (503 after it).";
    keep_alive_timeout: Duration = "keep-alive-timeout-secs", "5", seconds(1, 3600),
        "Seconds a connection may stay open with no request in it.";
    max_connections: usize = "max-connections", "4096", count(1, 1_000_000),
        "Connections served at once; more wait in the kernel's queue. The server raises its file-descriptor limit, and lowers this to fit it if needed.";
    page_cache_kib: usize = "page-cache-kib", "8192", count(0, 1_048_576),
        "Memory for pages rendered once and served again for 60 s: the one page of every visitor with no decision in force (kept compressed), and for decided visitors a template per choice, filled with each one's decision; 0: every page is rendered.";
    shutdown_timeout: Duration = "shutdown-timeout-secs", "10", seconds(0, 3600),
        "After SIGTERM or SIGINT, seconds that requests in progress may take to finish before the server exits.";
    operator_addr: Option<SocketAddr> = "operator-addr", "",
        Text { valid: |text| text.parse::<SocketAddr>().ok(), allowed: "an address and port such as 127.0.0.1:9464, or \"\" for none", summary: "`host:port`, or `\"\"`" },
        "The operator listener (`/metrics`, `/healthz`, `/readyz`, `/stats`, `/stats.json`); empty: none. Off a loopback address it needs `operator-token`, or the server refuses to start.";
    operator_token: Option<OperatorToken> = "operator-token", "",
        Secret(Text { valid: OperatorToken::parse, allowed: "at least 16 visible ASCII characters, no spaces", summary: "16+ visible ASCII characters" }),
        "The token `/metrics` and the statistics ask for (`Authorization: Bearer …`); `/healthz` and `/readyz` answer without it. Put it in `LEADISTRY_OPERATOR_TOKEN`.";
}

const MAX_RECEIPT_RETENTION_DAYS: u32 = 3650;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration `{key}`: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

/// A setting in force, as `leadistry config` and the start-up log show it.
#[derive(Clone, Debug)]
pub struct InForce {
    pub key: &'static str,
    /// The text in force; a secret's is never kept.
    pub shown: String,
    /// The file's name or the variable's; `None` for the default.
    pub source: Option<String>,
}

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
        let site = SiteSettings::from_sources(&sources)?.checked(&sources)?;
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
        Self::from_sources(&sources)?.checked(&sources)
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

/// `[leadistry]` as written in the file, and the environment over it.
struct Sources<'a> {
    file_name: String,
    table: toml::Table,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Sources<'a> {
    fn new(
        path: &str,
        text: &str,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file_name = std::path::Path::new(path)
            .file_name()
            .map_or(path.into(), |name| name.to_string_lossy().into_owned());
        let mut file: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            key: file_name.clone(),
            message: e.message().to_string(),
        })?;
        let table = match file.remove("leadistry") {
            None => toml::Table::new(),
            Some(toml::Value::Table(table)) => table,
            Some(_) => {
                return Err(ConfigError {
                    key: "leadistry".into(),
                    message: "must be a table ([leadistry])".into(),
                })
            }
        };
        if let Some(unknown) = table.keys().find(|key| !KEYS.contains(&key.as_str())) {
            let message = if unknown == "secure-cookies" {
                "no longer a setting: Secure and HSTS follow the scheme of public-origin".into()
            } else {
                format!("unknown key; the keys are {}", KEYS.join(", "))
            };
            return Err(ConfigError {
                key: format!("leadistry.{unknown}"),
                message,
            });
        }
        Ok(Self {
            file_name,
            table,
            env,
        })
    }

    /// The text set for `key`, and where: the environment wins over the file.
    fn raw(&self, key: &str) -> Result<Option<(String, Option<String>)>, ConfigError> {
        let name = variable(key);
        if let Some(value) = (self.env)(&name) {
            return Ok(Some((value.trim().to_string(), Some(name))));
        }
        let text = match self.table.get(key) {
            None => return Ok(None),
            Some(toml::Value::String(s)) => s.trim().to_string(),
            Some(toml::Value::Integer(i)) => i.to_string(),
            Some(toml::Value::Boolean(b)) => b.to_string(),
            Some(other) => {
                let allowed = "a string, a number or a boolean";
                return Err(self.invalid(key, &other.to_string(), allowed));
            }
        };
        Ok(Some((text, Some(self.file_name.clone()))))
    }

    /// The value of `key`; unset or empty, its default.
    fn value<K: Kind>(&self, key: &str, default: &str, kind: &K) -> Result<K::Value, ConfigError> {
        let text = self
            .raw(key)?
            .map(|(text, _)| text)
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| default.into());
        kind.parse(&text).map_err(|refusal| match refusal {
            Refusal::NotAllowed => self.invalid(key, &text, &kind.allowed()),
            // A key's own reason, which never repeats the key.
            Refusal::Reason(reason) => ConfigError {
                key: format!("leadistry.{key}"),
                message: format!("{reason} (set in {} or {})", self.file_name, variable(key)),
            },
        })
    }

    fn invalid(&self, key: &str, value: &str, allowed: &str) -> ConfigError {
        ConfigError {
            key: format!("leadistry.{key}"),
            message: format!(
                "{value:?} is not allowed (set in {} or {}); expected {allowed}",
                self.file_name,
                variable(key)
            ),
        }
    }

    /// Every setting's text in force, after `value` accepted it.
    fn in_force(&self) -> Vec<InForce> {
        declared()
            .into_iter()
            .map(|setting| {
                let set = self.raw(setting.key).ok().flatten();
                let set = set.filter(|(text, _)| !text.is_empty());
                let (text, source) = set.unwrap_or((setting.default.into(), None));
                let shown = match (setting.secret, text.is_empty()) {
                    (_, true) => "\"\"".into(),
                    (true, false) => "(set, not shown)".into(),
                    (false, false) if text.parse::<u64>().is_ok() => text,
                    (false, false) => format!("{:?}", without_password(&text)),
                };
                InForce {
                    key: setting.key,
                    shown,
                    source,
                }
            })
            .collect()
    }
}

/// A URL's password (a database URL's) masked.
fn without_password(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.into();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:(not shown)@{host}")
        }
        _ => text.into(),
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
        assert_eq!(s.consent_key[0].as_bytes(), [1u8; 32]);
        assert_eq!(s.consent_previous_keys.len(), 1);
        assert!(s.is_trusted_proxy("127.0.0.1".parse().unwrap()));
        assert!(s.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(!s.is_trusted_proxy("192.168.1.1".parse().unwrap()));
        assert_eq!(s.content_dir, PathBuf::from("docs"));
        assert_eq!(s.database_url, "postgres://u:p@db/leadistry");
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
        assert!(s.database_url.starts_with("sqlite://"));
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
        assert_eq!(s.consent_key[0].as_bytes(), [2u8; 32]);
        assert_eq!(s.consent_previous_keys.len(), 2);
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

#[cfg(test)]
mod declared {
    use super::*;

    /// The README's table of `[leadistry]` settings, as the declarations make it.
    fn readme_table() -> String {
        let mut table = String::from("| key | default | allowed | meaning |\n|---|---|---|---|\n");
        for setting in declared() {
            let default = if setting.default.is_empty() {
                "\"\""
            } else {
                setting.default
            };
            let _ = writeln!(
                table,
                "| `{}` | `{default}` | {} | {} |",
                setting.key, setting.allowed, setting.meaning
            );
        }
        table
    }

    #[test]
    fn the_readme_table_is_the_declared_settings() {
        let readme = include_str!("../../README.md");
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's [leadistry] table differs from the declarations; it should read:\n{table}"
        );
    }

    #[test]
    fn every_default_is_allowed_and_every_key_is_in_the_repository_file() {
        let defaults = SiteSettings::parse("", &|_| None).unwrap();
        assert_eq!(defaults.receipt_retention_days, 1095);
        let file = include_str!("../../Leptos.toml");
        for setting in declared() {
            assert!(
                file.contains(&format!("{} =", setting.key)),
                "{} is not in Leptos.toml",
                setting.key
            );
        }
    }

    #[test]
    fn an_empty_value_means_the_default() {
        let s = parse_with_env(&[
            ("LEADISTRY_CONSENT_LIFETIME_DAYS", ""),
            ("DATABASE_URL", ""),
        ]);
        assert_eq!(s.consent_lifetime_days, 182);
        assert!(s.database_url.starts_with("sqlite://"));
    }

    #[test]
    fn the_settings_in_force_name_their_source_and_hide_keys() {
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
            site: SiteSettings::from_sources(&sources).unwrap(),
            in_force: sources.in_force(),
        };
        let text = config.describe();
        assert!(text.contains("policy-revision = 4"), "{text}");
        assert!(text.contains("# Leptos.toml"), "{text}");
        assert!(text.contains("consent-key = (set, not shown)"), "{text}");
        assert!(text.contains("# LEADISTRY_CONSENT_KEY"), "{text}");
        assert!(!text.contains("AQEBAQ"), "{text}");
        assert!(text.contains("consent-lifetime-days = 182"), "{text}");
        assert_eq!(
            without_password("postgres://site:s3cret@db/leadistry"),
            "postgres://site:(not shown)@db/leadistry"
        );
    }

    fn parse_with_env(env: &[(&str, &str)]) -> SiteSettings {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SiteSettings::parse("", &move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .unwrap()
    }
}
