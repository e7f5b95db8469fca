//! The consent chart: decisions per day (granted and denied, stacked), the opt-in rate, and
//! each change of the policy revision marked, as SVG drawn by plotters.

use super::days::date_of;
use super::grouping::Stats;
use plotters::prelude::*;

const GRANTED: RGBColor = RGBColor(46, 125, 50);
const DENIED: RGBColor = RGBColor(176, 190, 197);
const RATE: RGBColor = RGBColor(21, 101, 192);
const REVISION: RGBColor = RGBColor(216, 67, 21);
const FONT: &str = "sans-serif";

/// The chart's size in pixels, in `leadistry stats --svg` and on `/stats`.
pub const SIZE: (u32, u32) = (960, 440);

/// The chart of a by-day `Stats` as an SVG document, `width` × `height` pixels.
pub fn svg(stats: &Stats, width: u32, height: u32) -> Result<String, String> {
    let mut out = String::new();
    draw(stats, &mut out, (width, height)).map_err(|e| format!("drawing the chart: {e}"))?;
    Ok(out)
}

fn draw(
    stats: &Stats,
    out: &mut String,
    size: (u32, u32),
) -> Result<(), Box<dyn std::error::Error>> {
    let days = stats.days();
    let root = SVGBackend::with_string(out, size).into_drawing_area();
    root.fill(&WHITE)?;
    let Some(first) = days.first().map(|(day, _)| *day) else {
        let middle = (size.0 as i32 / 2 - 120, size.1 as i32 / 2);
        root.draw(&Text::new(
            "No decisions in this period",
            middle,
            (FONT, 20).into_font(),
        ))?;
        root.present()?;
        return Ok(());
    };
    let count = days.len() as f64;
    let most = days.iter().map(|(_, f)| f.decisions).max().unwrap_or(0);
    // Headroom above the highest bar for the legend.
    let top = (most + most.div_ceil(5) * 2).max(4);
    let mut chart = ChartBuilder::on(&root)
        .caption("Consent decisions per day", (FONT, 20))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0f64..count, 0f64..top as f64)?
        .set_secondary_coord(0f64..count, 0f64..1f64);
    let day_label = |x: &f64| match *x < count {
        true => date_of(first + x.floor() as i64).to_string(),
        false => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(days.len().min(7))
        .x_label_formatter(&day_label)
        .y_labels(top.min(6) as usize)
        .y_desc("decisions")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FONT, 13))
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("opt-in rate")
        .y_label_formatter(&|r| format!("{:.0}%", r * 100.0))
        .label_style((FONT, 13))
        .draw()?;

    let bar = |i: usize, from: u64, to: u64, color: RGBColor| {
        let x = i as f64;
        Rectangle::new(
            [(x + 0.12, from as f64), (x + 0.88, to as f64)],
            color.filled(),
        )
    };
    let square = |color: RGBColor| {
        move |(x, y): (i32, i32)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
    };
    chart
        .draw_series(
            days.iter()
                .enumerate()
                .map(|(i, (_, f))| bar(i, 0, f.denied, DENIED)),
        )?
        .label("denied")
        .legend(square(DENIED));
    chart
        .draw_series(
            days.iter()
                .enumerate()
                .map(|(i, (_, f))| bar(i, f.denied, f.denied + f.granted, GRANTED)),
        )?
        .label("granted")
        .legend(square(GRANTED));
    let rates = days
        .iter()
        .enumerate()
        .filter_map(|(i, (_, f))| f.opt_in_rate.map(|rate| (i as f64 + 0.5, rate)));
    chart.draw_secondary_series(
        rates
            .clone()
            .map(|point| Circle::new(point, 3, RATE.filled())),
    )?;
    chart
        .draw_secondary_series(LineSeries::new(rates, RATE.stroke_width(2)))?
        .label("opt-in rate")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], RATE.stroke_width(2)));

    // A revision change: the first day decided under a newer revision than the day before.
    let mut previous = None;
    let mut changes = Vec::new();
    for (i, (_, f)) in days.iter().enumerate() {
        if let Some(revision) = f.revision {
            if previous.is_some_and(|p| revision > p) {
                changes.push((i as f64, revision));
            }
            previous = Some(revision);
        }
    }
    for (x, revision) in &changes {
        chart.draw_series(DashedLineSeries::new(
            [(*x, 0.0), (*x, top as f64)],
            6,
            4,
            REVISION.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            format!(" revision {revision}"),
            (*x, top as f64 * 0.97),
            (FONT, 13).into_font().color(&REVISION),
        )))?;
    }
    if !changes.is_empty() {
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label("policy revision raised")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], REVISION.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 13))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::Daily;
    use crate::stats::{days::Days, grouping::group, period::By};

    #[test]
    fn the_chart_draws_bars_a_rate_line_and_revision_marks() {
        let daily = |day, revision, analytics, decisions| Daily {
            day,
            revision,
            method: "banner".into(),
            analytics,
            decisions,
            withdrawn: 0,
            regranted: 0,
        };
        let rows = [
            daily(20_423, 1, true, 3),
            daily(20_423, 1, false, 1),
            daily(20_425, 2, false, 2),
        ];
        let stats = group(
            &rows,
            &[],
            Days {
                since: 0,
                until: 30_000,
            },
            By::Day,
            20_425,
        );
        let svg = svg(&stats, 800, 400).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Consent decisions per day"));
        assert!(svg.contains("revision 2"));
        assert!(svg.contains("2025-12-01"));
        assert!(svg.contains("<polyline"), "the opt-in rate line");
        let empty = group(&[], &[], Days { since: 0, until: 1 }, By::Day, 20_425);
        assert!(svg_of(&empty).contains("No decisions"));
    }

    fn svg_of(stats: &Stats) -> String {
        svg(stats, 800, 400).unwrap()
    }
}
