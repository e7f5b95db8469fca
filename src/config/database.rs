//! Where the consent log is: the `database-url` setting, read once into what the rest of the
//! site asks of it (SQLite or PostgreSQL, and a SQLite log's file).

use std::path::{Path, PathBuf};

/// A consent log's URL, as sqlx takes it, with what it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    log: Log,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Log {
    SqliteFile(PathBuf),
    SqliteMemory,
    Postgres,
}

impl DatabaseUrl {
    /// `sqlite:…` (a file, or `:memory:` / `mode=memory`), `postgres://…` or `postgresql://…`.
    pub fn parse(url: &str) -> Option<Self> {
        let log = if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            let memory = query.split('&').any(|pair| pair == "mode=memory");
            match path {
                "" | ":memory:" => Log::SqliteMemory,
                _ if memory => Log::SqliteMemory,
                path => Log::SqliteFile(PathBuf::from(path)),
            }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Log::Postgres
        } else {
            return None;
        };
        Some(Self {
            url: url.to_string(),
            log,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    pub fn is_sqlite(&self) -> bool {
        self.log != Log::Postgres
    }

    /// A SQLite log's file; `None` in memory or on PostgreSQL.
    pub fn sqlite_file(&self) -> Option<&Path> {
        match &self.log {
            Log::SqliteFile(file) => Some(file),
            _ => None,
        }
    }

    /// The folder of a SQLite log's file (`.` for a bare file name).
    pub fn sqlite_folder(&self) -> Option<&Path> {
        let file = self.sqlite_file()?;
        Some(
            file.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_each_url_names() {
        let file = DatabaseUrl::parse("sqlite://data/log.sqlite?mode=rwc").unwrap();
        assert_eq!(file.sqlite_file(), Some(Path::new("data/log.sqlite")));
        assert_eq!(file.sqlite_folder(), Some(Path::new("data")));
        let bare = DatabaseUrl::parse("sqlite:log.sqlite").unwrap();
        assert_eq!(bare.sqlite_folder(), Some(Path::new(".")));
        let absolute = DatabaseUrl::parse("sqlite:///var/lib/x.sqlite").unwrap();
        assert_eq!(absolute.sqlite_file(), Some(Path::new("/var/lib/x.sqlite")));
        for memory in [
            "sqlite::memory:",
            "sqlite://",
            "sqlite://x.sqlite?mode=memory",
        ] {
            let memory = DatabaseUrl::parse(memory).unwrap();
            assert!(memory.is_sqlite() && memory.sqlite_file().is_none());
        }
        for postgres in ["postgres://u:p@db/x", "postgresql://db/x"] {
            let postgres = DatabaseUrl::parse(postgres).unwrap();
            assert!(!postgres.is_sqlite() && postgres.sqlite_file().is_none());
        }
        assert_eq!(DatabaseUrl::parse("mysql://db/x"), None);
        assert_eq!(file.as_str(), "sqlite://data/log.sqlite?mode=rwc");
    }
}
