//! Reading materialised entries that postcard wrote before the stable codes.
//!
//! Until then, [`Entry`]'s kinds, choices and field values were written as
//! their position in the declaration (`Conversation` = 0 … `Note` = 10;
//! `FieldValue::Text` = 0 … `WinType` = 8), one less than today's codes and
//! tags. Month views and snapshot rows written by such builds can be read with
//! [`EntryV1`] so that nothing has to be thrown away; new data is always
//! written as [`Entry`]. Binary (postcard) only: JSON never changed.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::{self, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::entry::FieldValue;
use crate::schema::ChoiceSet;
use crate::{Entry, EntryId, EntryKind, Timestamp};

/// An [`Entry`] in the postcard layout written before stable codes (month views v1, snapshots v1).
///
/// ```
/// use attune_core::legacy::EntryV1;
///
/// // An empty note as a month view of an older build held it.
/// let mut old_bytes = vec![0xab; 16]; // id
/// old_bytes.extend([10, 1]); // kind 10 (note, now code 11), schema version 1
/// old_bytes.extend([0; 11]); // times, texts, sets, steadiness, fields, not deleted
/// let entry = postcard::from_bytes::<EntryV1>(&old_bytes)?.into_entry();
/// assert_eq!(entry.kind, attune_core::EntryKind::Note);
/// # Ok::<(), postcard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "EntryV1Layout")]
pub struct EntryV1(Entry);

impl EntryV1 {
    /// The entry as this build reads it.
    pub fn into_entry(self) -> Entry {
        self.0
    }
}

impl From<EntryV1> for Entry {
    fn from(old: EntryV1) -> Entry {
        old.0
    }
}

/// The old field order of [`Entry`], with the old enum encodings.
#[derive(Deserialize)]
struct EntryV1Layout {
    id: EntryId,
    kind: VariantIndex,
    schema_version: u64,
    created: Timestamp,
    edited: Timestamp,
    body: String,
    notes: String,
    tags: BTreeSet<String>,
    people: BTreeSet<String>,
    steadiness: Option<u8>,
    fields: BTreeMap<String, FieldValueV1>,
    deleted: bool,
}

impl From<EntryV1Layout> for EntryV1 {
    fn from(old: EntryV1Layout) -> EntryV1 {
        let code = u64::from(old.kind.0) + 1;
        EntryV1(Entry {
            id: old.id,
            kind: EntryKind::from_code(code).unwrap_or(EntryKind::Newer(code)),
            schema_version: old.schema_version,
            created: old.created,
            edited: old.edited,
            body: old.body,
            notes: old.notes,
            tags: old.tags,
            people: old.people,
            steadiness: old.steadiness,
            fields: old
                .fields
                .into_iter()
                .map(|(key, value)| (key, value.0))
                .collect(),
            deleted: old.deleted,
        })
    }
}

/// The declaration index of a unit variant, whatever the enum.
struct VariantIndex(u32);

impl<'de> Deserialize<'de> for VariantIndex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IndexVisitor;
        impl<'de> Visitor<'de> for IndexVisitor {
            type Value = VariantIndex;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a unit variant")
            }

            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<VariantIndex, A::Error> {
                let (index, variant) = data.variant::<u32>()?;
                variant.unit_variant()?;
                Ok(VariantIndex(index))
            }
        }
        deserializer.deserialize_enum("choice", &[], IndexVisitor)
    }
}

/// A [`FieldValue`] in the old layout: declaration index, then the value.
struct FieldValueV1(FieldValue);

impl<'de> Deserialize<'de> for FieldValueV1 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = FieldValueV1;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field value")
            }

            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<FieldValueV1, A::Error> {
                let (index, value) = data.variant::<u32>()?;
                let set = match index {
                    0 => return Ok(FieldValueV1(FieldValue::Text(value.newtype_variant()?))),
                    1 => return Ok(FieldValueV1(FieldValue::Int(value.newtype_variant()?))),
                    2 => return Ok(FieldValueV1(FieldValue::Real(value.newtype_variant()?))),
                    3 => ChoiceSet::Answer,
                    4 => ChoiceSet::Setting,
                    5 => ChoiceSet::Technique,
                    6 => ChoiceSet::SessionFormat,
                    7 => ChoiceSet::Modality,
                    8 => ChoiceSet::WinType,
                    other => {
                        return Err(de::Error::custom(format_args!(
                            "unknown field value {other} in an old entry"
                        )))
                    }
                };
                let VariantIndex(choice) = value.newtype_variant()?;
                let code = u64::from(choice) + 1;
                Ok(FieldValueV1(
                    FieldValue::from_choice_code(set, code).unwrap_or(FieldValue::Newer),
                ))
            }
        }
        deserializer.deserialize_enum("FieldValue", &[], ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Setting, Technique};

    /// Written by the build before stable codes (postcard of a Reframe entry).
    const OLD: &str = concat!(
        "abababababababababababababababab09", // id, kind index 9: reframe
        "01d00f78a01f77016200010174000103", // version, times, body, notes, tags, people, steadiness
        "05",                               // five fields:
        "0a636f6e6e656374696f6e0108",       //   connection: int (1) 4
        "0c72656c6174696f6e736869700003416e61", // relationship: text (0) "Ana"
        "0773657474696e670403",             //   setting: setting (4), work (3)
        "0b736c6565702d686f757273020000000000001e40", // sleep-hours: real (2) 7.5
        "09746563686e697175650503",         //   technique: technique (5), breathing (3)
        "01",                               // deleted
    );

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn entries_written_before_stable_codes_read_as_they_were() {
        let entry = postcard::from_bytes::<EntryV1>(&unhex(OLD))
            .unwrap()
            .into_entry();
        assert_eq!(entry.kind, EntryKind::Reframe);
        assert_eq!(entry.created, Timestamp::new(1_000, 60));
        assert_eq!(entry.edited, Timestamp::new(2_000, -60));
        assert_eq!(entry.body, "b");
        assert_eq!(entry.steadiness, Some(3));
        assert!(entry.deleted);
        let expected: BTreeMap<String, FieldValue> = [
            ("connection", FieldValue::Int(4)),
            ("relationship", FieldValue::Text("Ana".into())),
            ("setting", FieldValue::Setting(Setting::Work)),
            ("sleep-hours", FieldValue::Real(7.5)),
            ("technique", FieldValue::Technique(Technique::Breathing)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(entry.fields, expected);
        // Read as today's layout, the same bytes are wrong or refused: hence the version bumps.
        assert_ne!(
            postcard::from_bytes::<Entry>(&unhex(OLD))
                .ok()
                .map(|e| e.kind),
            Some(EntryKind::Reframe)
        );
    }
}
