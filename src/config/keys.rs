//! The keys that sign consent cookies: whoever can set a cookie for the site (a sibling
//! subdomain, another port of the host) cannot make one the server accepts without them.

use super::database::DatabaseUrl;
use base64::{
    engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD},
    Engine,
};
use std::{fmt, fs, io::Write, os::unix::fs::OpenOptionsExt, path::Path, sync::Arc};

/// HMAC-SHA256 wants a key at least as long as its output.
pub const MIN_KEY_BYTES: usize = 32;
/// The file beside a SQLite consent log that holds the key the server made itself.
pub const KEY_FILE: &str = "consent-key";

/// Key material; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Arc<[u8]>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// The bearer token the operator listener asks for; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorToken(pub String);

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperatorToken(…)")
    }
}

impl OperatorToken {
    /// At least 16 visible ASCII characters (a header value, no spaces).
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() >= 16 && text.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(text.to_string()))
    }
}

impl SecretKey {
    /// A key written in base64 (standard or URL-safe, padding optional), e.g. the output
    /// of `openssl rand -base64 32`. The error never repeats the key.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let text = text.trim().trim_end_matches('=');
        let bytes = STANDARD_NO_PAD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| "the key is not base64".to_string())?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the key is {} bytes; at least {MIN_KEY_BYTES} random bytes are needed \
                 (e.g. the output of `openssl rand -base64 32`)",
                bytes.len()
            ));
        }
        Ok(Self(bytes.into()))
    }

    /// A fresh random key from the operating system.
    pub fn generate() -> Result<Self, String> {
        let mut bytes = [0u8; MIN_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a key: {e}"))?;
        Ok(Self(bytes.to_vec().into()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn to_base64(&self) -> String {
        STANDARD_NO_PAD.encode(&self.0)
    }
}

/// The key new cookies are signed with, and earlier ones still accepted while visitors'
/// cookies signed with them live on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentKeys {
    pub current: SecretKey,
    pub previous: Vec<SecretKey>,
}

impl ConsentKeys {
    pub fn new(current: SecretKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Every key a cookie may be signed with, the current one first.
    pub fn all(&self) -> impl Iterator<Item = &SecretKey> {
        std::iter::once(&self.current).chain(&self.previous)
    }
}

/// The key when none is configured: kept in a file beside a SQLite log (made on first start,
/// readable by the owner only), or, for a log in memory, one that lives as long as the
/// process. A PostgreSQL log may be shared by several instances, which need one key: that
/// one must be configured.
pub fn default_key(database_url: &DatabaseUrl) -> Result<SecretKey, String> {
    if !database_url.is_sqlite() {
        return Err(
            "the consent log is PostgreSQL, which several instances may share: set the same \
             key on every instance (consent-key or LEADISTRY_CONSENT_KEY)"
                .into(),
        );
    }
    match database_url.sqlite_folder() {
        None => SecretKey::generate(),
        Some(folder) => key_file(&folder.join(KEY_FILE)),
    }
}

fn key_file(path: &Path) -> Result<SecretKey, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let created = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(mut file) => {
            let key = SecretKey::generate()?;
            writeln!(file, "{}", key.to_base64())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write {shown}: {e}"))?;
            tracing::info!("made a consent cookie key in {shown}");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = fs::metadata(path)
                .map_err(|e| format!("cannot read {shown}: {e}"))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "{shown} holds the consent cookie key but others may read it \
                     (mode {:o}): chmod 600 it",
                    mode & 0o777
                ));
            }
            let text = fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
            SecretKey::from_base64(&text).map_err(|e| format!("{shown}: {e}"))
        }
        Err(e) => Err(format!("cannot create {shown}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_base64_of_at_least_32_bytes_and_never_shown() {
        let key = SecretKey::from_base64(&STANDARD_NO_PAD.encode([7u8; 32])).unwrap();
        assert_eq!(key.as_bytes(), [7u8; 32]);
        assert_eq!(format!("{key:?}"), "SecretKey(…)");
        let padded = base64::engine::general_purpose::STANDARD.encode([9u8; 40]);
        assert_eq!(
            SecretKey::from_base64(&padded).unwrap().as_bytes(),
            [9u8; 40]
        );
        let short = SecretKey::from_base64(&STANDARD_NO_PAD.encode([1u8; 16])).unwrap_err();
        assert!(short.contains("16 bytes"), "{short}");
        assert!(SecretKey::from_base64("not base64 at all!").is_err());
        assert_ne!(
            SecretKey::generate().unwrap(),
            SecretKey::generate().unwrap()
        );
    }

    #[test]
    fn the_default_key_is_made_once_beside_the_log_for_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let folder = std::env::temp_dir().join(format!("leadistry-keys-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        let url = format!("sqlite://{}/log.sqlite?mode=rwc", folder.display());
        let url = DatabaseUrl::parse(&url).unwrap();
        let first = default_key(&url).unwrap();
        let file = folder.join(KEY_FILE);
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            default_key(&url).unwrap(),
            first,
            "the same key after a restart"
        );
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(default_key(&url).unwrap_err().contains("chmod 600"));
        fs::remove_dir_all(&folder).unwrap();
        let postgres = DatabaseUrl::parse("postgres://u:p@db/x").unwrap();
        assert!(default_key(&postgres)
            .unwrap_err()
            .contains("LEADISTRY_CONSENT_KEY"));
        assert!(default_key(&DatabaseUrl::parse("sqlite::memory:").unwrap()).is_ok());
    }
}
