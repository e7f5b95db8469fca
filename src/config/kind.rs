//! What a setting's text may be, and the typed value it becomes: one kind per shape of
//! setting, each saying what it allows in an error and in the README table.

use super::keys::SecretKey;
use std::{path::PathBuf, time::Duration};

/// Why a text is not a setting's value: not one it allows, or (for a key, which is never
/// repeated) a reason of its own.
pub enum Refusal {
    NotAllowed,
    Reason(String),
}

pub trait Kind {
    type Value;
    fn parse(&self, text: &str) -> Result<Self::Value, Refusal>;
    /// What it allows, as an error says it: "a whole number from 1 to 395".
    fn allowed(&self) -> String;
    /// The same for the README table: "1 … 395".
    fn summary(&self) -> String;
    /// A secret's value is never printed.
    fn secret(&self) -> bool {
        false
    }
}

/// A whole number within bounds.
pub struct Whole {
    pub min: u32,
    pub max: u32,
}

impl Kind for Whole {
    type Value = u32;
    fn parse(&self, text: &str) -> Result<u32, Refusal> {
        text.parse::<u32>()
            .ok()
            .filter(|n| (self.min..=self.max).contains(n))
            .ok_or(Refusal::NotAllowed)
    }
    fn allowed(&self) -> String {
        format!("a whole number from {} to {}", self.min, self.max)
    }
    fn summary(&self) -> String {
        format!("{} … {}", self.min, self.max)
    }
}

/// A whole number of seconds within bounds.
pub struct Seconds(pub Whole);

impl Kind for Seconds {
    type Value = Duration;
    fn parse(&self, text: &str) -> Result<Duration, Refusal> {
        self.0.parse(text).map(|s| Duration::from_secs(s.into()))
    }
    fn allowed(&self) -> String {
        self.0.allowed()
    }
    fn summary(&self) -> String {
        self.0.summary()
    }
}

/// A count of things held in memory.
pub struct Count(pub Whole);

impl Kind for Count {
    type Value = usize;
    fn parse(&self, text: &str) -> Result<usize, Refusal> {
        self.0.parse(text).map(|n| n as usize)
    }
    fn allowed(&self) -> String {
        self.0.allowed()
    }
    fn summary(&self) -> String {
        self.0.summary()
    }
}

/// A text checked by `valid`; empty means not set.
pub struct Optional<T> {
    pub valid: fn(&str) -> Option<T>,
    pub allowed: &'static str,
    pub summary: &'static str,
}

impl<T> Kind for Optional<T> {
    type Value = Option<T>;
    fn parse(&self, text: &str) -> Result<Option<T>, Refusal> {
        if text.is_empty() {
            return Ok(None);
        }
        (self.valid)(text).map(Some).ok_or(Refusal::NotAllowed)
    }
    fn allowed(&self) -> String {
        self.allowed.into()
    }
    fn summary(&self) -> String {
        self.summary.into()
    }
}

/// A text checked by `valid` that must be there.
pub struct Required<T>(pub Optional<T>);

impl<T> Kind for Required<T> {
    type Value = T;
    fn parse(&self, text: &str) -> Result<T, Refusal> {
        self.0.parse(text)?.ok_or(Refusal::NotAllowed)
    }
    fn allowed(&self) -> String {
        self.0.allowed()
    }
    fn summary(&self) -> String {
        self.0.summary()
    }
}

/// Items checked by `valid`, separated by commas; empty means none.
pub struct List<T>(pub Optional<T>);

impl<T> Kind for List<T> {
    type Value = Vec<T>;
    fn parse(&self, text: &str) -> Result<Vec<T>, Refusal> {
        items(text)
            .map(|item| (self.0.valid)(item).ok_or(Refusal::NotAllowed))
            .collect()
    }
    fn allowed(&self) -> String {
        self.0.allowed()
    }
    fn summary(&self) -> String {
        self.0.summary()
    }
}

/// A folder.
pub struct Folder;

impl Kind for Folder {
    type Value = PathBuf;
    fn parse(&self, text: &str) -> Result<PathBuf, Refusal> {
        if text.is_empty() {
            return Err(Refusal::NotAllowed);
        }
        Ok(PathBuf::from(text))
    }
    fn allowed(&self) -> String {
        "the path of an existing folder".into()
    }
    fn summary(&self) -> String {
        "an existing folder".into()
    }
}

/// Keys in base64, comma-separated; `one` allows at most one.
pub struct Keys {
    pub one: bool,
}

impl Kind for Keys {
    type Value = Vec<SecretKey>;
    fn parse(&self, text: &str) -> Result<Vec<SecretKey>, Refusal> {
        let keys = items(text)
            .map(|item| SecretKey::from_base64(item).map_err(Refusal::Reason))
            .collect::<Result<Vec<_>, _>>()?;
        if self.one && keys.len() > 1 {
            let reason = "one key signs: earlier ones go in consent-previous-keys";
            return Err(Refusal::Reason(reason.into()));
        }
        Ok(keys)
    }
    fn allowed(&self) -> String {
        "base64 of at least 32 random bytes".into()
    }
    fn summary(&self) -> String {
        if self.one {
            "base64 of at least 32 bytes".into()
        } else {
            "keys as above, comma-separated".into()
        }
    }
    fn secret(&self) -> bool {
        true
    }
}

fn items(text: &str) -> impl Iterator<Item = &str> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}
