//! The figures of the days asked for, read from the consent log and added up per period and
//! in total: what `leadistry stats` and `/stats.json` answer.

use super::days::{date_of, Days};
use super::figures::Figures;
use super::period::{By, Period};
use crate::receipts::{Counted, Daily, Store, StoreError, DAY};
use serde::Serialize;
use std::collections::BTreeMap;

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

impl Stats {
    /// The days of a by-day `Stats` (days since the Unix epoch), as the chart draws them.
    pub fn days(&self) -> Vec<(i64, &Figures)> {
        let days = self.rows.iter();
        days.filter_map(|row| Some((row.day?, &row.figures)))
            .collect()
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
        if by.is_time() {
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
                day: period.day(),
                figures: match with_counters {
                    true => figures.counted().with_rates(),
                    false => figures.with_rates(),
                },
            })
            .collect(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A day's decisions of one method and choice, none withdrawn (also for format's tests).
    pub(in crate::stats) fn daily(
        day: i64,
        method: &str,
        analytics: bool,
        decisions: i64,
    ) -> Daily {
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

    const ALL: Days = Days {
        since: 0,
        until: i64::MAX / DAY,
    };

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
        let stats = group(&rows, &counts, ALL, By::Day, day + 2);
        let later = group(&rows, &counts, ALL, By::Day, day + 9);
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
        let days: Vec<i64> = stats.days().into_iter().map(|(day, _)| day).collect();
        assert_eq!(days, [day, day + 1, day + 2]);
    }

    #[test]
    fn weeks_months_revisions_and_methods() {
        let day = 20_423; // Monday 2025-12-01
        let mut rows = vec![
            daily(day, "form", true, 1),
            daily(day + 7, "banner", false, 1),
        ];
        rows[1].revision = 2;
        let weeks = group(&rows, &[], ALL, By::Week, day);
        let periods: Vec<&str> = weeks.rows.iter().map(|r| r.period.as_str()).collect();
        assert_eq!(periods, ["2025-W49", "2025-W50"]);
        assert!(weeks.days().is_empty(), "no row is a day");
        let months = group(&rows, &[], ALL, By::Month, day);
        assert_eq!(months.rows.len(), 1);
        assert_eq!(months.rows[0].period, "2025-12");
        let revisions = group(&rows, &[], ALL, By::Revision, day);
        let periods: Vec<&str> = revisions.rows.iter().map(|r| r.period.as_str()).collect();
        assert_eq!(periods, ["1", "2"]);
        let methods = group(
            &rows,
            &[counted(day, "impressions", 3)],
            ALL,
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
        let stats = group(&rows, &[], week, By::Day, day);
        assert_eq!(stats.since.as_deref(), Some("2025-12-01"));
        assert_eq!(stats.until.as_deref(), Some("2025-12-08"));
    }

    #[test]
    fn an_empty_log_with_no_beginning_has_no_rows() {
        let stats = group(&[], &[], ALL, By::Day, 20_423);
        assert!(stats.rows.is_empty());
        assert_eq!(stats.total.decisions, 0);
        assert_eq!(stats.total.impressions, Some(0), "the total is counted");
    }
}
