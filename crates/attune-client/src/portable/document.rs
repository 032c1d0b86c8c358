//! Attune's own export document (`attune export --format json`, version 1):
//! every field of every entry, times with their offsets, and the safety plan.
//!
//! The shape of each entry is the CLI's entry JSON (docs/CLI.md) plus
//! nothing: `attune import` reads it back field by field.

use std::collections::{BTreeMap, BTreeSet};

use attune_core::{Entry, EntryId, EntryKind, FieldType, FieldValue, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::SafetyPlan;

/// What the `format` key of an export says.
pub const FORMAT_NAME: &str = "attune-export";
/// The version of the export document this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The whole export: a header, the entries (newest first) and the safety plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExportDocument {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// When the export was made (RFC 3339).
    pub exported: String,
    /// The journal it came from (hex), when known.
    #[serde(default)]
    pub journal_id: Option<String>,
    /// The entries.
    pub entries: Vec<EntryRecord>,
    /// The safety plan (absent when the export was filtered for someone else).
    #[serde(default)]
    pub safety_plan: Option<SafetyPlan>,
}

/// One entry, field by field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryRecord {
    /// 32 hex characters.
    pub id: String,
    /// The kind's stable key.
    pub kind: String,
    /// Schema version the entry was written with.
    #[serde(default = "one")]
    pub schema_version: u64,
    /// RFC 3339 with the writer's offset.
    pub created: String,
    /// The same moment in UTC milliseconds (exact).
    pub created_unix_ms: i64,
    /// Last change, RFC 3339 with its offset.
    pub edited: String,
    /// The same moment in UTC milliseconds.
    pub edited_unix_ms: i64,
    /// Free text.
    #[serde(default)]
    pub body: String,
    /// Notes.
    #[serde(default)]
    pub notes: String,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeSet<String>,
    /// People.
    #[serde(default)]
    pub people: BTreeSet<String>,
    /// 1–5.
    #[serde(default)]
    pub steadiness: Option<u8>,
    /// Answered fields: text as strings, numbers as numbers, choices as stable keys.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    /// A tombstone (only with `--include-deleted`).
    #[serde(default)]
    pub deleted: bool,
}

fn one() -> u64 {
    1
}

/// `2026-12-02T10:42:32+01:00`: the moment in the writer's offset.
pub fn rfc3339(t: Timestamp) -> String {
    let offset =
        UtcOffset::from_whole_seconds(i32::from(t.offset_minutes) * 60).unwrap_or(UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.unix_ms) * 1_000_000)
        .map(|dt| dt.to_offset(offset))
        .ok()
        .and_then(|dt| {
            dt.replace_nanosecond(0)
                .ok()
                .and_then(|d| d.format(&Rfc3339).ok())
        })
        .unwrap_or_default()
}

/// The offset in minutes written at the end of an RFC 3339 time.
pub fn offset_of(text: &str) -> Option<i16> {
    let dt = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    Some(dt.offset().whole_minutes())
}

/// A field value as JSON: choices as their stable keys.
pub fn field_json(value: &FieldValue) -> Value {
    match value {
        FieldValue::Text(s) => Value::from(s.as_str()),
        FieldValue::Int(n) => Value::from(*n),
        FieldValue::Real(n) => Value::from(*n),
        FieldValue::Answer(v) => Value::from(v.key()),
        FieldValue::Setting(v) => Value::from(v.key()),
        FieldValue::Technique(v) => Value::from(v.key()),
        FieldValue::SessionFormat(v) => Value::from(v.key()),
        FieldValue::Modality(v) => Value::from(v.key()),
        FieldValue::WinType(v) => Value::from(v.key()),
        FieldValue::Newer => Value::from("newer"),
    }
}

impl EntryRecord {
    /// The record of an entry.
    pub fn of(e: &Entry) -> EntryRecord {
        EntryRecord {
            id: e.id.to_string(),
            kind: e.kind.key().to_string(),
            schema_version: e.schema_version,
            created: rfc3339(e.created),
            created_unix_ms: e.created.unix_ms,
            edited: rfc3339(e.edited),
            edited_unix_ms: e.edited.unix_ms,
            body: e.body.clone(),
            notes: e.notes.clone(),
            tags: e.tags.clone(),
            people: e.people.clone(),
            steadiness: e.steadiness,
            fields: e
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), field_json(v)))
                .collect(),
            deleted: e.deleted,
        }
    }

    /// The entry this record describes, or which field does not read (`field`, why).
    pub fn to_entry(&self) -> Result<Entry, (String, String)> {
        let bad = |field: &str, why: String| (field.to_string(), why);
        let id: EntryId = self
            .id
            .parse()
            .map_err(|_| bad("id", format!("{:?} is not 32 hex characters", self.id)))?;
        let kind = EntryKind::parse(&self.kind).ok_or_else(|| {
            bad(
                "kind",
                format!("{:?} is not a kind this Attune knows", self.kind),
            )
        })?;
        let created_offset = offset_of(&self.created).ok_or_else(|| {
            bad(
                "created",
                format!("{:?} is not an RFC 3339 time", self.created),
            )
        })?;
        let edited_offset = offset_of(&self.edited).ok_or_else(|| {
            bad(
                "edited",
                format!("{:?} is not an RFC 3339 time", self.edited),
            )
        })?;
        if self.steadiness.is_some_and(|s| !(1..=5).contains(&s)) {
            return Err(bad("steadiness", "expected 1 to 5".into()));
        }
        let mut fields = BTreeMap::new();
        for (key, value) in &self.fields {
            let name = format!("fields.{key}");
            let spec = kind.field(key).map_err(|e| bad(&name, e.to_string()))?;
            let parsed = match (spec.ty, value) {
                (FieldType::Text, Value::String(s)) => FieldValue::Text(s.clone()),
                (FieldType::Int { .. }, Value::Number(n)) => FieldValue::Int(
                    n.as_i64()
                        .ok_or_else(|| bad(&name, format!("{n} is not a whole number")))?,
                ),
                (FieldType::Real { .. }, Value::Number(n)) => FieldValue::Real(
                    n.as_f64()
                        .ok_or_else(|| bad(&name, format!("{n} is not a number")))?,
                ),
                (FieldType::Choice(_), Value::String(s)) => {
                    FieldValue::parse(spec, s).map_err(|e| bad(&name, e.to_string()))?
                }
                (_, other) => return Err(bad(&name, format!("{other} does not fit this field"))),
            };
            parsed.check(spec).map_err(|e| bad(&name, e.to_string()))?;
            fields.insert(spec.key.to_string(), parsed);
        }
        Ok(Entry {
            id,
            kind,
            schema_version: self.schema_version,
            created: Timestamp::new(self.created_unix_ms, created_offset),
            edited: Timestamp::new(self.edited_unix_ms, edited_offset),
            body: self.body.clone(),
            notes: self.notes.clone(),
            tags: self.tags.clone(),
            people: self.people.clone(),
            steadiness: self.steadiness,
            fields,
            deleted: self.deleted,
        })
    }
}

impl ExportDocument {
    /// A document of `entries` with the plan (or none), made at `now`.
    pub fn new(
        now: Timestamp,
        journal_id: Option<String>,
        entries: &[Entry],
        safety_plan: Option<SafetyPlan>,
    ) -> ExportDocument {
        ExportDocument {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            exported: rfc3339(now),
            journal_id,
            entries: entries.iter().map(EntryRecord::of).collect(),
            safety_plan,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_offset_and_nonsense_is_named() {
        let t = Timestamp::new(1_614_772_130_000, 660);
        assert_eq!(rfc3339(t), "2021-03-03T22:48:50+11:00");
        assert_eq!(offset_of("2021-03-03T22:48:50+11:00"), Some(660));
        assert_eq!(offset_of("2021-03-03T11:48:50Z"), Some(0));
        assert_eq!(offset_of("yesterday"), None);
        let mut record = EntryRecord {
            id: "ab".repeat(16),
            kind: "conversation".into(),
            schema_version: 1,
            created: rfc3339(t),
            created_unix_ms: t.unix_ms,
            edited: rfc3339(t),
            edited_unix_ms: t.unix_ms,
            body: "hi".into(),
            notes: String::new(),
            tags: BTreeSet::new(),
            people: BTreeSet::new(),
            steadiness: Some(4),
            fields: BTreeMap::from([("setting".to_string(), Value::from("one-on-one"))]),
            deleted: false,
        };
        let entry = record.to_entry().expect("a good record reads");
        assert_eq!(entry.created, t);
        assert_eq!(EntryRecord::of(&entry), record);
        record.fields.insert("connection".into(), Value::from(9));
        let (field, _) = record.to_entry().expect_err("9 is out of range");
        assert_eq!(field, "fields.connection");
    }
}
