//! The periods figures are grouped by: the day, ISO week, month, policy revision or method a
//! day's figures fall in, how periods sort and how they are named.

use super::days::{date_of, day_of};
use serde::Serialize;
use time::Date;

/// How `leadistry stats` groups the figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum By {
    #[default]
    Day,
    /// ISO weeks, Monday to Sunday (`2026-W49`).
    Week,
    Month,
    /// The policy revision the visitors decided under.
    Revision,
    /// How they decided: `banner`, `settings` (the dialog) or `form` (without JavaScript).
    Method,
}

impl By {
    /// Whether its periods are spans of time, which show days without figures too.
    pub(super) fn is_time(self) -> bool {
        matches!(self, Self::Day | Self::Week | Self::Month)
    }
}

/// A period as it sorts: time in order, methods in the order docs/operations.md lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Period {
    Day(Date),
    Week(i32, u8),
    Month(i32, u8),
    Revision(i64),
    Method(u8),
}

const METHODS: [&str; 3] = ["banner", "settings", "form"];

impl Period {
    /// The period `by` of figures of `day` (since the Unix epoch), decided under `revision`
    /// by `method`; a method not known counts as a form.
    pub(super) fn of(by: By, day: i64, revision: i64, method: &str) -> Self {
        let date = date_of(day);
        match by {
            By::Day => Self::Day(date),
            By::Week => {
                let (year, week, _) = date.to_iso_week_date();
                Self::Week(year, week)
            }
            By::Month => Self::Month(date.year(), u8::from(date.month())),
            By::Revision => Self::Revision(revision),
            By::Method => {
                Self::Method(METHODS.iter().position(|m| *m == method).unwrap_or(2) as u8)
            }
        }
    }

    /// The day of a period by day, since the Unix epoch.
    pub(super) fn day(self) -> Option<i64> {
        match self {
            Self::Day(date) => Some(day_of(date)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::Day(date) => write!(f, "{date}"),
            Self::Week(year, week) => write!(f, "{year}-W{week:02}"),
            Self::Month(year, month) => write!(f, "{year}-{month:02}"),
            Self::Revision(revision) => write!(f, "{revision}"),
            Self::Method(i) => f.write_str(METHODS[usize::from(i)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Monday 2025-12-29, in days since the Unix epoch.
    const MONDAY: i64 = 20_451;

    fn name(by: By, day: i64) -> String {
        Period::of(by, day, 7, "banner").to_string()
    }

    #[test]
    fn periods_of_time_are_named_by_the_calendar() {
        assert_eq!(name(By::Day, MONDAY), "2025-12-29");
        assert_eq!(name(By::Week, MONDAY - 1), "2025-W52");
        assert_eq!(
            name(By::Week, MONDAY),
            "2026-W01",
            "the ISO year of the week"
        );
        assert_eq!(name(By::Week, MONDAY + 6), "2026-W01");
        assert_eq!(name(By::Month, MONDAY), "2025-12");
        assert_eq!(name(By::Month, MONDAY + 3), "2026-01");
        assert_eq!(name(By::Revision, MONDAY), "7");
        assert_eq!(Period::of(By::Day, MONDAY, 1, "").day(), Some(MONDAY));
        assert_eq!(Period::of(By::Week, MONDAY, 1, "").day(), None);
    }

    #[test]
    fn methods_sort_as_the_readme_lists_them() {
        let mut methods: Vec<Period> = ["form", "settings", "banner", "keyboard"]
            .into_iter()
            .map(|m| Period::of(By::Method, MONDAY, 1, m))
            .collect();
        methods.sort();
        methods.dedup();
        let names: Vec<String> = methods.iter().map(Period::to_string).collect();
        assert_eq!(names, ["banner", "settings", "form"]);
    }

    #[test]
    fn days_sort_in_time() {
        let days = [MONDAY + 40, MONDAY, MONDAY - 400];
        let mut periods: Vec<Period> = days.map(|d| Period::of(By::Day, d, 1, "")).to_vec();
        periods.sort();
        let sorted: Vec<Option<i64>> = periods.into_iter().map(Period::day).collect();
        assert_eq!(
            sorted,
            [Some(MONDAY - 400), Some(MONDAY), Some(MONDAY + 40)]
        );
    }
}
