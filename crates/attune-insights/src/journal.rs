//! The entries insights read: live ones this build understands, oldest first, with their days.

use attune_core::{Entry, EntryKind, FieldValue, Timestamp};

use crate::day::Day;

/// Live entries, oldest first, each with its local day; and today.
pub struct Journal<'a> {
    /// `(day, entry)`, oldest first.
    pub entries: Vec<(Day, &'a Entry)>,
    /// Today, in the offset of the clock passed in.
    pub today: Day,
}

impl<'a> Journal<'a> {
    /// Prepare `entries` (deleted ones and kinds from a newer Attune left out) for `now`.
    pub fn new(entries: &'a [Entry], now: Timestamp) -> Journal<'a> {
        let mut live: Vec<(Day, &Entry)> = entries
            .iter()
            .filter(|e| !e.deleted && !matches!(e.kind, EntryKind::Newer(_)))
            .map(|e| (Day::of(e.created), e))
            .collect();
        live.sort_by(|a, b| a.1.created.cmp(&b.1.created).then(a.1.id.cmp(&b.1.id)));
        Journal {
            entries: live,
            today: Day::of(now),
        }
    }

    /// Entries of one kind, oldest first.
    pub fn of_kind(&self, kind: EntryKind) -> impl Iterator<Item = (Day, &'a Entry)> + '_ {
        self.entries
            .iter()
            .copied()
            .filter(move |(_, e)| e.kind == kind)
    }
}

/// A whole-number field.
pub fn int(e: &Entry, key: &str) -> Option<i64> {
    e.fields.get(key).and_then(FieldValue::as_int)
}

/// A decimal field (whole numbers read as decimals too).
pub fn real(e: &Entry, key: &str) -> Option<f64> {
    match e.fields.get(key)? {
        FieldValue::Real(x) => Some(*x),
        FieldValue::Int(n) => Some(*n as f64),
        _ => None,
    }
}

/// A prose field, if it has any words.
pub fn text<'e>(e: &'e Entry, key: &str) -> Option<&'e str> {
    e.fields
        .get(key)
        .and_then(FieldValue::as_text)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}
