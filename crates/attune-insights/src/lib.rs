//! Insights and plots computed from journal entries, the clock passed in.
//!
//! Everything here is pure: entries and "now" go in, numbers, sentences, and
//! drawn plots (terminal text or SVG) come out. No I/O, no clock, so the CLI,
//! the tests and a future web UI (compiled to wasm32) share one code path.
//!
//! Insights are associations, never causes and never verdicts. A pattern is
//! shown only above its threshold ([`threshold`]), always with its sample
//! size; below it the writer reads "not enough entries yet to show a pattern"
//! and how many more would do. No output contains a word of the one list of
//! blame and scoring words ([`words::BLAME_WORDS`]).
//!
//! ```
//! use attune_core::{Entry, EntryId, EntryKind, FieldValue, Timestamp};
//! use attune_insights::{insights, Options};
//!
//! let day = 86_400_000;
//! let conversation = |i: i64, connection: i64| Entry {
//!     id: EntryId([i as u8; 16]),
//!     kind: EntryKind::Conversation,
//!     schema_version: 1,
//!     created: Timestamp::new(1_780_000_000_000 + i * day, 60),
//!     edited: Timestamp::new(1_780_000_000_000 + i * day, 60),
//!     body: String::new(),
//!     notes: String::new(),
//!     tags: Default::default(),
//!     people: ["Ana".to_string()].into(),
//!     steadiness: Some(4),
//!     fields: [("connection".to_string(), FieldValue::Int(connection))].into(),
//!     deleted: false,
//! };
//! let entries: Vec<Entry> = (0..5).map(|i| conversation(i, 4)).collect();
//! let now = Timestamp::new(1_780_000_000_000 + 10 * day, 60);
//! let all = insights(&entries, now, &Options::default());
//! let ana = &all.connection.by_person[0];
//! assert!(ana.shown);
//! assert_eq!(ana.pattern.as_ref().unwrap().mean, 4.0);
//! assert_eq!(ana.samples[0].n, 5);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod connection;
pub mod day;
pub mod grounding;
pub mod journal;
pub mod micro_wins;
pub mod on_this_day;
pub mod phrases;
pub mod plot;
pub mod reframes;
pub mod routines;
pub mod setbacks;
pub mod this_week;
pub mod threshold;
pub mod words;

use attune_core::{Entry, Timestamp};
use serde::Serialize;

pub use journal::Journal;

/// The version of the `--json` shape.
pub const JSON_VERSION: u32 = 1;

/// What the writer asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Show setbacks and heavy entries in "on this day" too.
    pub include_hard: bool,
}

/// One area of insight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// [`connection::ConnectionMap`]
    Connection,
    /// [`routines::Routines`]
    Routines,
    /// [`setbacks::Setbacks`]
    Setbacks,
    /// [`grounding::Grounding`]
    Grounding,
    /// [`micro_wins::MicroWins`]
    MicroWins,
    /// [`reframes::Reframes`]
    Reframes,
    /// [`on_this_day::OnThisDay`]
    OnThisDay,
    /// [`this_week::ThisWeek`]
    ThisWeek,
}

impl Area {
    /// Every area, in the order shown.
    pub const ALL: [Area; 8] = [
        Area::ThisWeek,
        Area::Connection,
        Area::Routines,
        Area::Setbacks,
        Area::Grounding,
        Area::MicroWins,
        Area::Reframes,
        Area::OnThisDay,
    ];

    /// The stable key (command line and `--json`).
    pub fn key(self) -> &'static str {
        match self {
            Area::Connection => "connection",
            Area::Routines => "routines",
            Area::Setbacks => "setbacks",
            Area::Grounding => "grounding",
            Area::MicroWins => "micro-wins",
            Area::Reframes => "reframes",
            Area::OnThisDay => "on-this-day",
            Area::ThisWeek => "this-week",
        }
    }

    /// A heading for people.
    pub fn title(self) -> &'static str {
        match self {
            Area::Connection => "Connection",
            Area::Routines => "Routines",
            Area::Setbacks => "Setbacks",
            Area::Grounding => "Grounding",
            Area::MicroWins => "Micro-wins",
            Area::Reframes => "Reframes",
            Area::OnThisDay => "On this day",
            Area::ThisWeek => "This week",
        }
    }

    /// The plots drawn under this area.
    pub fn plots(self) -> &'static [plot::Plot] {
        use plot::Plot;
        match self {
            Area::Connection => &[Plot::Calendar, Plot::Weekly, Plot::HeatMap],
            Area::Setbacks => &[Plot::Timeline],
            Area::Grounding => &[Plot::Grounding],
            _ => &[],
        }
    }

    /// The area with this key.
    pub fn parse(key: &str) -> Option<Area> {
        let key = key.trim().to_lowercase().replace('_', "-");
        Area::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Every insight of the journal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Insights {
    /// [`JSON_VERSION`].
    pub version: u32,
    /// Today, in the clock's offset.
    pub today: day::Day,
    /// Live entries read.
    pub entries: usize,
    /// The summary of the last seven days.
    pub this_week: this_week::ThisWeek,
    /// Connected ↔ out of sync.
    pub connection: connection::ConnectionMap,
    /// Routines against steadiness and conversations.
    pub routines: routines::Routines,
    /// Setbacks over time.
    pub setbacks: setbacks::Setbacks,
    /// Grounding per technique.
    pub grounding: grounding::Grounding,
    /// Small victories.
    pub micro_wins: micro_wins::MicroWins,
    /// Reframes over time.
    pub reframes: reframes::Reframes,
    /// Earlier entries of today's date.
    pub on_this_day: on_this_day::OnThisDay,
}

/// Every insight of `entries` as of `now` (its offset decides what "today" is).
pub fn insights(entries: &[Entry], now: Timestamp, options: &Options) -> Insights {
    let j = Journal::new(entries, now);
    Insights {
        version: JSON_VERSION,
        today: j.today,
        entries: j.entries.len(),
        this_week: this_week::this_week(&j),
        connection: connection::connection_map(&j),
        routines: routines::routines(&j),
        setbacks: setbacks::setbacks(&j),
        grounding: grounding::grounding(&j),
        micro_wins: micro_wins::micro_wins(&j),
        reframes: reframes::reframes(&j),
        on_this_day: on_this_day::on_this_day(&j, options.include_hard),
    }
}

impl Insights {
    /// One area in plain sentences (the writer's own words quoted as written).
    pub fn lines(&self, area: Area) -> Vec<String> {
        match area {
            Area::Connection => self.connection.lines(),
            Area::Routines => self.routines.lines(),
            Area::Setbacks => self.setbacks.lines(),
            Area::Grounding => self.grounding.lines(),
            Area::MicroWins => self.micro_wins.lines(),
            Area::Reframes => self.reframes.lines(),
            Area::OnThisDay => self.on_this_day.lines(),
            Area::ThisWeek => self.this_week.lines(),
        }
    }
}
