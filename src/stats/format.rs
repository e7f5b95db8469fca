//! The figures as they are written out: JSON, CSV and a table (in a terminal and on
//! `/stats`), each taken from the typed figures.

use super::figures::{Figures, Refused};
use super::grouping::Stats;
use std::fmt::Write;

/// A column of the CSV or of the table after the period: its heading and its cell.
type Column = (&'static str, fn(&Figures) -> String);

/// The heading of the first column, which names the period of each line.
pub const PERIOD: &str = "period";
/// The period of the line that adds up all the others.
pub const TOTAL: &str = "total";

/// The CSV's figures, named as in the JSON; a cell is empty where the JSON says `null`.
const CSV: [Column; 15] = [
    ("decisions", |f| f.decisions.to_string()),
    ("granted", |f| f.granted.to_string()),
    ("denied", |f| f.denied.to_string()),
    ("banner", |f| f.banner.to_string()),
    ("settings", |f| f.settings.to_string()),
    ("form", |f| f.form.to_string()),
    ("opt_in_rate", |f| or_empty(f.opt_in_rate)),
    ("impressions", |f| or_empty(f.impressions)),
    ("interaction_rate", |f| or_empty(f.interaction_rate)),
    ("gpc_pages", |f| or_empty(f.gpc_pages)),
    ("withdrawn", |f| f.withdrawn.to_string()),
    ("regranted", |f| f.regranted.to_string()),
    ("refused_rate_limit", |f| {
        or_empty(f.refused.map(|r| r.rate_limit))
    }),
    ("refused_queue_full", |f| {
        or_empty(f.refused.map(|r| r.queue_full))
    }),
    ("refused_store_failure", |f| {
        or_empty(f.refused.map(|r| r.store_failure))
    }),
];

/// The table's figures, for a reader: rates as percentages, the refusals added up, `–` where
/// there is no figure.
const TABLE: [Column; 13] = [
    ("decisions", |f| f.decisions.to_string()),
    ("granted", |f| f.granted.to_string()),
    ("denied", |f| f.denied.to_string()),
    ("banner", |f| f.banner.to_string()),
    ("settings", |f| f.settings.to_string()),
    ("form", |f| f.form.to_string()),
    ("opt-in", |f| percent(f.opt_in_rate)),
    ("shown", |f| or_dash(f.impressions)),
    ("interaction", |f| percent(f.interaction_rate)),
    ("gpc", |f| or_dash(f.gpc_pages)),
    ("withdrawn", |f| f.withdrawn.to_string()),
    ("regranted", |f| f.regranted.to_string()),
    ("refusals", |f| or_dash(f.refused.map(Refused::total))),
];

fn or_empty(figure: Option<impl ToString>) -> String {
    figure.map(|f| f.to_string()).unwrap_or_default()
}

fn or_dash(count: Option<u64>) -> String {
    count.map_or("–".into(), |n| n.to_string())
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("–".into(), |r| format!("{:.1}%", r * 100.0))
}

/// The table's headings, the period's first.
pub fn table_headings() -> [&'static str; TABLE.len() + 1] {
    std::array::from_fn(|i| match i {
        0 => PERIOD,
        _ => TABLE[i - 1].0,
    })
}

/// The table's cells of one period's figures, in the order of its headings after the period.
pub fn table_cells(figures: &Figures) -> [String; TABLE.len()] {
    TABLE.map(|(_, cell)| cell(figures))
}

impl Stats {
    /// Each period's figures, then the total's.
    fn lines(&self) -> impl Iterator<Item = (&str, &Figures)> {
        let rows = self.rows.iter().map(|r| (r.period.as_str(), &r.figures));
        rows.chain([(TOTAL, &self.total)])
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn to_csv(&self) -> String {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let headings = CSV.iter().map(|(heading, _)| *heading);
        let _ = csv.write_record(std::iter::once(PERIOD).chain(headings));
        for (period, figures) in self.lines() {
            let cells = CSV.iter().map(|(_, cell)| cell(figures));
            let _ = csv.write_record(std::iter::once(period.to_string()).chain(cells));
        }
        String::from_utf8(csv.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// A table to read in a terminal, the total last.
    pub fn to_table(&self) -> String {
        let headings: Vec<String> = table_headings().map(String::from).to_vec();
        let lines: Vec<Vec<String>> = self
            .lines()
            .map(|(period, figures)| {
                let cells = table_cells(figures);
                std::iter::once(period.to_string()).chain(cells).collect()
            })
            .collect();
        let all = || std::iter::once(&headings).chain(&lines);
        let widths: Vec<usize> = (0..headings.len())
            .map(|i| all().map(|line| line[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for line in all() {
            for (i, cell) in line.iter().enumerate() {
                let pad = " ".repeat(widths[i] - cell.chars().count());
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
    use crate::stats::{
        days::Days,
        grouping::{group, tests::daily, Row},
        period::By,
    };

    /// Figures by method: no counters in the row, counters in the total.
    fn by_method() -> Stats {
        let banner = Figures {
            decisions: 3,
            granted: 2,
            denied: 1,
            banner: 3,
            opt_in_rate: Some(0.6667),
            withdrawn: 1,
            ..Figures::default()
        };
        let total = Figures {
            impressions: Some(12),
            interaction_rate: Some(0.25),
            gpc_pages: Some(0),
            refused: Some(Refused {
                rate_limit: 2,
                queue_full: 0,
                store_failure: 1,
            }),
            ..banner.clone()
        };
        Stats {
            since: None,
            until: None,
            by: By::Method,
            total,
            rows: vec![Row {
                period: "banner".into(),
                day: None,
                figures: banner,
            }],
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
        assert_eq!(
            lines[0],
            "period,decisions,granted,denied,banner,settings,form,opt_in_rate,impressions,\
             interaction_rate,gpc_pages,withdrawn,regranted,refused_rate_limit,\
             refused_queue_full,refused_store_failure"
        );
        assert_eq!(lines[1], "2025-12-01,2,2,0,2,0,0,1,0,,0,0,0,0,0,0");
        assert!(lines[2].starts_with("total,2,2,0"));
        let table = stats.to_table();
        assert!(table.contains("100.0%"), "{table}");
    }

    #[test]
    fn csv_cells_are_empty_where_json_says_null() {
        let csv = by_method().to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[1], "banner,3,2,1,3,0,0,0.6667,,,,1,0,,,");
        assert_eq!(lines[2], "total,3,2,1,3,0,0,0.6667,12,0.25,0,1,0,2,0,1");
        let json: serde_json::Value = serde_json::from_str(&by_method().to_json()).unwrap();
        let headings = lines[0].split(',').skip(1);
        let columns = headings.filter(|h| !h.starts_with("refused_"));
        for heading in columns {
            assert!(json["rows"][0].get(heading).is_some(), "{heading} in JSON");
        }
    }

    #[test]
    fn the_table_shows_percentages_dashes_and_refusals_added_up() {
        let stats = by_method();
        assert_eq!(
            table_cells(&stats.rows[0].figures),
            ["3", "2", "1", "3", "0", "0", "66.7%", "–", "–", "–", "1", "0", "–"]
        );
        assert_eq!(
            table_cells(&stats.total),
            ["3", "2", "1", "3", "0", "0", "66.7%", "12", "25.0%", "0", "1", "0", "3"]
        );
        assert_eq!(table_headings().len(), table_cells(&stats.total).len() + 1);
        assert_eq!(
            stats.to_table(),
            "period  decisions  granted  denied  banner  settings  form  opt-in  shown  \
             interaction  gpc  withdrawn  regranted  refusals\n\
             banner          3        2       1       3         0     0   66.7%      –  \
             \x20         –    –          1          0         –\n\
             total           3        2       1       3         0     0   66.7%     12  \
             \x20     25.0%    0          1          0         3\n"
        );
    }
}
