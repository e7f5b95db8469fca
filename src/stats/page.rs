//! The operator's `/stats` page: the chart and the table of by-day figures as one HTML
//! document rendered by Leptos on the server, with no script, and the Content-Security-Policy
//! that lets in its one stylesheet.

use super::chart;
use super::figures::Figures;
use super::format::{table_cells, table_headings, TOTAL};
use super::grouping::Stats;
use crate::receipts::Seal;
use http::HeaderValue;
use leptos::prelude::*;

const STYLE: &str = "\
:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.45}\
body{margin:0;background:Canvas;color:CanvasText}\
main{max-width:1200px;margin:0 auto;padding:24px}\
h1{font-size:1.5rem;margin:0 0 4px}\
p{margin:0 0 16px;color:GrayText}\
code{overflow-wrap:anywhere}\
figure{margin:0 0 24px;overflow-x:auto}\
figure svg{background:#fff;border-radius:8px;min-width:640px;max-width:100%;height:auto}\
.table{overflow-x:auto}\
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.875rem}\
th,td{padding:4px 8px;text-align:right;border-bottom:1px solid color-mix(in srgb,CanvasText 15%,transparent)}\
th:first-child,td:first-child{text-align:left;white-space:nowrap}\
thead th{position:sticky;top:0;background:Canvas}\
tfoot th,tfoot td{font-weight:600;border-top:2px solid CanvasText}";

/// The page's CSP: nothing but its own stylesheet, by hash (no script at all).
pub fn content_security_policy() -> HeaderValue {
    let hash = crate::csp::source_hash(STYLE);
    let policy = format!(
        "default-src 'none'; style-src{hash}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
}

/// The page of a by-day `Stats` of the last `day_count` days: the chart, then the table with
/// the newest day first and the total at its foot; and the head of the seals, to publish.
pub fn html(stats: &Stats, day_count: i64, head: Option<&Seal>) -> String {
    let chart = chart::svg(stats, chart::SIZE.0, chart::SIZE.1).unwrap_or_else(|error| {
        tracing::error!(%error, "could not draw the consent chart");
        String::new()
    });
    let from = stats.since.as_deref().unwrap_or_default();
    let introduction =
        format!("The last {day_count} days (UTC), from {from}, every instance added up. As JSON: ");
    let rows: Vec<_> = stats
        .rows
        .iter()
        .rev()
        .map(|row| figures_row(&row.period, &row.figures))
        .collect();
    let total = figures_row(TOTAL, &stats.total);
    let headings = table_headings().map(|heading| view! { <th scope="col">{heading}</th> });
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>"Consent statistics · Leadistry"</title>
                <style>{STYLE}</style>
            </head>
            <body>
                <main>
                    <h1>"Consent statistics"</h1>
                    <p>{introduction}<a href="/stats.json">"/stats.json"</a>"."</p>
                    <p class="head">{head_line(head)}</p>
                    // Plotters' own SVG, inserted as it is: it holds no text from outside.
                    <figure
                        aria-label="Decisions per day, granted and denied, and the opt-in rate"
                        inner_html=chart
                    ></figure>
                    <div class="table">
                        <table>
                            <caption hidden>"Consent figures per day"</caption>
                            <thead>
                                <tr>{headings}</tr>
                            </thead>
                            <tbody>{rows}</tbody>
                            <tfoot>{total}</tfoot>
                        </table>
                    </div>
                </main>
            </body>
        </html>
    }
    .to_html()
}

/// The latest seal, as the operator publishes it each day.
fn head_line(head: Option<&Seal>) -> impl IntoView {
    match head {
        Some(head) => view! {
            "Latest seal: "
            {head.date()}
            ", "
            {head.receipts}
            {if head.receipts == 1 { " receipt, seal " } else { " receipts, seal " }}
            <code>{head.seal.clone()}</code>
            " (every seal: "
            <a href="/seals.json">"/seals.json"</a>
            ")."
        }
        .into_any(),
        None => "No day is sealed yet: a day is sealed once it has been over for the grace period."
            .into_any(),
    }
}

/// A row of the table: the period as its heading, then its figures.
fn figures_row(period: &str, figures: &Figures) -> impl IntoView {
    let cells = table_cells(figures).map(|cell| view! { <td>{cell}</td> });
    view! {
        <tr>
            <th scope="row">{period.to_string()}</th>
            {cells}
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::Daily;
    use crate::stats::{days::Days, grouping::group, period::By};

    /// Three days up to 2025-12-02, with two decisions on the middle one.
    fn three_days() -> Stats {
        let daily = Daily {
            day: 20_423,
            revision: 1,
            method: "banner".into(),
            analytics: true,
            decisions: 2,
            withdrawn: 0,
            regranted: 0,
        };
        let days = Days {
            since: 20_422,
            until: 20_425,
        };
        group(&[daily], &[], days, By::Day, 20_424)
    }

    /// The text between `open` and `close`.
    fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
        let start = html.find(open).expect(open) + open.len();
        let end = start + html[start..].find(close).expect(close);
        &html[start..end]
    }

    #[test]
    fn the_page_has_the_chart_then_the_table_newest_day_first() {
        let html = html(&three_days(), 3, None);
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{html}"
        );
        assert!(html.contains("<h1>Consent statistics</h1>"));
        assert!(html.contains("The last 3 days (UTC), from 2025-11-30"));
        assert!(!html.contains("<script"), "no script");
        let figure = between(&html, "<figure aria-label=\"Decisions per day", "</figure>");
        assert!(
            figure.contains("\"><svg "),
            "the chart inserted as it is: {figure}"
        );
        assert!(figure.contains("Consent decisions per day"));

        let table = between(&html, "<table>", "</table>");
        let head = between(table, "<thead>", "</thead>");
        assert!(
            head.starts_with("<tr><th scope=\"col\">period</th>"),
            "{head}"
        );
        assert_eq!(head.matches("<th scope=\"col\">").count(), 14);
        let body = between(table, "<tbody>", "</tbody>");
        let days: Vec<&str> = body
            .split("<th scope=\"row\">")
            .skip(1)
            .map(|row| &row[..10])
            .collect();
        assert_eq!(days, ["2025-12-02", "2025-12-01", "2025-11-30"]);
        let cells = |row: &str| -> Vec<String> {
            row.split("<td>")
                .skip(1)
                .map(|cell| cell[..cell.find("</td>").unwrap()].to_string())
                .collect()
        };
        let figures = [
            "2", "2", "0", "2", "0", "0", "100.0%", "0", "–", "0", "0", "0", "0",
        ];
        let day = between(body, "2025-12-01</th>", "</tr>");
        assert_eq!(cells(day), figures);
        let foot = between(table, "<tfoot>", "</tfoot>");
        assert!(
            foot.starts_with("<tr><th scope=\"row\">total</th>"),
            "{foot}"
        );
        assert_eq!(cells(foot), figures);
    }

    #[test]
    fn the_policy_names_the_stylesheet_the_page_carries_and_nothing_else() {
        let html = html(&three_days(), 3, None);
        let style = between(&html, "<style>", "</style>");
        assert_eq!(style, STYLE, "the stylesheet as written, not escaped");
        let policy = content_security_policy();
        let policy = policy.to_str().unwrap();
        assert!(policy.starts_with("default-src 'none'; "), "{policy}");
        assert!(policy.contains(&format!("style-src{};", crate::csp::source_hash(style))));
        assert!(!policy.contains("script-src"), "{policy}");
    }

    #[test]
    fn the_table_escapes_its_text() {
        let mut stats = three_days();
        stats.rows[0].period = "<b>&".into();
        let html = html(&stats, 3, None);
        assert!(
            html.contains("<th scope=\"row\">&lt;b&gt;&amp;</th>"),
            "{html}"
        );
    }

    #[test]
    fn a_page_without_days_has_an_empty_body_and_the_total() {
        let stats = group(&[], &[], Days { since: 0, until: 1 }, By::Day, 0);
        let html = html(&stats, 3, None);
        let body = between(&html, "<tbody>", "</tbody>");
        assert!(!body.contains("<tr>"), "{body}");
        assert!(html.contains("<tfoot><tr><th scope=\"row\">total</th>"));
        assert!(html.contains("No decisions in this period"));
    }
}
