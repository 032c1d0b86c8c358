//! Plots: the same data drawn, as terminal text ([`terminal`]) or accessible SVG ([`svg`]).
//!
//! [`data::PlotData`] gathers what every plot draws once; each renderer only
//! draws. Meaning is never carried by colour alone: every level has its digit
//! or glyph in the terminal and a text label or `<title>` in SVG.

pub mod data;
pub mod svg;
pub mod terminal;

/// One plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plot {
    /// A year in pixels: each day's connection, grey where nothing was written.
    Calendar,
    /// Connected and out-of-sync conversations per week.
    Weekly,
    /// Average connection per person and setting.
    HeatMap,
    /// Steadiness over time, setbacks as shaded bands, micro-wins as markers.
    Timeline,
    /// Distress before and after, per grounding technique.
    Grounding,
}

impl Plot {
    /// Every plot, in the order shown.
    pub const ALL: [Plot; 5] = [
        Plot::Calendar,
        Plot::Weekly,
        Plot::HeatMap,
        Plot::Timeline,
        Plot::Grounding,
    ];

    /// A stable name (the SVG file is `<key>.svg`).
    pub fn key(self) -> &'static str {
        match self {
            Plot::Calendar => "calendar",
            Plot::Weekly => "weekly",
            Plot::HeatMap => "heat-map",
            Plot::Timeline => "steadiness",
            Plot::Grounding => "grounding",
        }
    }

    /// The plot's title.
    pub fn title(self) -> &'static str {
        match self {
            Plot::Calendar => "A year of connection",
            Plot::Weekly => "Conversations per week",
            Plot::HeatMap => "Connection by person and setting",
            Plot::Timeline => "Steadiness over time",
            Plot::Grounding => "Grounding: distress before and after",
        }
    }

    /// What the plot shows and how to read it.
    pub fn description(self) -> &'static str {
        match self {
            Plot::Calendar => "One square per day for the last year, weeks as columns from Monday to Sunday. A digit 1 to 5 is the day's average connection in conversations (1 out of sync, 5 connected); a ring is a day with entries but no conversation; grey dots are days with no entry, nothing more.",
            Plot::Weekly => "For each of the last weeks, how many conversations felt connected (4 or 5), in between (3) and out of sync (1 or 2), with the counts written out.",
            Plot::HeatMap => "Average connection from 1 to 5 for each person and setting, with the number of conversations; a cell with fewer than 3 conversations shows only its count.",
            Plot::Timeline => "Each day's average steadiness from 1 to 5 over the last months. Shaded bands mark setbacks, stars mark micro-wins: healing is not linear.",
            Plot::Grounding => "Average distress from 0 to 10 before and after each grounding technique, with the number of exercises; techniques with fewer than 3 exercises are not drawn yet.",
        }
    }
}

/// Text from the journal made fit for a plot: control characters dropped.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FFFE}' | '\u{FFFF}'))
        .collect()
}
