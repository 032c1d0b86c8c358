//! The plots as accessible SVG: one renderer for files and the web UI.
//!
//! Each document has a `<title>` and a `<desc>` (named by `aria-labelledby`),
//! every mark a `<title>` of its own and a written label where it fits, and a
//! colour-blind-safe palette (a blue ramp, grey and a hatch, never red or
//! green) that only repeats what the text says. Built with the `svg` crate.

use svg::node::element::{Definitions, Description, Path, Pattern, Rectangle, Style, Text, Title};
use svg::node::Text as TextNode;
use svg::Document;

use super::data::PlotData;
use super::{clean, Plot};

mod charts;
use charts::{calendar, grounding, heat_map, timeline, weekly};

/// Connection levels 1–5, light to deep blue (ColorBrewer "Blues").
pub const LEVELS: [&str; 5] = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
/// "No entry": a light grey.
pub const GREY: &str = "#d9d9d9";
/// Text.
const INK: &str = "#222222";

/// How to draw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SvgOptions {
    /// A last line under the plot (the crisis pointer).
    pub footer: Option<String>,
}

/// Draw `plot` as a standalone SVG document.
pub fn render(plot: Plot, data: &PlotData, options: &SvgOptions) -> String {
    let (body, width, height) = match plot {
        Plot::Calendar => calendar(data),
        Plot::Weekly => weekly(data),
        Plot::HeatMap => heat_map(data),
        Plot::Timeline => timeline(data),
        Plot::Grounding => grounding(data),
    };
    let height = height + if options.footer.is_some() { 24 } else { 0 };
    let mut doc = Document::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", width)
        .set("height", height)
        .set("role", "img")
        .set("aria-labelledby", "plot-title plot-desc")
        .add(Title::new(plot.title()).set("id", "plot-title"))
        .add(Description::new().set("id", "plot-desc").add(TextNode::new(plot.description())))
        .add(Style::new(format!(
            "text{{font-family:sans-serif;font-size:11px;fill:{INK}}} .h{{font-size:14px;font-weight:bold}} .w{{fill:#ffffff}}"
        )))
        .add(
            Definitions::new().add(
                Pattern::new()
                    .set("id", "hatch")
                    .set("width", 4)
                    .set("height", 4)
                    .set("patternUnits", "userSpaceOnUse")
                    .add(Rectangle::new().set("width", 4).set("height", 4).set("fill", "#ffffff"))
                    .add(Path::new().set("d", "M0,4 L4,0").set("stroke", "#555555").set("stroke-width", 1)),
            ),
        )
        .add(Rectangle::new().set("width", "100%").set("height", "100%").set("fill", "#ffffff"))
        .add(text(10, 20, plot.title()).set("class", "h"))
        .add(body);
    if let Some(footer) = &options.footer {
        doc = doc.add(text(10, height - 10, &clean(footer)));
    }
    doc.to_string()
}

/// A text label at `(x, y)`.
fn text(x: impl Into<svg::node::Value>, y: impl Into<svg::node::Value>, content: &str) -> Text {
    Text::new(content).set("x", x).set("y", y)
}

/// A rectangle that says what it means in its `<title>`.
fn rect(x: f64, y: f64, w: f64, h: f64, fill: &str, title: &str) -> Rectangle {
    Rectangle::new()
        .set("x", x)
        .set("y", y)
        .set("width", w)
        .set("height", h)
        .set("fill", fill)
        .add(Title::new(clean(title)))
}
