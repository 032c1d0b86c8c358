//! What the plots draw, gathered once from the journal and its insights.

use std::collections::BTreeMap;

use attune_core::schema::Setting;
use attune_core::EntryKind;

use crate::connection::{rated, CONNECTED, OUT_OF_SYNC};
use crate::day::Day;
use crate::journal::Journal;
use crate::threshold::{mean, Average, Gated};
use crate::Insights;

/// Weeks in the calendar (a year and a bit, whole weeks).
pub const CALENDAR_WEEKS: i64 = 53;
/// Weeks of bars.
pub const WEEKS: i64 = 12;
/// Days in the steadiness timeline.
pub const TIMELINE_DAYS: i64 = 91;
/// People in the heat-map (those with most conversations).
pub const HEAT_MAP_PEOPLE: usize = 8;

/// One day of the calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarDay {
    /// The day.
    pub day: Day,
    /// Entries written that day.
    pub entries: usize,
    /// Conversations with a connection answer.
    pub conversations: usize,
    /// Their average connection, rounded to a whole level 1–5.
    pub level: Option<u8>,
}

/// One week of bars.
#[derive(Clone, Debug, PartialEq)]
pub struct WeekBar {
    /// Its Monday.
    pub start: Day,
    /// Conversations at 4 or 5.
    pub connected: usize,
    /// At 3.
    pub in_between: usize,
    /// At 1 or 2.
    pub out_of_sync: usize,
}

/// One day of the steadiness timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineDay {
    /// The day.
    pub day: Day,
    /// The day's average steadiness (1–5).
    pub steadiness: Option<f64>,
    /// Whether a setback was written.
    pub setback: bool,
    /// Micro-wins written.
    pub micro_wins: usize,
}

/// Before/after bars of one technique.
#[derive(Clone, Debug, PartialEq)]
pub struct TechniqueBars {
    /// The technique's words.
    pub label: String,
    /// Average before (0–10).
    pub before: f64,
    /// Average after (0–10).
    pub after: f64,
    /// Exercises behind it.
    pub n: usize,
}

/// Everything the plots draw.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotData {
    /// Today.
    pub today: Day,
    /// Oldest first, ending today.
    pub calendar: Vec<CalendarDay>,
    /// Oldest first, ending with this week.
    pub weeks: Vec<WeekBar>,
    /// Rows of the heat-map.
    pub people: Vec<String>,
    /// Columns of the heat-map.
    pub settings: Vec<Setting>,
    /// `cells[row][column]`: the cell's gated average.
    pub cells: Vec<Vec<Option<Gated<Average>>>>,
    /// Oldest first, ending today.
    pub timeline: Vec<TimelineDay>,
    /// Techniques with enough exercises.
    pub grounding: Vec<TechniqueBars>,
}

impl PlotData {
    /// Gather the plots' data from the journal and its insights.
    pub fn new(j: &Journal<'_>, insights: &Insights) -> PlotData {
        let today = j.today;
        let first = today.week_start().plus(-7 * (CALENDAR_WEEKS - 1));
        let mut per_day: BTreeMap<Day, (usize, Vec<f64>)> = BTreeMap::new();
        for (d, _) in j.entries.iter().filter(|(d, _)| *d >= first) {
            per_day.entry(*d).or_default().0 += 1;
        }
        for (d, _, c) in rated(j).filter(|(d, _, _)| *d >= first) {
            per_day.entry(d).or_default().1.push(c as f64);
        }
        let calendar = (first.0..=today.0)
            .map(|n| {
                let day = Day(n);
                let (entries, conv) = per_day.get(&day).cloned().unwrap_or_default();
                CalendarDay {
                    day,
                    entries,
                    conversations: conv.len(),
                    level: mean(&conv).map(|m| m.round().clamp(1.0, 5.0) as u8),
                }
            })
            .collect();
        let week0 = today.week_start().plus(-7 * (WEEKS - 1));
        let mut weeks: Vec<WeekBar> = (0..WEEKS)
            .map(|i| WeekBar {
                start: week0.plus(7 * i),
                connected: 0,
                in_between: 0,
                out_of_sync: 0,
            })
            .collect();
        for (d, _, c) in rated(j).filter(|(d, _, _)| *d >= week0 && *d <= today) {
            let w = &mut weeks[((d.0 - week0.0) / 7) as usize];
            match c {
                c if c >= CONNECTED => w.connected += 1,
                c if c <= OUT_OF_SYNC => w.out_of_sync += 1,
                _ => w.in_between += 1,
            }
        }
        let (people, settings, cells) = heat_map(insights);
        PlotData {
            today,
            calendar,
            weeks,
            people,
            settings,
            cells,
            timeline: timeline(j),
            grounding: insights
                .grounding
                .techniques
                .iter()
                .filter_map(|t| {
                    t.change.pattern.as_ref().map(|c| TechniqueBars {
                        label: t.label.to_string(),
                        before: c.before,
                        after: c.after,
                        n: t.change.samples[0].n,
                    })
                })
                .collect(),
        }
    }
}

type HeatMap = (Vec<String>, Vec<Setting>, Vec<Vec<Option<Gated<Average>>>>);

fn heat_map(insights: &Insights) -> HeatMap {
    let map = &insights.connection;
    let people: Vec<String> = map
        .by_person
        .iter()
        .take(HEAT_MAP_PEOPLE)
        .map(|g| {
            g.pattern
                .as_ref()
                .map_or_else(|| person_of(&g.samples[0].of), |a| a.label.clone())
        })
        .collect();
    let settings: Vec<Setting> = Setting::ALL
        .iter()
        .copied()
        .filter(|s| map.cells.iter().any(|c| c.setting == s.key()))
        .collect();
    let cells = people
        .iter()
        .map(|p| {
            settings
                .iter()
                .map(|s| {
                    map.cells
                        .iter()
                        .find(|c| c.person == *p && c.setting == s.key())
                        .map(|c| c.average.clone())
                })
                .collect()
        })
        .collect();
    (people, settings, cells)
}

/// The person's name from "conversations with NAME".
fn person_of(of: &str) -> String {
    of.strip_prefix("conversations with ")
        .unwrap_or(of)
        .to_string()
}

fn timeline(j: &Journal<'_>) -> Vec<TimelineDay> {
    let first = j.today.plus(-(TIMELINE_DAYS - 1));
    let mut days: Vec<TimelineDay> = (0..TIMELINE_DAYS)
        .map(|i| TimelineDay {
            day: first.plus(i),
            steadiness: None,
            setback: false,
            micro_wins: 0,
        })
        .collect();
    let mut steadiness: BTreeMap<Day, Vec<f64>> = BTreeMap::new();
    for (d, e) in j
        .entries
        .iter()
        .filter(|(d, _)| *d >= first && *d <= j.today)
    {
        let t = &mut days[(d.0 - first.0) as usize];
        t.setback |= e.kind == EntryKind::Setback;
        t.micro_wins += usize::from(e.kind == EntryKind::MicroWin);
        if let Some(s) = e.steadiness {
            steadiness.entry(*d).or_default().push(f64::from(s));
        }
    }
    for (d, v) in steadiness {
        days[(d.0 - first.0) as usize].steadiness = mean(&v);
    }
    days
}
