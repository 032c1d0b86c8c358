//! The connection map: connected ↔ out of sync by person, by setting and over months.

use std::collections::BTreeMap;

use attune_core::schema::Setting;
use attune_core::{Entry, EntryKind, FieldValue};
use serde::Serialize;

use crate::day::Day;
use crate::journal::{int, text, Journal};
use crate::phrases::{group, Phrase};
use crate::threshold::{average, Average, Gated, PER_CELL, PER_GROUP};

/// A conversation at or above this felt connected; at or below [`OUT_OF_SYNC`], out of sync.
pub const CONNECTED: i64 = 4;
/// A conversation at or below this felt out of sync.
pub const OUT_OF_SYNC: i64 = 2;

/// Connected ↔ out of sync, grouped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConnectionMap {
    /// Conversations with a connection answer.
    pub conversations: usize,
    /// The average connection (1–5) with each person.
    pub by_person: Vec<Gated<Average>>,
    /// The average connection in each setting.
    pub by_setting: Vec<Gated<Average>>,
    /// The average connection in each month.
    pub by_month: Vec<Gated<Average>>,
    /// Person × setting cells of the heat-map.
    pub cells: Vec<Cell>,
    /// "What I did differently" in the more connected moments, grouped.
    pub did_differently: Vec<Phrase>,
}

/// One person × setting cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    /// The person.
    pub person: String,
    /// The setting's stable key.
    pub setting: &'static str,
    /// The cell's average, gated by [`PER_CELL`].
    pub average: Gated<Average>,
}

/// One conversation's connection, with the day it happened.
pub fn connection(e: &Entry) -> Option<i64> {
    (e.kind == EntryKind::Conversation)
        .then(|| int(e, "connection"))
        .flatten()
}

/// The setting of a conversation.
pub fn setting(e: &Entry) -> Option<Setting> {
    match e.fields.get("setting") {
        Some(FieldValue::Setting(s)) => Some(*s),
        _ => None,
    }
}

/// Conversations with a connection answer: `(day, entry, connection)`.
pub fn rated<'a>(j: &'a Journal<'a>) -> impl Iterator<Item = (Day, &'a Entry, i64)> + 'a {
    j.of_kind(EntryKind::Conversation)
        .filter_map(|(d, e)| connection(e).map(|c| (d, e, c)))
}

/// The connection map of the journal.
pub fn connection_map(j: &Journal<'_>) -> ConnectionMap {
    let mut people: BTreeMap<String, (String, Vec<f64>)> = BTreeMap::new();
    let mut settings: BTreeMap<Setting, Vec<f64>> = BTreeMap::new();
    let mut months: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut cells: BTreeMap<(String, Setting), Vec<f64>> = BTreeMap::new();
    let mut conversations = 0;
    for (day, e, c) in rated(j) {
        conversations += 1;
        let c = c as f64;
        for person in &e.people {
            let group = people
                .entry(person.to_lowercase())
                .or_insert_with(|| (person.clone(), Vec::new()));
            group.1.push(c);
            if let Some(s) = setting(e) {
                cells.entry((person.to_lowercase(), s)).or_default().push(c);
            }
        }
        if let Some(s) = setting(e) {
            settings.entry(s).or_default().push(c);
        }
        months.entry(day.month()).or_default().push(c);
    }
    let conv = |label: &str| format!("conversations with {label}");
    let mut by_person: Vec<Gated<Average>> = people
        .values()
        .map(|(name, v)| average(name, conv(name), v, PER_GROUP))
        .collect();
    by_person.sort_by_key(|g| std::cmp::Reverse(g.samples[0].n));
    let by_setting = settings
        .iter()
        .map(|(s, v)| {
            average(
                s.label(),
                format!("conversations ({})", s.label()),
                v,
                PER_GROUP,
            )
        })
        .collect();
    let by_month = months
        .iter()
        .map(|(m, v)| average(m, format!("conversations in {m}"), v, PER_GROUP))
        .collect();
    let cells = cells
        .iter()
        .map(|((key, s), v)| {
            let name = people.get(key).map_or(key.as_str(), |p| p.0.as_str());
            Cell {
                person: name.to_string(),
                setting: s.key(),
                average: average(
                    &format!("{name}, {}", s.label()),
                    format!("conversations with {name} ({})", s.label()),
                    v,
                    PER_CELL,
                ),
            }
        })
        .collect();
    let did_differently = group(
        rated(j)
            .filter(|(_, _, c)| *c >= CONNECTED)
            .filter_map(|(_, e, _)| text(e, "did-differently")),
    );
    ConnectionMap {
        conversations,
        by_person,
        by_setting,
        by_month,
        cells,
        did_differently,
    }
}

/// One line per shown average, a note per group not shown yet.
pub fn average_line(g: &Gated<Average>, unit: &str) -> String {
    match (&g.pattern, &g.note) {
        (Some(a), _) => format!(
            "{}: {:.1} of 5 on average ({} {unit})",
            a.label, a.mean, g.samples[0].n
        ),
        (None, Some(note)) => note.clone(),
        (None, None) => String::new(),
    }
}

impl ConnectionMap {
    /// The map in plain sentences.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "Connection map: how connected conversations felt, from 1 (out of sync) to 5 (connected); {} conversations.",
            self.conversations
        )];
        if self.conversations == 0 {
            out.push(
                "  No conversations written yet; `attune write --kind conversation` starts one."
                    .into(),
            );
            return out;
        }
        for (title, groups) in [
            ("By person", &self.by_person),
            ("By setting", &self.by_setting),
            ("By month", &self.by_month),
        ] {
            out.push(format!("  {title}:"));
            for g in groups {
                out.push(format!("    {}", average_line(g, "conversations")));
            }
        }
        if !self.did_differently.is_empty() {
            out.push("  What you did differently in the more connected moments:".into());
            for p in self.did_differently.iter().take(5) {
                out.push(format!("    “{}” ({}×)", p.text, p.count));
            }
        }
        out
    }
}
