//! The figures as they are written out: JSON, CSV and a table to read in a terminal.

use super::figures::Refused;
use super::grouping::Stats;
use std::fmt::Write;

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::Daily;
    use crate::stats::{days::Days, grouping::group, period::By};

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

    #[test]
    fn json_says_null_where_there_is_no_figure() {
        let day = 20_423;
        let rows = [
            daily(day, "banner", true, 3),
            daily(day + 2, "settings", false, 2),
        ];
        let all = Days {
            since: 0,
            until: i64::MAX / crate::receipts::DAY,
        };
        let stats = group(&rows, &[], all, By::Day, day + 2);
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
    }
}
