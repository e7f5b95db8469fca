//! Whole UTC days, the unit the consent log keeps its figures in: the days a question covers,
//! and the calendar date of a day counted since the Unix epoch.

use crate::receipts::DAY;
use time::Date;

/// Whole UTC days `[since, until)`, as days since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Days {
    pub since: i64,
    pub until: i64,
}

impl Days {
    /// The days that hold `[since, until)` in Unix seconds: the figures are kept per day, so
    /// a time inside a day counts its whole day.
    pub fn covering(since: i64, until: i64) -> Self {
        Self {
            since: since.div_euclid(DAY),
            until: until.div_euclid(DAY) + i64::from(until.rem_euclid(DAY) > 0),
        }
    }

    /// The `count` days up to and including today.
    pub fn last(count: i64, now: i64) -> Self {
        let today = now.div_euclid(DAY);
        Self {
            since: today - count + 1,
            until: today + 1,
        }
    }

    /// Whether a bound is the log's beginning or no end at all.
    pub(super) fn open(day: i64) -> bool {
        day <= 0 || day >= i64::MAX / DAY
    }
}

/// The Julian day number of 1970-01-01.
const EPOCH: i64 = 2_440_588;

/// The day since the Unix epoch of a date.
pub(super) fn day_of(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - EPOCH
}

/// The date of a day since the Unix epoch (clamped to what `time` can hold).
pub fn date_of(day: i64) -> Date {
    let julian = EPOCH.saturating_add(day).clamp(
        i64::from(Date::MIN.to_julian_day()),
        i64::from(Date::MAX.to_julian_day()),
    );
    Date::from_julian_day(julian as i32).unwrap_or(Date::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_cover_the_times_asked() {
        assert_eq!(Days::covering(DAY, 2 * DAY), Days { since: 1, until: 2 });
        assert_eq!(
            Days::covering(DAY + 5, 2 * DAY + 1),
            Days { since: 1, until: 3 }
        );
        assert_eq!(
            Days::covering(-1, 0),
            Days {
                since: -1,
                until: 0
            }
        );
    }

    #[test]
    fn the_last_days_end_with_today() {
        let now = 20_423 * DAY + 3_600;
        assert_eq!(
            Days::last(30, now),
            Days {
                since: 20_394,
                until: 20_424
            }
        );
        assert_eq!(Days::last(1, now).until - Days::last(1, now).since, 1);
    }

    #[test]
    fn open_bounds_are_the_beginning_and_no_end() {
        assert!(Days::open(0));
        assert!(Days::open(i64::MAX / DAY));
        assert!(!Days::open(20_423));
    }

    #[test]
    fn days_are_dates_and_back() {
        assert_eq!(date_of(0).to_string(), "1970-01-01");
        assert_eq!(date_of(20_423).to_string(), "2025-12-01");
        for day in [-1, 0, 11_016, 20_423] {
            assert_eq!(day_of(date_of(day)), day);
        }
        assert_eq!(date_of(i64::MAX / DAY), Date::MAX, "clamped, not a panic");
        assert_eq!(date_of(i64::MAX), Date::MAX);
        assert_eq!(date_of(i64::MIN), Date::MIN);
    }
}
