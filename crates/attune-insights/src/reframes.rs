//! Reframes: a memory's charge before and after, over time.

use attune_core::EntryKind;
use serde::Serialize;

use crate::day::Day;
use crate::grounding::{paired, Change};
use crate::journal::{int, Journal};
use crate::threshold::{Gated, PAIRED};

/// Reframes over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reframes {
    /// Every reframe with a charge before and after, oldest first.
    pub timeline: Vec<Reframe>,
    /// The average charge before and after, shown with [`PAIRED`] reframes or more.
    pub average: Gated<Change>,
}

/// One reframe's charge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reframe {
    /// The day.
    pub day: Day,
    /// Charge before (0–10).
    pub before: i64,
    /// Charge after (0–10).
    pub after: i64,
}

/// The reframes of the journal.
pub fn reframes(j: &Journal<'_>) -> Reframes {
    let timeline: Vec<Reframe> = j
        .of_kind(EntryKind::Reframe)
        .filter_map(|(day, e)| {
            Some(Reframe {
                day,
                before: int(e, "charge-before")?,
                after: int(e, "charge-after")?,
            })
        })
        .collect();
    let pairs: Vec<(f64, f64)> = timeline
        .iter()
        .map(|r| (r.before as f64, r.after as f64))
        .collect();
    Reframes {
        average: paired(
            "reframes with a charge before and after".into(),
            &pairs,
            PAIRED,
        ),
        timeline,
    }
}

impl Reframes {
    /// Reframes in plain sentences.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "Reframes: a memory's charge before → after, from 0 to 10; {} reframes.",
            self.timeline.len()
        )];
        match (&self.average.pattern, &self.average.note) {
            (Some(c), _) => out.push(format!(
                "  On average {:.1} → {:.1} ({} reframes).",
                c.before, c.after, self.average.samples[0].n
            )),
            (None, Some(note)) if !self.timeline.is_empty() => {
                out.push(format!("  Average: {note}."))
            }
            _ => {}
        }
        for r in self.timeline.iter().rev().take(6) {
            out.push(format!("    {}  {} → {}", r.day, r.before, r.after));
        }
        out
    }
}
