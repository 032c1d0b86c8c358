//! This week: a short, warm summary of the last seven days. No streaks, no day counts.

use std::collections::BTreeMap;

use attune_core::EntryKind;
use serde::Serialize;

use crate::connection::{connection, CONNECTED};
use crate::day::Day;
use crate::journal::{text, Journal};

/// The last seven days, today included.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThisWeek {
    /// The first day of the seven.
    pub from: Day,
    /// Today.
    pub to: Day,
    /// Entries written.
    pub entries: usize,
    /// `(kind, how many)`, most first.
    pub by_kind: Vec<(&'static str, usize)>,
    /// Conversations that felt connected (4 or 5).
    pub connected_moments: usize,
    /// People of those conversations.
    pub connected_with: Vec<String>,
    /// What the micro-wins were.
    pub micro_wins: Vec<String>,
    /// One "what I did differently" to carry forward, from the latest connected moment.
    pub carry_forward: Option<String>,
}

/// The summary of the seven days up to today.
pub fn this_week(j: &Journal<'_>) -> ThisWeek {
    let from = j.today.plus(-6);
    let week: Vec<_> = j
        .entries
        .iter()
        .filter(|(d, _)| *d >= from && *d <= j.today)
        .collect();
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut connected_with: Vec<String> = Vec::new();
    let (mut connected_moments, mut micro_wins, mut carry_forward) = (0, Vec::new(), None);
    for (_, e) in &week {
        *kinds.entry(e.kind.key()).or_default() += 1;
        if connection(e).is_some_and(|c| c >= CONNECTED) {
            connected_moments += 1;
            for p in &e.people {
                if !connected_with.iter().any(|q| q.eq_ignore_ascii_case(p)) {
                    connected_with.push(p.clone());
                }
            }
            if let Some(t) = text(e, "did-differently") {
                carry_forward = Some(t.to_string());
            }
        }
        if e.kind == EntryKind::MicroWin {
            micro_wins.push(text(e, "what-i-did").map_or_else(|| e.summary(60), str::to_string));
        }
    }
    let mut by_kind: Vec<(&'static str, usize)> = kinds.into_iter().collect();
    by_kind.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ThisWeek {
        from,
        to: j.today,
        entries: week.len(),
        by_kind,
        connected_moments,
        connected_with,
        micro_wins,
        carry_forward,
    }
}

/// "1 conversation", "3 check-ins", "2 grounding exercises": a kind's entries, counted.
pub fn counted(kind: &str, n: usize) -> String {
    let (one, many) = match kind {
        "grounding" => ("grounding exercise", "grounding exercises"),
        "self-compassion" => ("self-compassion note", "self-compassion notes"),
        "listening" => ("listening practice", "listening practices"),
        "values" => ("values reflection", "values reflections"),
        other => (other, ""),
    };
    match (n, many) {
        (1, _) => format!("1 {one}"),
        (n, "") => format!("{n} {one}s"),
        (n, many) => format!("{n} {many}"),
    }
}

impl ThisWeek {
    /// The week in a few warm sentences.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "This week ({} to {}):",
            self.from.short(),
            self.to.short()
        )];
        if self.entries == 0 {
            out.push("  Nothing written these seven days, and that is fine. The journal is here when you want it.".into());
            return out;
        }
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        out.push(format!(
            "  You wrote {} {}: {}.",
            self.entries,
            if self.entries == 1 {
                "entry"
            } else {
                "entries"
            },
            kinds.join(", ")
        ));
        if self.connected_moments > 0 {
            let with = if self.connected_with.is_empty() {
                String::new()
            } else {
                format!(" (with {})", self.connected_with.join(", "))
            };
            out.push(format!(
                "  {} {} felt connected{with}.",
                self.connected_moments,
                if self.connected_moments == 1 {
                    "conversation"
                } else {
                    "conversations"
                }
            ));
        }
        if !self.micro_wins.is_empty() {
            out.push(format!("  Small wins: {}.", self.micro_wins.join("; ")));
        }
        if let Some(c) = &self.carry_forward {
            out.push(format!("  One thing to carry forward: “{c}”."));
        }
        out
    }
}
