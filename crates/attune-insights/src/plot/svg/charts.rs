//! The five plots drawn as SVG marks, each returning its group, width and height.

use svg::node::element::{Circle, Group, Line, Polyline, Title};

use super::{rect, text, GREY, LEVELS};
use crate::day::MONTHS;
use crate::plot::clean;
use crate::plot::data::PlotData;

fn level_fill(level: usize) -> &'static str {
    LEVELS[level.clamp(1, 5) - 1]
}

pub(super) fn calendar(data: &PlotData) -> (Group, i32, i32) {
    const PITCH: f64 = 14.0;
    let (left, top) = (36.0, 50.0);
    let mut g = Group::new();
    let Some(first) = data.calendar.first().map(|c| c.day.week_start()) else {
        return (g, 200, 60);
    };
    for (row, name) in ["Mon", "Wed", "Fri"].iter().enumerate() {
        g = g.add(text(6, top + (row * 2) as f64 * PITCH + 10.0, name));
    }
    let mut last_month = 0;
    for c in &data.calendar {
        let week = (c.day.0 - first.0) / 7;
        let x = left + week as f64 * PITCH;
        let y = top + c.day.weekday() as f64 * PITCH;
        let (_, m, _) = c.day.date();
        if m != last_month && c.day.weekday() == 0 {
            g = g.add(text(x, top - 6.0, MONTHS[(m as usize + 11) % 12]));
            last_month = m;
        }
        let cell = match (c.level, c.entries) {
            (Some(l), _) => {
                let title = format!(
                    "{}: connection {l} of 5 ({} conversations)",
                    c.day, c.conversations
                );
                let digit = text(x + 3.5, y + 10.0, &l.to_string());
                Group::new()
                    .add(rect(x, y, 12.0, 12.0, level_fill(usize::from(l)), &title))
                    .add(if l >= 4 {
                        digit.set("class", "w")
                    } else {
                        digit
                    })
            }
            (None, 0) => Group::new().add(rect(
                x,
                y,
                12.0,
                12.0,
                GREY,
                &format!("{}: no entry", c.day),
            )),
            (None, n) => Group::new().add(
                rect(
                    x,
                    y,
                    12.0,
                    12.0,
                    "#ffffff",
                    &format!("{}: {n} entries, no conversation", c.day),
                )
                .set("stroke", "#969696"),
            ),
        };
        g = g.add(cell);
    }
    let legend_y = top + 7.0 * PITCH + 22.0;
    g = g.add(text(10, legend_y, "Digits: the day's connection, 1 out of sync to 5 connected. White square: entries, no conversation. Grey: no entry."));
    let width = (left + 54.0 * PITCH) as i32;
    (g, width.max(640), (legend_y + 14.0) as i32)
}

pub(super) fn weekly(data: &PlotData) -> (Group, i32, i32) {
    let (left, top, row) = (60.0, 40.0, 20.0);
    let max = data
        .weeks
        .iter()
        .map(|w| w.connected + w.in_between + w.out_of_sync)
        .max()
        .unwrap_or(0)
        .max(1);
    let unit = 240.0 / max as f64;
    let mut g = Group::new();
    for (i, w) in data.weeks.iter().enumerate() {
        let y = top + i as f64 * row;
        g = g.add(text(6, y + 11.0, &w.start.short()));
        let mut x = left;
        for (n, fill, what) in [
            (w.connected, LEVELS[4], "connected"),
            (w.in_between, LEVELS[1], "in between"),
            (w.out_of_sync, "url(#hatch)", "out of sync"),
        ] {
            if n > 0 {
                let width = n as f64 * unit;
                let title = format!("week of {}: {n} {what}", w.start);
                g = g.add(
                    rect(x, y, width, 14.0, fill, &title)
                        .set("stroke", "#555555")
                        .set("stroke-width", 0.5),
                );
                x += width;
            }
        }
        g = g.add(text(
            left + 250.0,
            y + 11.0,
            &format!(
                "{} connected · {} in between · {} out of sync",
                w.connected, w.in_between, w.out_of_sync
            ),
        ));
    }
    let legend_y = top + data.weeks.len() as f64 * row + 16.0;
    g = g.add(text(10, legend_y, "Solid dark: connected (4–5). Light: in between (3). Hatched: out of sync (1–2). Weeks start on Monday."));
    (g, 600, (legend_y + 12.0) as i32)
}

pub(super) fn heat_map(data: &PlotData) -> (Group, i32, i32) {
    let (left, top, cw, ch) = (110.0, 56.0, 96.0, 26.0);
    let mut g = Group::new();
    if data.people.is_empty() {
        return (
            g.add(text(10, 44, "No conversations with people named yet.")),
            420,
            60,
        );
    }
    for (c, s) in data.settings.iter().enumerate() {
        g = g.add(text(left + c as f64 * cw + 4.0, top - 8.0, s.label()));
    }
    for (r, person) in data.people.iter().enumerate() {
        let y = top + r as f64 * ch;
        let name: String = clean(person).chars().take(16).collect();
        g = g.add(text(6, y + 17.0, &name));
        for (c, cell) in data.cells[r].iter().enumerate() {
            let x = left + c as f64 * cw;
            let setting = data.settings[c].label();
            let (fill, label, title, white) = match cell {
                None => (
                    "#ffffff",
                    String::new(),
                    format!("{name}, {setting}: no conversations"),
                    false,
                ),
                Some(gated) => {
                    let n = gated.samples[0].n;
                    match &gated.pattern {
                        Some(a) => {
                            let level = a.mean.round().clamp(1.0, 5.0) as usize;
                            (
                                level_fill(level),
                                format!("{:.1} ({n})", a.mean),
                                format!(
                                    "{name}, {setting}: {:.1} of 5 over {n} conversations",
                                    a.mean
                                ),
                                level >= 4,
                            )
                        }
                        None => (
                            "#ffffff",
                            format!("({n})"),
                            format!(
                                "{name}, {setting}: {n} conversations, not enough to average yet"
                            ),
                            false,
                        ),
                    }
                }
            };
            g = g.add(
                rect(x, y, cw - 4.0, ch - 4.0, fill, &title)
                    .set("stroke", "#969696")
                    .set("stroke-width", 0.5),
            );
            let t = text(x + 6.0, y + 15.0, &label);
            g = g.add(if white { t.set("class", "w") } else { t });
        }
    }
    let legend_y = top + data.people.len() as f64 * ch + 18.0;
    g = g.add(text(
        10,
        legend_y,
        "Average connection from 1 to 5 (number of conversations); darker is more connected.",
    ));
    g = g.add(text(
        10,
        legend_y + 16.0,
        "(n) alone: fewer than 3 conversations, not averaged yet.",
    ));
    let width = (left + data.settings.len() as f64 * cw + 10.0) as i32;
    (g, width.max(640), (legend_y + 28.0) as i32)
}

pub(super) fn timeline(data: &PlotData) -> (Group, i32, i32) {
    let (left, top, dx, dy) = (30.0, 40.0, 7.0, 24.0);
    let bottom = top + 4.0 * dy;
    let mut g = Group::new();
    for level in 1..=5 {
        let y = bottom - f64::from(level - 1) * dy;
        g = g.add(text(10, y + 4.0, &level.to_string()));
        g = g.add(
            Line::new()
                .set("x1", left)
                .set("x2", left + data.timeline.len() as f64 * dx)
                .set("y1", y)
                .set("y2", y)
                .set("stroke", "#eeeeee"),
        );
    }
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (i, d) in data.timeline.iter().enumerate() {
        let x = left + i as f64 * dx;
        if d.setback {
            g = g.add(
                rect(
                    x - dx / 2.0,
                    top - 8.0,
                    dx,
                    4.0 * dy + 16.0,
                    "url(#hatch)",
                    &format!("{}: a setback", d.day),
                )
                .set("opacity", 0.6),
            );
        }
        if let Some(s) = d.steadiness {
            points.push((x, bottom - (s - 1.0) * dy));
        }
        if d.micro_wins > 0 {
            g = g.add(text(x - 4.0, bottom + 22.0, "★").add(Title::new(format!(
                "{}: {} micro-wins",
                d.day, d.micro_wins
            ))));
        }
        let (_, _, dd) = d.day.date();
        if dd == 1 {
            g = g.add(text(x, bottom + 38.0, &d.day.short()));
        }
    }
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        g = g.add(
            Polyline::new()
                .set("points", path.join(" "))
                .set("fill", "none")
                .set("stroke", LEVELS[3])
                .set("stroke-width", 1.5),
        );
    }
    for (i, d) in data.timeline.iter().enumerate() {
        if let Some(s) = d.steadiness {
            let x = left + i as f64 * dx;
            g = g.add(
                Circle::new()
                    .set("cx", x)
                    .set("cy", bottom - (s - 1.0) * dy)
                    .set("r", 2.5)
                    .set("fill", LEVELS[4])
                    .add(Title::new(format!("{}: steadiness {s:.1} of 5", d.day))),
            );
        }
    }
    let legend_y = bottom + 58.0;
    g = g.add(text(10, legend_y, "Line and dots: the day's steadiness, 1 overwhelmed to 5 steady. Hatched bands: setbacks. Stars: micro-wins."));
    let width = (left + data.timeline.len() as f64 * dx + 20.0) as i32;
    (g, width.max(640), (legend_y + 12.0) as i32)
}

pub(super) fn grounding(data: &PlotData) -> (Group, i32, i32) {
    let (left, top, unit) = (170.0, 40.0, 24.0);
    let mut g = Group::new();
    if data.grounding.is_empty() {
        return (
            g.add(text(
                10,
                44,
                "Not enough exercises yet to draw a technique (3 each would do).",
            )),
            460,
            60,
        );
    }
    for (i, t) in data.grounding.iter().enumerate() {
        let y = top + i as f64 * 44.0;
        let label = clean(&t.label);
        g = g.add(text(6, y + 11.0, &label));
        g = g.add(rect(
            left,
            y,
            t.before * unit,
            14.0,
            GREY,
            &format!("{label}: distress before {:.1}", t.before),
        ));
        g = g.add(text(
            left + t.before * unit + 6.0,
            y + 11.0,
            &format!("before {:.1}", t.before),
        ));
        g = g.add(rect(
            left,
            y + 18.0,
            t.after * unit,
            14.0,
            LEVELS[3],
            &format!("{label}: distress after {:.1}", t.after),
        ));
        g = g.add(text(
            left + t.after * unit + 6.0,
            y + 29.0,
            &format!("after {:.1} ({} exercises)", t.after, t.n),
        ));
    }
    let legend_y = top + data.grounding.len() as f64 * 44.0 + 10.0;
    g = g.add(text(
        10,
        legend_y,
        "Average distress from 0 (calm) to 10: grey bar before, blue bar after.",
    ));
    (g, 640, (legend_y + 12.0) as i32)
}
