//! Micro-wins: a timeline of small victories and how many each month.

use std::collections::BTreeMap;

use attune_core::{EntryKind, FieldValue};
use serde::Serialize;

use crate::day::Day;
use crate::journal::{text, Journal};

/// Small victories over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MicroWins {
    /// Micro-wins written.
    pub count: usize,
    /// `(month, how many)`, oldest first.
    pub by_month: Vec<(String, usize)>,
    /// Every micro-win, oldest first.
    pub timeline: Vec<Win>,
}

/// One small victory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Win {
    /// The day.
    pub day: Day,
    /// Its shape's stable key, if given.
    pub win_type: Option<&'static str>,
    /// What the writer did, in their words (or the entry's summary).
    pub what: String,
}

/// The micro-wins of the journal.
pub fn micro_wins(j: &Journal<'_>) -> MicroWins {
    let mut by_month: BTreeMap<String, usize> = BTreeMap::new();
    let mut timeline = Vec::new();
    for (day, e) in j.of_kind(EntryKind::MicroWin) {
        *by_month.entry(day.month()).or_default() += 1;
        let win_type = match e.fields.get("win-type") {
            Some(FieldValue::WinType(w)) => Some(*w),
            _ => None,
        };
        let what = text(e, "what-i-did")
            .map(str::to_string)
            .unwrap_or_else(|| match e.summary(80) {
                s if s.is_empty() => win_type.map_or("a small win", |w| w.label()).to_string(),
                s => s,
            });
        timeline.push(Win {
            day,
            win_type: win_type.map(|w| w.key()),
            what,
        });
    }
    MicroWins {
        count: timeline.len(),
        by_month: by_month.into_iter().collect(),
        timeline,
    }
}

impl MicroWins {
    /// Micro-wins in plain sentences: counts per month and the most recent ones.
    pub fn lines(&self) -> Vec<String> {
        if self.count == 0 {
            return vec!["Micro-wins: none written yet. Small is not nothing.".into()];
        }
        let mut out = vec![format!(
            "Micro-wins: {} small victories. Small is not nothing.",
            self.count
        )];
        for (month, n) in &self.by_month {
            out.push(format!("  {month}: {n}"));
        }
        if !self.timeline.is_empty() {
            out.push("  Most recent:".into());
            for w in self.timeline.iter().rev().take(5) {
                out.push(format!("    {}  {}", w.day, w.what));
            }
        }
        out
    }
}
