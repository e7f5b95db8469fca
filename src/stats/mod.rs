//! The operator's figures: how many visitors decided, how, and how often the banner was
//! shown, per period, from the consent log's daily figures (kept as each receipt is written)
//! and the counters of what receipts cannot show. Nothing about any visitor.

pub mod chart;
pub mod counters;

use crate::receipts::{Counted, Daily, Store, StoreError, DAY};
use counters::Counter;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
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

/// Saves refused, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub rate_limit: u64,
    pub queue_full: u64,
    pub store_failure: u64,
}

/// The figures of one period (or of all of them). Rates are `None` (JSON `null`) where their
/// divisor is 0; the counters are `None` in rows by method, which pages are not counted by.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub decisions: u64,
    pub granted: u64,
    pub denied: u64,
    pub banner: u64,
    pub settings: u64,
    pub form: u64,
    pub opt_in_rate: Option<f64>,
    pub impressions: Option<u64>,
    pub interaction_rate: Option<f64>,
    pub gpc_pages: Option<u64>,
    pub withdrawn: u64,
    pub regranted: u64,
    pub refused: Option<Refused>,
    /// The newest policy revision decided under in the period (the chart marks its changes).
    #[serde(skip)]
    pub revision: Option<i64>,
}

impl Figures {
    fn add_decisions(&mut self, daily: &Daily) {
        let n = daily.decisions.max(0) as u64;
        self.decisions += n;
        if daily.analytics {
            self.granted += n;
        } else {
            self.denied += n;
        }
        match daily.method.as_str() {
            "banner" => self.banner += n,
            "settings" => self.settings += n,
            _ => self.form += n,
        }
        self.withdrawn += daily.withdrawn.max(0) as u64;
        self.regranted += daily.regranted.max(0) as u64;
        self.revision = self.revision.max(Some(daily.revision));
    }

    fn add_count(&mut self, counted: &Counted) {
        let n = counted.value.max(0) as u64;
        let refused = self.refused.get_or_insert_with(Refused::default);
        match Counter::named(&counted.name) {
            Some(Counter::Impression) => *self.impressions.get_or_insert(0) += n,
            Some(Counter::GpcPage) => *self.gpc_pages.get_or_insert(0) += n,
            Some(Counter::RateLimited) => refused.rate_limit += n,
            Some(Counter::QueueFull) => refused.queue_full += n,
            Some(Counter::StoreFailed) => refused.store_failure += n,
            None => {}
        }
    }

    /// Counters that were counted but are 0 say 0, not `null`.
    fn counted(mut self) -> Self {
        self.impressions.get_or_insert(0);
        self.gpc_pages.get_or_insert(0);
        self.refused.get_or_insert_with(Refused::default);
        self
    }

    fn with_rates(mut self) -> Self {
        self.opt_in_rate = rate(self.granted, Some(self.decisions));
        self.interaction_rate = rate(self.decisions, self.impressions);
        self
    }
}

/// `part ÷ whole`, to four decimals; `None` where `whole` is 0 or not known.
fn rate(part: u64, whole: Option<u64>) -> Option<f64> {
    let whole = whole.filter(|&w| w > 0)?;
    Some((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub period: String,
    /// The day of a row by day, in days since the Unix epoch.
    #[serde(skip)]
    pub day: Option<i64>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// What `leadistry stats` and `/stats.json` answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// The first day counted (`YYYY-MM-DD`), `null` for the beginning of the log.
    pub since: Option<String>,
    /// The first day not counted, `null` for no end.
    pub until: Option<String>,
    pub by: By,
    pub total: Figures,
    pub rows: Vec<Row>,
}

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
    fn open(day: i64) -> bool {
        day <= 0 || day >= i64::MAX / DAY
    }
}

/// Reads the figures of `days` from the log and groups them `by`.
pub async fn read(store: &Store, days: Days, by: By) -> Result<Stats, StoreError> {
    let daily = store.daily(days.since, days.until).await?;
    let counted = store.counters(days.since, days.until).await?;
    let today = (crate::date::now() as i64).div_euclid(DAY);
    Ok(group(&daily, &counted, days, by, today))
}

/// The figures grouped `by`. Periods of time cover every day asked for, up to today or the
/// last day with figures (from the first day with figures if `days` has no beginning); days
/// without figures count as 0. Other groupings show only what occurs.
pub fn group(daily: &[Daily], counted: &[Counted], days: Days, by: By, today: i64) -> Stats {
    let mut periods: BTreeMap<Period, Figures> = BTreeMap::new();
    let with_counters = by != By::Method;
    let seen = daily
        .iter()
        .map(|d| d.day)
        .chain(counted.iter().map(|c| c.day));
    let (first, last) = (seen.clone().min(), seen.max());
    let first = if Days::open(days.since) {
        first
    } else {
        Some(days.since)
    };
    let last = match Days::open(days.until) {
        true => first.map(|_| last.map_or(today, |last| last.max(today))),
        false => Some((days.until - 1).min(last.unwrap_or(today).max(today))),
    };
    if let (Some(first), Some(last)) = (first, last) {
        if matches!(by, By::Day | By::Week | By::Month) {
            for day in first..=last {
                periods.entry(Period::of(by, day, 0, "")).or_default();
            }
        }
    }
    let mut total = Figures::default().counted();
    for d in daily {
        total.add_decisions(d);
        let period = Period::of(by, d.day, d.revision, &d.method);
        periods.entry(period).or_default().add_decisions(d);
    }
    for c in counted {
        total.add_count(c);
        if with_counters {
            let period = Period::of(by, c.day, c.revision, "");
            periods.entry(period).or_default().add_count(c);
        }
    }
    let day_text = |day: i64| (!Days::open(day)).then(|| date_of(day).to_string());
    Stats {
        since: day_text(days.since),
        until: day_text(days.until),
        by,
        total: total.with_rates(),
        rows: periods
            .into_iter()
            .map(|(period, figures)| Row {
                period: period.to_string(),
                day: match period {
                    Period::Day(date) => Some(day_of(date)),
                    _ => None,
                },
                figures: match with_counters {
                    true => figures.counted().with_rates(),
                    false => figures.with_rates(),
                },
            })
            .collect(),
    }
}

/// A period as it sorts: time in order, methods in the order the README lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Period {
    Day(Date),
    Week(i32, u8),
    Month(i32, u8),
    Revision(i64),
    Method(u8),
}

const METHODS: [&str; 3] = ["banner", "settings", "form"];

impl Period {
    fn of(by: By, day: i64, revision: i64, method: &str) -> Self {
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

/// The Julian day number of 1970-01-01.
const EPOCH: i64 = 2_440_588;

/// The day since the Unix epoch of a date.
fn day_of(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - EPOCH
}

/// The date of a day since the Unix epoch (clamped to what `time` can hold).
pub fn date_of(day: i64) -> Date {
    let julian = (EPOCH + day).clamp(
        i64::from(Date::MIN.to_julian_day()),
        i64::from(Date::MAX.to_julian_day()),
    );
    Date::from_julian_day(julian as i32).unwrap_or(Date::MIN)
}

/// The columns of the CSV and the table, in order.
const COLUMNS: [&str; 16] = [
    "period",
    "decisions",
    "granted",
    "denied",
    "banner",
    "settings",
    "form",
    "opt_in_rate",
    "impressions",
    "interaction_rate",
    "gpc_pages",
    "withdrawn",
    "regranted",
    "refused_rate_limit",
    "refused_queue_full",
    "refused_store_failure",
];

/// The headings of `Stats::table_rows`.
pub const HEADINGS: [&str; 14] = [
    "period",
    "decisions",
    "granted",
    "denied",
    "banner",
    "settings",
    "form",
    "opt-in",
    "shown",
    "interaction",
    "gpc",
    "withdrawn",
    "regranted",
    "refusals",
];

impl Stats {
    /// One line per period and one for the total, in `COLUMNS`' order; empty where `null`.
    fn lines(&self) -> impl Iterator<Item = [String; 16]> + '_ {
        let total = ("total", &self.total);
        let rows = self.rows.iter().map(|r| (r.period.as_str(), &r.figures));
        rows.chain(std::iter::once(total)).map(|(period, f)| {
            let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
            let rate = |r: Option<f64>| r.map(|r| r.to_string()).unwrap_or_default();
            let refused = |pick: fn(&Refused) -> u64| count(f.refused.as_ref().map(pick));
            [
                period.to_string(),
                f.decisions.to_string(),
                f.granted.to_string(),
                f.denied.to_string(),
                f.banner.to_string(),
                f.settings.to_string(),
                f.form.to_string(),
                rate(f.opt_in_rate),
                count(f.impressions),
                rate(f.interaction_rate),
                count(f.gpc_pages),
                f.withdrawn.to_string(),
                f.regranted.to_string(),
                refused(|r| r.rate_limit),
                refused(|r| r.queue_full),
                refused(|r| r.store_failure),
            ]
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn to_csv(&self) -> String {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let _ = csv.write_record(COLUMNS);
        for line in self.lines() {
            let _ = csv.write_record(&line);
        }
        String::from_utf8(csv.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The figures as a table shows them, under `HEADINGS`: rates as percentages, refusals
    /// added up, `–` where there is no figure.
    pub fn table_rows(&self) -> Vec<Vec<String>> {
        let percent = |text: &String| match text.parse::<f64>() {
            Ok(rate) => format!("{:.1}%", rate * 100.0),
            Err(_) => "–".into(),
        };
        let count = |text: &String| match text.is_empty() {
            true => "–".into(),
            false => text.clone(),
        };
        self.lines()
            .map(|line| {
                let refused: Option<u64> = line[13..].iter().map(|n| n.parse::<u64>().ok()).sum();
                let mut cells = line[..7].to_vec();
                cells.extend([
                    percent(&line[7]),
                    count(&line[8]),
                    percent(&line[9]),
                    count(&line[10]),
                    line[11].clone(),
                    line[12].clone(),
                    refused.map_or("–".into(), |n| n.to_string()),
                ]);
                cells
            })
            .collect()
    }

    /// A table to read in a terminal, the total last.
    pub fn to_table(&self) -> String {
        let lines = self.table_rows();
        let widths: Vec<usize> = HEADINGS
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let cells = lines.iter().map(|l| l[i].chars().count());
                cells.chain([h.len()]).max().unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let headings = HEADINGS.map(String::from);
        for line in std::iter::once(&headings[..]).chain(lines.iter().map(Vec::as_slice)) {
            for (i, cell) in line.iter().enumerate() {
                let pad = " ".repeat(widths[i].saturating_sub(cell.chars().count()));
                let _ = match i {
                    0 => write!(out, "{cell}{pad}"),
                    _ => write!(out, "  {pad}{cell}"),
                };
            }
            out.push('\n');
        }
        out
    }

    /// The days of a by-day `Stats` (days since the Unix epoch), as the chart draws them.
    pub fn days(&self) -> Vec<(i64, &Figures)> {
        let days = self.rows.iter();
        days.filter_map(|row| Some((row.day?, &row.figures)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daily(day: i64, method: &str, analytics: bool, decisions: i64) -> Daily {
        Daily {
            day,
            revision: 1,
            method: method.into(),
            analytics,
            decisions,
            withdrawn: 0,
            regranted: 0,
        }
    }

    fn counted(day: i64, name: &str, value: i64) -> Counted {
        Counted {
            day,
            revision: 1,
            name: name.into(),
            value,
        }
    }

    #[test]
    fn figures_per_day_with_rates_and_gaps_as_zero() {
        let day = 20_423; // 2025-12-01
        let rows = [
            daily(day, "banner", true, 3),
            daily(day, "banner", false, 1),
            daily(day + 2, "settings", false, 2),
        ];
        let counts = [
            counted(day, "impressions", 8),
            counted(day + 2, "gpc_pages", 4),
        ];
        let all = Days {
            since: 0,
            until: i64::MAX / DAY,
        };
        let stats = group(&rows, &counts, all, By::Day, day + 2);
        let later = group(&rows, &counts, all, By::Day, day + 9);
        assert_eq!(later.rows.len(), 10, "an open range goes on to today");
        assert_eq!(stats.since, None);
        assert_eq!(stats.until, None);
        let periods: Vec<&str> = stats.rows.iter().map(|r| r.period.as_str()).collect();
        assert_eq!(periods, ["2025-12-01", "2025-12-02", "2025-12-03"]);
        let first = &stats.rows[0].figures;
        assert_eq!((first.decisions, first.granted, first.denied), (4, 3, 1));
        assert_eq!(first.opt_in_rate, Some(0.75));
        assert_eq!(first.impressions, Some(8));
        assert_eq!(first.interaction_rate, Some(0.5));
        let empty = &stats.rows[1].figures;
        assert_eq!(empty.decisions, 0);
        assert_eq!(empty.opt_in_rate, None, "no NaN where nobody decided");
        assert_eq!(empty.impressions, Some(0));
        assert_eq!(empty.interaction_rate, None);
        assert_eq!(stats.total.decisions, 6);
        assert_eq!(stats.total.gpc_pages, Some(4));
        assert_eq!(stats.total.settings, 2);
        let json: serde_json::Value = serde_json::from_str(&stats.to_json()).unwrap();
        assert_eq!(json["rows"][1]["opt_in_rate"], serde_json::Value::Null);
        assert_eq!(json["by"], "day");
        let refused = serde_json::to_value(Refused::default()).unwrap();
        assert_eq!(json["total"]["withdrawn"], 0);
        assert_eq!(refused["rate_limit"], 0);
        assert!(json["total"]
            .as_object()
            .unwrap()
            .values()
            .any(|v| *v == refused));
    }

    #[test]
    fn weeks_months_revisions_and_methods() {
        let day = 20_423; // Monday 2025-12-01
        let mut rows = vec![
            daily(day, "form", true, 1),
            daily(day + 7, "banner", false, 1),
        ];
        rows[1].revision = 2;
        let all = Days {
            since: 0,
            until: i64::MAX / DAY,
        };
        let weeks = group(&rows, &[], all, By::Week, day);
        let periods: Vec<&str> = weeks.rows.iter().map(|r| r.period.as_str()).collect();
        assert_eq!(periods, ["2025-W49", "2025-W50"]);
        let months = group(&rows, &[], all, By::Month, day);
        assert_eq!(months.rows.len(), 1);
        assert_eq!(months.rows[0].period, "2025-12");
        let revisions = group(&rows, &[], all, By::Revision, day);
        let periods: Vec<&str> = revisions.rows.iter().map(|r| r.period.as_str()).collect();
        assert_eq!(periods, ["1", "2"]);
        let methods = group(
            &rows,
            &[counted(day, "impressions", 3)],
            all,
            By::Method,
            day,
        );
        let periods: Vec<&str> = methods.rows.iter().map(|r| r.period.as_str()).collect();
        assert_eq!(periods, ["banner", "form"]);
        assert_eq!(methods.rows[0].figures.impressions, None);
        assert_eq!(methods.total.impressions, Some(3));
    }

    #[test]
    fn a_bounded_range_shows_every_day_asked_up_to_today() {
        let day = 20_423;
        let rows = [daily(day + 1, "banner", true, 1)];
        let week = Days {
            since: day,
            until: day + 7,
        };
        let periods = |today| {
            let stats = group(&rows, &[], week, By::Day, today);
            stats
                .rows
                .iter()
                .map(|r| r.period.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(periods(day + 2), ["2025-12-01", "2025-12-02", "2025-12-03"]);
        assert_eq!(periods(day + 30).len(), 7);
        assert_eq!(periods(day).len(), 2, "a day with figures is shown");
    }

    #[test]
    fn days_cover_the_times_asked() {
        assert_eq!(Days::covering(DAY, 2 * DAY), Days { since: 1, until: 2 });
        assert_eq!(
            Days::covering(DAY + 5, 2 * DAY + 1),
            Days { since: 1, until: 3 }
        );
        assert_eq!(date_of(0).to_string(), "1970-01-01");
        assert_eq!(date_of(20_423).to_string(), "2025-12-01");
    }

    #[test]
    fn csv_and_table_have_a_line_per_period_and_the_total() {
        let rows = [daily(20_423, "banner", true, 2)];
        let stats = group(
            &rows,
            &[],
            Days {
                since: 20_423,
                until: 20_424,
            },
            By::Day,
            20_500,
        );
        let csv = stats.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], COLUMNS.join(","));
        assert_eq!(lines[1], "2025-12-01,2,2,0,2,0,0,1,0,,0,0,0,0,0,0");
        assert!(lines[2].starts_with("total,2,2,0"));
        let table = stats.to_table();
        assert!(table.contains("100.0%"), "{table}");
        assert_eq!(stats.since.as_deref(), Some("2025-12-01"));
        assert_eq!(stats.until.as_deref(), Some("2025-12-02"));
    }
}
