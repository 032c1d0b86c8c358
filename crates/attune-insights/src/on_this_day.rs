//! On this day: earlier entries written on today's date. Harder entries only when asked.

use attune_core::Entry;
use serde::Serialize;

use crate::day::{is_leap, Day};
use crate::journal::Journal;

/// Earlier entries of today's date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OnThisDay {
    /// Today.
    pub today: Day,
    /// The memories, most recent year first.
    pub memories: Vec<Memory>,
    /// Harder entries (setbacks and heavy moments) left out; `--include-hard` shows them.
    pub hard_left_out: usize,
}

/// One earlier entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Memory {
    /// How many years ago.
    pub years_ago: i64,
    /// Its id.
    pub id: String,
    /// The day it was written.
    pub day: Day,
    /// Its kind's stable key.
    pub kind: &'static str,
    /// The first words.
    pub summary: String,
}

/// Whether `day` counts as "this day" of an earlier year for `today`.
///
/// 29 February is remembered on 28 February of the years that have none.
pub fn same_date(day: Day, today: Day) -> bool {
    let (y, m, d) = day.date();
    let (ty, tm, td) = today.date();
    if y >= ty {
        return false;
    }
    (m, d) == (tm, td) || ((m, d) == (2, 29) && (tm, td) == (2, 28) && !is_leap(ty))
}

/// Earlier entries of today's date; heavy ones only with `include_hard`.
pub fn on_this_day(j: &Journal<'_>, include_hard: bool) -> OnThisDay {
    let (ty, _, _) = j.today.date();
    let mut memories = Vec::new();
    let mut hard_left_out = 0;
    for (day, e) in &j.entries {
        if !same_date(*day, j.today) {
            continue;
        }
        if e.is_heavy() && !include_hard {
            hard_left_out += 1;
            continue;
        }
        memories.push(memory(*day, e, ty - day.date().0));
    }
    memories.sort_by_key(|m| m.years_ago);
    OnThisDay {
        today: j.today,
        memories,
        hard_left_out,
    }
}

fn memory(day: Day, e: &Entry, years_ago: i64) -> Memory {
    Memory {
        years_ago,
        id: e.id.to_string(),
        day,
        kind: e.kind.key(),
        summary: e.summary(70),
    }
}

impl OnThisDay {
    /// Memories in plain sentences.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("On this day ({}):", self.today.short())];
        if self.memories.is_empty() {
            out.push("  Nothing from earlier years on this date yet.".into());
        }
        for m in &self.memories {
            let ago = if m.years_ago == 1 {
                "1 year ago".to_string()
            } else {
                format!("{} years ago", m.years_ago)
            };
            out.push(format!("  {ago} ({}), {}: {}", m.day, m.kind, m.summary));
        }
        if self.hard_left_out > 0 {
            out.push(format!(
                "  {} harder {} from this date left out; `attune insights on-this-day --include-hard` shows {}.",
                self.hard_left_out,
                if self.hard_left_out == 1 { "entry" } else { "entries" },
                if self.hard_left_out == 1 { "it" } else { "them" }
            ));
        }
        out
    }
}
