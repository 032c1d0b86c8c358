//! Routines and steadiness: check-in routines against the same and the next day's
//! steadiness and conversations. Associations with their sample sizes, never causes.

use std::collections::BTreeMap;

use attune_core::schema::Answer;
use attune_core::{Entry, EntryKind, FieldValue};
use serde::Serialize;

use crate::connection::rated;
use crate::day::Day;
use crate::journal::{int, real, Journal};
use crate::threshold::{mean, round1, Gated, Sample, DAYS_EACH_SIDE};

/// One routine read from a check-in: whether the day had it.
struct Routine {
    key: &'static str,
    /// As said in a sentence: "7+ hours of sleep".
    words: &'static str,
    had: fn(&Entry) -> Option<bool>,
    /// Whether the next day is compared too (sleep is already about the night before).
    next_day: bool,
}

const ROUTINES: [Routine; 4] = [
    Routine {
        key: "sleep",
        words: "7+ hours of sleep",
        had: |e| real(e, "sleep-hours").map(|h| h >= 7.0),
        next_day: false,
    },
    Routine {
        key: "meals",
        words: "regular meals",
        had: |e| match e.fields.get("regular-meals") {
            Some(FieldValue::Answer(a)) => Some(*a == Answer::Yes),
            _ => None,
        },
        next_day: true,
    },
    Routine {
        key: "movement",
        words: "20+ minutes of movement",
        had: |e| int(e, "movement-minutes").map(|m| m >= 20),
        next_day: true,
    },
    Routine {
        key: "mindfulness",
        words: "10+ minutes of mindfulness",
        had: |e| int(e, "mindfulness-minutes").map(|m| m >= 10),
        next_day: true,
    },
];

/// What a routine is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The day's average steadiness (1–5) over every entry that has one.
    Steadiness,
    /// The day's average connection (1–5) over its conversations.
    Connection,
}

/// One routine against one outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Association {
    /// `sleep`, `meals`, `movement` or `mindfulness`.
    pub routine: &'static str,
    /// What it is compared with.
    pub outcome: Outcome,
    /// Whether the outcome is read on the next day.
    pub next_day: bool,
    /// The comparison, shown with 3 days with and 3 without or more.
    pub comparison: Gated<Comparison>,
}

/// Days with a routine against days without.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The outcome's average on days with the routine.
    pub with: f64,
    /// On days without.
    pub without: f64,
    /// The comparison in words.
    pub sentence: String,
}

/// Every routine against every outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Routines {
    /// Days with a check-in.
    pub check_in_days: usize,
    /// Each comparison, shown or waiting for more days.
    pub associations: Vec<Association>,
}

/// Per-day averages of an outcome.
fn daily(j: &Journal<'_>, outcome: Outcome) -> BTreeMap<Day, f64> {
    let mut days: BTreeMap<Day, Vec<f64>> = BTreeMap::new();
    match outcome {
        Outcome::Steadiness => {
            for (d, e) in &j.entries {
                if let Some(s) = e.steadiness {
                    days.entry(*d).or_default().push(f64::from(s));
                }
            }
        }
        Outcome::Connection => {
            for (d, _, c) in rated(j) {
                days.entry(d).or_default().push(c as f64);
            }
        }
    }
    days.into_iter()
        .filter_map(|(d, v)| mean(&v).map(|m| (d, m)))
        .collect()
}

/// Every routine against the same and (where it fits) the next day's outcomes.
pub fn routines(j: &Journal<'_>) -> Routines {
    // The last check-in of a day speaks for it.
    let mut check_ins: BTreeMap<Day, &Entry> = BTreeMap::new();
    for (d, e) in j.of_kind(EntryKind::CheckIn) {
        check_ins.insert(d, e);
    }
    let mut associations = Vec::new();
    for outcome in [Outcome::Connection, Outcome::Steadiness] {
        let values = daily(j, outcome);
        for r in &ROUTINES {
            for next_day in [false, true] {
                if next_day && !r.next_day {
                    continue;
                }
                let (mut with, mut without) = (Vec::new(), Vec::new());
                for (d, e) in &check_ins {
                    let Some(had) = (r.had)(e) else { continue };
                    let Some(v) = values.get(&d.plus(i64::from(next_day))) else {
                        continue;
                    };
                    if had { &mut with } else { &mut without }.push(*v);
                }
                associations.push(Association {
                    routine: r.key,
                    outcome,
                    next_day,
                    comparison: compare(r, outcome, next_day, &with, &without),
                });
            }
        }
    }
    Routines {
        check_in_days: check_ins.len(),
        associations,
    }
}

fn compare(
    r: &Routine,
    outcome: Outcome,
    next_day: bool,
    with: &[f64],
    without: &[f64],
) -> Gated<Comparison> {
    let what = match outcome {
        Outcome::Steadiness => "with a steadiness",
        Outcome::Connection => "with a conversation",
    };
    let when = if next_day { " (the day after)" } else { "" };
    let samples = vec![
        Sample::new(
            format!("days {what}{when} and {}", r.words),
            with.len(),
            DAYS_EACH_SIDE,
        ),
        Sample::new(
            format!("days {what}{when} and without {}", r.words),
            without.len(),
            DAYS_EACH_SIDE,
        ),
    ];
    Gated::new(samples, || {
        let (w, wo) = (round1(mean(with)?), round1(mean(without)?));
        let diff = w - wo;
        let felt = match (outcome, diff) {
            (Outcome::Connection, d) if d >= 0.3 => "your conversations felt more connected",
            (Outcome::Connection, d) if d <= -0.3 => {
                "your conversations felt a little less connected"
            }
            (Outcome::Connection, _) => "your conversations felt about as connected",
            (Outcome::Steadiness, d) if d >= 0.3 => "you felt steadier",
            (Outcome::Steadiness, d) if d <= -0.3 => "you felt a little less steady",
            (Outcome::Steadiness, _) => "you felt about as steady",
        };
        let lead = match (r.key, next_day) {
            ("sleep", _) => format!("On days after {}", r.words),
            (_, false) => format!("On days with {}", r.words),
            (_, true) => format!("On the day after {}", r.words),
        };
        Some(Comparison {
            with: w,
            without: wo,
            sentence: format!(
                "{lead}, {felt} ({w:.1} vs {wo:.1}, {} vs {} days).",
                with.len(),
                without.len()
            ),
        })
    })
}

impl Routines {
    /// The shown associations in sentences, and how many wait for more days.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "Routines and steadiness: associations in your own check-ins ({} days), not explanations.",
            self.check_in_days
        )];
        let shown: Vec<&Comparison> = self
            .associations
            .iter()
            .filter_map(|a| a.comparison.pattern.as_ref())
            .collect();
        for c in &shown {
            out.push(format!("  {}", c.sentence));
        }
        let waiting = self.associations.len() - shown.len();
        if shown.is_empty() {
            out.push(format!(
                "  {}: each routine needs {DAYS_EACH_SIDE} days with it and {DAYS_EACH_SIDE} without, with a check-in.",
                crate::threshold::NOT_ENOUGH
            ));
        } else if waiting > 0 {
            out.push(format!(
                "  {waiting} more comparisons wait for more days (`--json` lists what each needs)."
            ));
        }
        out
    }
}
