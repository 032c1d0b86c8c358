//! The plots as terminal text: a width to fit, colour optional.
//!
//! Every mark has a glyph or digit of its own, so a plot reads the same under
//! `NO_COLOR=1`, on a monochrome terminal and in a screen reader's text; colour
//! (a single blue ramp, never red or green) only repeats what the glyph says.

use super::data::{PlotData, CALENDAR_WEEKS};
use super::{clean, Plot};
use crate::day::MONTHS;

/// How to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Columns available.
    pub width: usize,
    /// Whether to add ANSI colours.
    pub color: bool,
}

/// 256-colour codes of the connection levels 1–5: light to deep blue.
const LEVELS: [u8; 5] = [153, 117, 75, 33, 19];
/// Grey for "no entry".
const GREY: u8 = 245;

fn paint(s: &str, code: u8, style: &Style) -> String {
    if style.color {
        format!("\x1b[38;5;{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Draw `plot` as lines of text, at most `style.width` columns where it can.
pub fn render(plot: Plot, data: &PlotData, style: &Style) -> String {
    let body = match plot {
        Plot::Calendar => calendar(data, style),
        Plot::Weekly => weekly(data, style),
        Plot::HeatMap => heat_map(data, style),
        Plot::Timeline => timeline(data, style),
        Plot::Grounding => grounding(data, style),
    };
    format!("{}\n{body}", plot.title())
}

fn calendar(data: &PlotData, style: &Style) -> String {
    let weeks = (CALENDAR_WEEKS as usize).min(style.width.saturating_sub(5).max(8));
    let cells = &data.calendar;
    // Columns are weeks; the last column is this week (up to today).
    let first_week = cells.first().map(|c| c.day.week_start());
    let Some(first_week) = first_week else {
        return String::new();
    };
    let skip = CALENDAR_WEEKS as usize - weeks;
    let mut months = vec![' '; weeks];
    let (mut last_month, mut free_from) = (0, 0);
    for w in 0..weeks {
        let (_, m, _) = first_week.plus(7 * (w + skip) as i64).date();
        // A label only where it fits whole and does not run into the one before.
        if m != last_month && w >= free_from && w + 3 <= weeks {
            for (i, ch) in MONTHS[(m as usize + 11) % 12].chars().enumerate() {
                months[w + i] = ch;
            }
            free_from = w + 4;
        }
        last_month = m;
    }
    let mut out = format!("     {}\n", months.iter().collect::<String>().trim_end());
    for (row, name) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .enumerate()
    {
        let mut line = format!("{name}  ");
        for w in 0..weeks {
            let day = first_week.plus((7 * (w + skip) + row) as i64);
            let cell = cells.iter().find(|c| c.day == day);
            line.push_str(&match cell {
                None => " ".to_string(),
                Some(c) => match (c.level, c.entries) {
                    (Some(l), _) => paint(&l.to_string(), LEVELS[usize::from(l) - 1], style),
                    (None, 0) => paint("·", GREY, style),
                    (None, _) => paint("○", GREY, style),
                },
            });
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("1 out of sync … 5 connected (average of the day's conversations) · ○ entries, no conversation · grey · no entry\n");
    out
}

fn weekly(data: &PlotData, style: &Style) -> String {
    let max = data
        .weeks
        .iter()
        .map(|w| w.connected + w.in_between + w.out_of_sync)
        .max()
        .unwrap_or(0)
        .max(1);
    let room = style.width.saturating_sub(52).clamp(4, 40);
    // Cumulative widths, so the three parts never add up to more than `room`.
    let upto = |n: usize| (n * room).div_ceil(max);
    let mut out = String::new();
    for w in &data.weeks {
        let ends = [
            upto(w.connected),
            upto(w.connected + w.in_between),
            upto(w.connected + w.in_between + w.out_of_sync),
        ];
        let bar = format!(
            "{}{}{}",
            paint(&"█".repeat(ends[0]), LEVELS[4], style),
            paint(&"▒".repeat(ends[1] - ends[0]), LEVELS[2], style),
            paint(&"░".repeat(ends[2] - ends[1]), GREY, style),
        );
        out.push_str(&format!(
            "{:>6}  {bar}{}{} connected · {} in between · {} out of sync\n",
            w.start.short(),
            " ".repeat(room + 1 - ends[2]),
            w.connected,
            w.in_between,
            w.out_of_sync
        ));
    }
    out.push_str(
        "█ connected (4–5) · ▒ in between (3) · ░ out of sync (1–2); weeks start on Monday\n",
    );
    out
}

fn heat_map(data: &PlotData, style: &Style) -> String {
    if data.people.is_empty() {
        return "No conversations with people named yet.\n".into();
    }
    let name_w = data
        .people
        .iter()
        .map(|p| clean(p).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(6, 14);
    let col_w: usize = 17;
    let mut out = format!("{:name_w$}", "");
    for s in &data.settings {
        out.push_str(&format!("  {:<col_w$}", s.label()));
    }
    out = out.trim_end().to_string();
    out.push('\n');
    for (row, person) in data.people.iter().enumerate() {
        let name: String = clean(person).chars().take(name_w).collect();
        let mut line = format!("{name:<name_w$}");
        for cell in &data.cells[row] {
            let text = match cell {
                None => "·".to_string(),
                Some(g) => match &g.pattern {
                    Some(a) => {
                        let level = (a.mean.round().clamp(1.0, 5.0) as usize) - 1;
                        paint(
                            &format!("{:.1} ({})", a.mean, g.samples[0].n),
                            LEVELS[level],
                            style,
                        )
                    }
                    None => format!("({}) ·", g.samples[0].n),
                },
            };
            let visible = strip_ansi(&text).chars().count();
            line.push_str(&format!(
                "  {text}{}",
                " ".repeat(col_w.saturating_sub(visible))
            ));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("average connection 1–5 (conversations); (n) · fewer than 3 conversations, not averaged yet\n");
    let _ = style.width;
    out
}

fn timeline(data: &PlotData, style: &Style) -> String {
    let days = data
        .timeline
        .len()
        .min(style.width.saturating_sub(4).max(10));
    let shown = &data.timeline[data.timeline.len() - days..];
    let mut out = String::new();
    for level in (1..=5).rev() {
        let mut line = format!("{level} │");
        for d in shown {
            let here = d.steadiness.map(|s| s.round() as i32) == Some(level);
            line.push_str(&match (here, d.setback) {
                (true, _) => paint("●", LEVELS[4], style),
                (false, true) => paint("░", GREY, style),
                (false, false) => " ".to_string(),
            });
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&format!("  └{}\n", "─".repeat(days)));
    let wins: String = shown
        .iter()
        .map(|d| if d.micro_wins > 0 { '★' } else { ' ' })
        .collect();
    out.push_str(format!("   {wins}").trim_end());
    out.push('\n');
    let mut axis = vec![' '; days];
    for (i, d) in shown.iter().enumerate() {
        let (_, _, dd) = d.day.date();
        if dd == 1 && i + 6 <= days {
            for (k, ch) in d.day.short().chars().enumerate() {
                axis[i + k] = ch;
            }
        }
    }
    out.push_str(format!("   {}", axis.iter().collect::<String>()).trim_end());
    out.push('\n');
    out.push_str(
        "● the day's steadiness (1 overwhelmed … 5 steady) · ░ a setback · ★ a micro-win\n",
    );
    out
}

fn grounding(data: &PlotData, style: &Style) -> String {
    if data.grounding.is_empty() {
        return "Not enough exercises yet to draw a technique (3 each would do).\n".into();
    }
    let label_w = data
        .grounding
        .iter()
        .map(|t| t.label.chars().count())
        .max()
        .unwrap_or(0);
    let room = style.width.saturating_sub(label_w + 30).clamp(10, 40);
    let bar = |x: f64| ((x / 10.0) * room as f64).round() as usize;
    let mut out = String::new();
    for t in &data.grounding {
        out.push_str(&format!(
            "{:label_w$}  before {} {:.1}\n",
            t.label,
            paint(&"▒".repeat(bar(t.before)), GREY, style),
            t.before
        ));
        out.push_str(&format!(
            "{:label_w$}  after  {} {:.1}  ({} exercises)\n",
            "",
            paint(&"█".repeat(bar(t.after)), LEVELS[3], style),
            t.after,
            t.n
        ));
    }
    out.push_str("distress from 0 (calm) to 10: ▒ before · █ after\n");
    out
}

/// `text` without ANSI colour codes.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
