//! UTC calendar dates and Unix time, both ways, computed the same on the server and in the
//! browser (Howard Hinnant's civil-date algorithms).

const SECS_PER_DAY: i64 = 86_400;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_SHIFT: i64 = 719_468;
const DAYS_PER_ERA: i64 = 146_097;

/// `YYYY-MM-DD` of a Unix time.
pub fn utc_date(unix_secs: u64) -> String {
    let (year, month, day) = civil_from_days((unix_secs / SECS_PER_DAY as u64) as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Midnight UTC of `YYYY-MM-DD`, for years 1970 to 9999; `None` for anything else.
pub fn parse_utc_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let mut field = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
    };
    let (year, month, day) = (field(4)?, field(2)?, field(2)?);
    if parts.next().is_some() || !(1970..=9999).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Day 31 of a 30-day month (or 2-29 of a common year) lands in the next month.
    (civil_from_days(days) == (year, month, day)).then_some(days * SECS_PER_DAY)
}

/// The current Unix time in seconds (the server's clock).
#[cfg(feature = "ssr")]
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let doe = z.rem_euclid(DAYS_PER_ERA);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * DAYS_PER_ERA + doe - EPOCH_SHIFT
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
    }

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

    #[test]
    fn every_day_round_trips() {
        // Every day from 1970 to 2200, both ways.
        for days in 0..84_000_i64 {
            let secs = days * SECS_PER_DAY;
            let text = utc_date(secs as u64 + 86_399);
            assert_eq!(parse_utc_date(&text), Some(secs), "{text}");
        }
    }
}
