//! What a setting's text may be, and the typed value it becomes: one kind per shape of
//! setting, each saying what it allows in an error and in the README table.

use super::keys::SecretKey;
use std::time::Duration;

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

/// A whole number within bounds, as the value `make` turns it into.
pub struct Number<T> {
    pub min: u32,
    pub max: u32,
    make: fn(u32) -> T,
}

pub const fn whole(min: u32, max: u32) -> Number<u32> {
    Number {
        min,
        max,
        make: |n| n,
    }
}

pub const fn count(min: u32, max: u32) -> Number<usize> {
    Number {
        min,
        max,
        make: |n| n as usize,
    }
}

pub const fn seconds(min: u32, max: u32) -> Number<Duration> {
    Number {
        min,
        max,
        make: |n| Duration::from_secs(n.into()),
    }
}

pub const fn minutes(min: u32, max: u32) -> Number<Duration> {
    Number {
        min,
        max,
        make: |n| Duration::from_secs(u64::from(n) * 60),
    }
}

impl<T> Kind for Number<T> {
    type Value = T;
    fn parse(&self, text: &str) -> Result<T, Refusal> {
        match text.parse::<u32>() {
            Ok(n) if (self.min..=self.max).contains(&n) => Ok((self.make)(n)),
            _ => Err(Refusal::NotAllowed),
        }
    }
    fn allowed(&self) -> String {
        format!("a whole number from {} to {}", self.min, self.max)
    }
    fn summary(&self) -> String {
        format!("{} … {}", self.min, self.max)
    }
}

/// A text checked by `valid`; empty means not set.
pub struct Text<T> {
    pub valid: fn(&str) -> Option<T>,
    pub allowed: &'static str,
    pub summary: &'static str,
}

impl<T> Kind for Text<T> {
    type Value = Option<T>;
    fn parse(&self, text: &str) -> Result<Option<T>, Refusal> {
        match text {
            "" => Ok(None),
            text => (self.valid)(text).map(Some).ok_or(Refusal::NotAllowed),
        }
    }
    fn allowed(&self) -> String {
        self.allowed.into()
    }
    fn summary(&self) -> String {
        self.summary.into()
    }
}

/// A text that must be there (its default is not empty).
pub struct Required<T>(pub Text<T>);

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

/// Texts checked by `valid`, separated by commas; empty means none.
pub struct List<T>(pub Text<T>);

impl<T> Kind for List<T> {
    type Value = Vec<T>;
    fn parse(&self, text: &str) -> Result<Vec<T>, Refusal> {
        let valid = |item| (self.0.valid)(item).ok_or(Refusal::NotAllowed);
        items(text).map(valid).collect()
    }
    fn allowed(&self) -> String {
        self.0.allowed()
    }
    fn summary(&self) -> String {
        self.0.summary()
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
        match self.one {
            true => "base64 of at least 32 bytes".into(),
            false => "keys as above, comma-separated".into(),
        }
    }
    fn secret(&self) -> bool {
        true
    }
}

/// A secret text (a bearer token): never printed, not even in an error; empty means not set.
pub struct Secret<T>(pub Text<T>);

impl<T> Kind for Secret<T> {
    type Value = Option<T>;
    fn parse(&self, text: &str) -> Result<Option<T>, Refusal> {
        self.0
            .parse(text)
            .map_err(|_| Refusal::Reason(format!("expected {}", self.0.allowed)))
    }
    fn allowed(&self) -> String {
        self.0.allowed()
    }
    fn summary(&self) -> String {
        self.0.summary()
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
