//! UTC calendar dates and Unix time, through `time`: the date a visitor is shown is computed
//! the same on the server and in the browser; dates an operator types are read on the server.

/// `YYYY-MM-DD` of a Unix time; empty after 9999-12-31, which no decision can carry (the
/// server refuses one decided in the future).
// `time` costs the browser nothing: the bundle is no larger than with the hand-written
// arithmetic it replaced (docs/benchmarks.md, hand-written code).
pub fn utc_date(unix_secs: u64) -> String {
    i64::try_from(unix_secs)
        .ok()
        .and_then(|secs| time::UtcDateTime::from_unix_timestamp(secs).ok())
        .map(|moment| {
            let date = moment.date();
            let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
            format!("{year:04}-{month:02}-{day:02}")
        })
        .unwrap_or_default()
}

/// Midnight UTC of `YYYY-MM-DD`, for years 1970 to 9999; `None` for anything else.
#[cfg(feature = "ssr")]
pub fn parse_utc_date(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, format).ok()?;
    // `[year]` also takes a sign (`+2026`); ten characters leave no room for one.
    (text.len() == 10 && date.year() >= 1970).then(|| date.midnight().assume_utc().unix_timestamp())
}

/// The current Unix time in seconds (the server's clock).
#[cfg(feature = "ssr")]
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_764_390_000), "2025-11-29");
        assert_eq!(utc_date(1_798_761_599), "2026-12-31");
        assert_eq!(utc_date(253_402_300_799), "9999-12-31");
        assert_eq!(utc_date(253_402_300_800), "");
        assert_eq!(utc_date(u64::MAX), "");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn dates_parse_to_midnight_utc() {
        assert_eq!(parse_utc_date("1970-01-01"), Some(0));
        assert_eq!(parse_utc_date("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_utc_date("2026-01-01"), Some(1_767_225_600));
        for bad in [
            "",
            "2026",
            "2026-1-01",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "1969-12-31",
            "2026-01-01-",
            "+2026-01-01",
            "2026-01-0a",
        ] {
            assert_eq!(parse_utc_date(bad), None, "{bad}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn every_day_round_trips() {
        // Every day from 1970 to 2200, both ways.
        for days in 0..84_000_i64 {
            let secs = days * 86_400;
            let text = utc_date(secs as u64 + 86_399);
            assert_eq!(parse_utc_date(&text), Some(secs), "{text}");
        }
    }
}
