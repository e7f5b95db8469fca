//! `[leadistry]` as set: read from the configuration file with the environment over it, each
//! setting's text and where it was set (the file's name or the variable's), the errors that
//! name both and what the setting allows, and the settings in force as `leadistry config` and
//! the start-up log show them.

use super::kind::{Kind, Refusal};
use super::settings::{declared, Lookup, KEYS};

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration `{key}`: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

/// The variable that overrides a key: `LEADISTRY_` and the key in upper snake case, except
/// the conventional `DATABASE_URL`.
pub fn variable(key: &str) -> String {
    match key {
        "database-url" => "DATABASE_URL".into(),
        key => format!("LEADISTRY_{}", key.to_ascii_uppercase().replace('-', "_")),
    }
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

/// `[leadistry]` as written in the file, and the environment over it.
// By hand rather than figment: no shorter with it, and slower to build (bench/figment-build.sh).
pub struct Sources<'a> {
    file_name: String,
    table: toml::Table,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Sources<'a> {
    /// `text` is the file at `path`; `env` reads a variable.
    pub fn new(
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

    /// `value` refused for `key`: where it may be set, and what it allows.
    pub fn invalid(&self, key: &str, value: &str, allowed: &str) -> ConfigError {
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
    pub fn in_force(&self) -> Vec<InForce> {
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

impl Lookup for Sources<'_> {
    type Error = ConfigError;

    /// Unset or empty: the default.
    fn value<K: Kind>(
        &self,
        key: &'static str,
        default: &'static str,
        kind: &K,
    ) -> Result<K::Value, ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::super::settings::SiteSettings;
    use super::*;
    use std::net::IpAddr;

    /// 32 bytes of 0x01 and of 0x02, in base64.
    const KEY_1: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
    const KEY_2: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";

    const FILE: &str = r#"
[leadistry]
clarity-project-id = "abcd1234ef"
policy-revision = 3
consent-lifetime-days = 90
public-origin = "https://www.leadistry.com"
consent-key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
trusted-proxies = "127.0.0.1, 10.0.0.0/8"
database-url = "postgres://u:p@db/leadistry"
"#;

    /// The settings and those in force, from `text` as the file at `path` and `env`.
    fn read_at(
        path: &str,
        text: &str,
        env: &[(&str, &str)],
    ) -> Result<(SiteSettings, Vec<InForce>), ConfigError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let sources = Sources::new(path, text, &env)?;
        Ok((SiteSettings::read(&sources)?, sources.in_force()))
    }

    fn read(text: &str, env: &[(&str, &str)]) -> Result<SiteSettings, ConfigError> {
        read_at("Leptos.toml", text, env).map(|(settings, _)| settings)
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = read(
            FILE,
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
        assert_eq!(s.database_url.as_str(), "sqlite::memory:");
    }

    #[test]
    fn an_empty_value_means_the_default() {
        let s = read(
            "",
            &[
                ("LEADISTRY_CONSENT_LIFETIME_DAYS", ""),
                ("DATABASE_URL", ""),
            ],
        )
        .unwrap();
        assert_eq!(s.consent_lifetime_days, 182);
        assert!(s.database_url.as_str().starts_with("sqlite://"));
    }

    #[test]
    fn each_setting_in_force_names_its_source_and_no_secret_is_shown() {
        let file = "[leadistry]\npolicy-revision = 4\noperator-token = \"0123456789abcdef\"";
        let env = [
            ("LEADISTRY_CONSENT_KEY", KEY_1),
            ("DATABASE_URL", "postgres://site:s3cret@db/leadistry"),
        ];
        let (_, in_force) = read_at("/etc/leadistry/site.toml", file, &env).unwrap();
        let shown = |key: &str| {
            let setting = in_force.iter().find(|s| s.key == key).unwrap();
            (setting.shown.as_str(), setting.source.as_deref())
        };
        assert_eq!(shown("policy-revision"), ("4", Some("site.toml")));
        assert_eq!(
            shown("operator-token"),
            ("(set, not shown)", Some("site.toml"))
        );
        assert_eq!(
            shown("consent-key"),
            ("(set, not shown)", Some("LEADISTRY_CONSENT_KEY"))
        );
        assert_eq!(
            shown("database-url"),
            (
                "\"postgres://site:(not shown)@db/leadistry\"",
                Some("DATABASE_URL")
            )
        );
        assert_eq!(shown("consent-lifetime-days"), ("182", None));
        assert_eq!(shown("cookie-domain"), ("\"\"", None));
        assert_eq!(in_force.len(), super::super::settings::KEYS.len());
    }

    #[test]
    fn an_error_names_the_file_or_the_variable_it_may_be_set_in() {
        let err = read_at(
            "/etc/leadistry/site.toml",
            "[leadistry]\nsaves-burst = 0",
            &[],
        )
        .unwrap_err();
        assert_eq!(err.key, "leadistry.saves-burst");
        assert!(
            err.message
                .contains("(set in site.toml or LEADISTRY_SAVES_BURST)"),
            "{err}"
        );
        assert!(err.message.contains("1 to 10000"), "{err}");
        let err = read(FILE, &[("LEADISTRY_CONSENT_LIFETIME_DAYS", "forever")]).unwrap_err();
        assert_eq!(err.key, "leadistry.consent-lifetime-days");
        assert!(err.message.contains("LEADISTRY_CONSENT_LIFETIME_DAYS"));
    }

    #[test]
    fn a_key_is_never_repeated_in_an_error() {
        let secret = "c2VjcmV0LWJ1dC10b28tc2hvcnQ";
        let err = read("", &[("LEADISTRY_CONSENT_KEY", secret)]).unwrap_err();
        assert!(err.message.contains("LEADISTRY_CONSENT_KEY"), "{err}");
        assert!(!err.to_string().contains(secret), "{err}");
        let token = "short token";
        let err = read("", &[("LEADISTRY_OPERATOR_TOKEN", token)]).unwrap_err();
        assert_eq!(err.key, "leadistry.operator-token");
        assert!(!err.to_string().contains(token), "{err}");
    }

    #[test]
    fn broken_toml_is_reported_with_the_file_name() {
        let err = read("[leadistry\n", &[]).unwrap_err();
        assert_eq!(err.key, "Leptos.toml");
        let err = read_at("/etc/leadistry/site.toml", "[leadistry\n", &[]).unwrap_err();
        assert_eq!(err.key, "site.toml");
    }
}
