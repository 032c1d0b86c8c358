//! Insights and their plots over the generated journal, as `attune insights`
//! computes them (targets: every insight < 50 ms, every SVG < 200 ms).

use std::time::Instant;

use anyhow::Result;
use attune_core::{Entry, Timestamp};
use attune_insights::plot::data::PlotData;
use attune_insights::plot::svg::{render, SvgOptions};
use attune_insights::plot::Plot;
use attune_insights::{insights, Journal, Options};

use crate::{median, print_figure};

/// Print `insights_all_10y` and `insights_svg_10y` (median of `reps`).
pub fn run(entries: &[Entry], now: Timestamp, reps: usize) -> Result<()> {
    let (mut all_ms, mut svg_ms) = (Vec::new(), Vec::new());
    let mut svg_bytes = 0;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let all = insights(entries, now, &Options::default());
        all_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let data = PlotData::new(&Journal::new(entries, now), &all);
        svg_bytes = Plot::ALL
            .iter()
            .map(|plot| render(*plot, &data, &SvgOptions::default()).len())
            .sum::<usize>();
        svg_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    print_figure("insights_all_10y", median(&mut all_ms), "ms");
    print_figure("insights_svg_10y", median(&mut svg_ms), "ms");
    print_figure("insights_svg_10y_bytes", svg_bytes as f64, "bytes");
    Ok(())
}
