//! The `[leadistry]` settings, declared once: each one's field, type, key, default, what it
//! allows and its meaning, in `settings!`. The loader, its errors, `leadistry config`, the
//! start-up log and the README's table all come from that declaration.

use super::database::DatabaseUrl;
use super::keys::{OperatorToken, SecretKey};
use super::kind::{count, minutes, seconds, whole, Keys, Kind, List, Required, Secret, Text};
use super::origin::Origin;
use ipnet::IpNet;
use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

/// The longest a consent decision may be kept (13 months, the CNIL's ceiling).
pub const MAX_CONSENT_LIFETIME_DAYS: u32 = 395;
/// The most `receipt-retention-days` allows.
pub const MAX_RECEIPT_RETENTION_DAYS: u32 = 3650;

/// One `[leadistry]` setting as declared: what `leadistry config` and the README show.
pub struct Declared {
    pub key: &'static str,
    pub default: &'static str,
    pub allowed: String,
    pub meaning: &'static str,
    pub secret: bool,
}

/// Where the declared settings' values come from: `sources::Sources`, the file and the
/// environment over it. A trait because `sources` reads this table (its keys, defaults and
/// secrets), so the table must not name it back.
pub trait Lookup {
    type Error;
    /// The value `kind` makes of the text set for `key`; unset or empty, of `default`.
    fn value<K: Kind>(
        &self,
        key: &'static str,
        default: &'static str,
        kind: &K,
    ) -> Result<K::Value, Self::Error>;
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

        /// The keys `[leadistry]` may hold; any other is refused.
        pub const KEYS: &[&str] = &[$($key),*];

        impl SiteSettings {
            /// Each setting's value, as `lookup` finds it.
            pub fn read<L: Lookup>(lookup: &L) -> Result<Self, L::Error> {
                Ok(Self { $($field: lookup.value($key, $default, &$kind)?,)* })
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
    database_url: DatabaseUrl = "database-url", "sqlite://data/consent-receipts.sqlite?mode=rwc",
        Required(Text { valid: DatabaseUrl::parse, allowed: "a sqlite:… or postgres://… URL", summary: "`sqlite:…`, `postgres://…` or `postgresql://…`" }),
        "The consent log. The SQLite file (and its folder) is created on first start.";
    receipt_retention_days: u32 = "receipt-retention-days", "1095", whole(1, MAX_RECEIPT_RETENTION_DAYS),
        "How long `leadistry prune` keeps receipts. Never shorter than `consent-lifetime-days`: proof outlives every decision it proves. Only whole sealed days are pruned; their seals stay.";
    seal_grace: Duration = "seal-grace-minutes", "10", minutes(1, 1440),
        "Minutes after a UTC day ends before it is sealed, so that saves in flight land first. The instances' clocks must agree to within it.";
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

impl SiteSettings {
    /// Cookies carry `Secure`, and responses HSTS, when visitors use https.
    pub fn secure(&self) -> bool {
        self.public_origin.as_ref().is_some_and(Origin::is_https)
    }

    /// Reachable from other machines with no public origin set: most likely behind a proxy
    /// that nobody has told the server about, so the server says so at start-up.
    pub fn lacks_public_origin_for(&self, bind: SocketAddr) -> bool {
        self.public_origin.is_none() && !bind.ip().is_loopback()
    }

    pub fn is_trusted_proxy(&self, address: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .any(|net| net.contains(&address))
    }
}

fn clarity_id(text: &str) -> Option<String> {
    let ok = (4..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    ok.then(|| text.to_string())
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
    use std::fmt::Write;

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

    /// Every setting unset: each one's default.
    struct Defaults;

    impl Lookup for Defaults {
        type Error = &'static str;
        fn value<K: Kind>(
            &self,
            key: &'static str,
            default: &'static str,
            kind: &K,
        ) -> Result<K::Value, &'static str> {
            kind.parse(default).map_err(|_| key)
        }
    }

    #[test]
    fn every_default_is_allowed_and_every_key_is_in_the_repository_file() {
        let defaults = SiteSettings::read(&Defaults).unwrap();
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
}
