//! The materialised entry: what a writer reads, lists and searches.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::{self, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::schema::{
    Answer, ChoiceSet, FieldSpec, FieldType, Modality, SessionFormat, Setting, Technique, WinType,
};
use crate::{CoreError, EntryId, EntryKind, Timestamp};

/// A typed value of a kind-specific field.
///
/// Serialised with stable tags (see [`FieldValue::tag`]): binary formats
/// (postcard) write the tag, never the declaration order, so inserting a
/// variant cannot relabel saved data; JSON keeps its externally tagged shape,
/// `{"text": "…"}`, `{"setting": "one-on-one"}`, `"newer"`.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// Prose.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Real(f64),
    /// Yes, partly or no.
    Answer(Answer),
    /// Where a conversation happened.
    Setting(Setting),
    /// A grounding technique.
    Technique(Technique),
    /// A session format.
    SessionFormat(SessionFormat),
    /// A session modality.
    Modality(Modality),
    /// The shape of a micro-win.
    WinType(WinType),
    /// A value this build cannot read: written by a newer version of Attune
    /// (a field or a choice it does not know, or a value of another type).
    ///
    /// Shown as "a newer value: update Attune"; never parsed from input and
    /// never written. The entry's document keeps the real value untouched.
    Newer,
}

/// What a [`FieldValue::Newer`] looks like to people.
const NEWER_VALUE_LABEL: &str = "a newer value: update Attune";

/// Every variant's stable tag and JSON name, in tag order (tag = index + 1).
const FIELD_VALUE_TAGS: [&str; 10] = [
    "text",
    "int",
    "real",
    "answer",
    "setting",
    "technique",
    "session-format",
    "modality",
    "win-type",
    "newer",
];

impl FieldValue {
    /// Parse what a writer typed for `spec`, with a clear message when it does not fit.
    pub fn parse(spec: &FieldSpec, input: &str) -> Result<FieldValue, CoreError> {
        let input = input.trim();
        let invalid = |message: String| CoreError::InvalidValue {
            field: spec.key.to_string(),
            message,
        };
        match spec.ty {
            FieldType::Text => Ok(FieldValue::Text(input.to_string())),
            FieldType::Int { min, max } => {
                let n: i64 = input.parse().map_err(|_| {
                    invalid(format!(
                        "expected a whole number from {min} to {max}, got {input:?}"
                    ))
                })?;
                if n < min || n > max {
                    return Err(invalid(format!(
                        "expected a number from {min} to {max}, got {n}"
                    )));
                }
                Ok(FieldValue::Int(n))
            }
            FieldType::Real { min, max } => {
                let n: f64 = input.replace(',', ".").parse().map_err(|_| {
                    invalid(format!(
                        "expected a number from {min} to {max}, got {input:?}"
                    ))
                })?;
                if !n.is_finite() || n < min || n > max {
                    return Err(invalid(format!(
                        "expected a number from {min} to {max}, got {n}"
                    )));
                }
                Ok(FieldValue::Real(n))
            }
            FieldType::Choice(set) => {
                let unknown = || {
                    let keys: Vec<_> = set.options().iter().map(|(k, _)| *k).collect();
                    invalid(format!("{input:?} is not one of: {}", keys.join(", ")))
                };
                Ok(match set {
                    ChoiceSet::Answer => {
                        FieldValue::Answer(Answer::parse(input).ok_or_else(unknown)?)
                    }
                    ChoiceSet::Setting => {
                        FieldValue::Setting(Setting::parse(input).ok_or_else(unknown)?)
                    }
                    ChoiceSet::Technique => {
                        FieldValue::Technique(Technique::parse(input).ok_or_else(unknown)?)
                    }
                    ChoiceSet::SessionFormat => {
                        FieldValue::SessionFormat(SessionFormat::parse(input).ok_or_else(unknown)?)
                    }
                    ChoiceSet::Modality => {
                        FieldValue::Modality(Modality::parse(input).ok_or_else(unknown)?)
                    }
                    ChoiceSet::WinType => {
                        FieldValue::WinType(WinType::parse(input).ok_or_else(unknown)?)
                    }
                })
            }
        }
    }

    /// The stable tag of this variant: what binary formats write (1 = text … 10 = newer).
    ///
    /// Tags are never reused or renumbered; a new variant takes the next one.
    pub fn tag(&self) -> u32 {
        match self {
            FieldValue::Text(_) => 1,
            FieldValue::Int(_) => 2,
            FieldValue::Real(_) => 3,
            FieldValue::Answer(_) => 4,
            FieldValue::Setting(_) => 5,
            FieldValue::Technique(_) => 6,
            FieldValue::SessionFormat(_) => 7,
            FieldValue::Modality(_) => 8,
            FieldValue::WinType(_) => 9,
            FieldValue::Newer => 10,
        }
    }

    /// Check that this value has the type `spec` asks for.
    pub fn check(&self, spec: &FieldSpec) -> Result<(), CoreError> {
        if *self == FieldValue::Newer {
            return Err(CoreError::InvalidValue {
                field: spec.key.to_string(),
                message: "a value from a newer version of Attune cannot be written by this one"
                    .into(),
            });
        }
        let ok = match (spec.ty, self) {
            (FieldType::Text, FieldValue::Text(_)) => true,
            (FieldType::Int { min, max }, FieldValue::Int(n)) => (min..=max).contains(n),
            (FieldType::Real { min, max }, FieldValue::Real(n)) => {
                n.is_finite() && *n >= min && *n <= max
            }
            (FieldType::Choice(set), v) => v.choice_set() == Some(set),
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(CoreError::InvalidValue {
                field: spec.key.to_string(),
                message: format!(
                    "{} does not fit: expected {}",
                    self.display(),
                    describe(spec.ty)
                ),
            })
        }
    }

    /// The choice set of a choice value.
    fn choice_set(&self) -> Option<ChoiceSet> {
        Some(match self {
            FieldValue::Answer(_) => ChoiceSet::Answer,
            FieldValue::Setting(_) => ChoiceSet::Setting,
            FieldValue::Technique(_) => ChoiceSet::Technique,
            FieldValue::SessionFormat(_) => ChoiceSet::SessionFormat,
            FieldValue::Modality(_) => ChoiceSet::Modality,
            FieldValue::WinType(_) => ChoiceSet::WinType,
            _ => return None,
        })
    }

    /// The number stored for a choice value.
    pub(crate) fn choice_code(&self) -> Option<u64> {
        Some(match self {
            FieldValue::Answer(v) => v.code(),
            FieldValue::Setting(v) => v.code(),
            FieldValue::Technique(v) => v.code(),
            FieldValue::SessionFormat(v) => v.code(),
            FieldValue::Modality(v) => v.code(),
            FieldValue::WinType(v) => v.code(),
            _ => return None,
        })
    }

    /// The choice value for a stored number.
    pub(crate) fn from_choice_code(set: ChoiceSet, code: u64) -> Option<FieldValue> {
        Some(match set {
            ChoiceSet::Answer => FieldValue::Answer(Answer::from_code(code)?),
            ChoiceSet::Setting => FieldValue::Setting(Setting::from_code(code)?),
            ChoiceSet::Technique => FieldValue::Technique(Technique::from_code(code)?),
            ChoiceSet::SessionFormat => FieldValue::SessionFormat(SessionFormat::from_code(code)?),
            ChoiceSet::Modality => FieldValue::Modality(Modality::from_code(code)?),
            ChoiceSet::WinType => FieldValue::WinType(WinType::from_code(code)?),
        })
    }

    /// The value as people read it.
    pub fn display(&self) -> String {
        match self {
            FieldValue::Text(s) => s.clone(),
            FieldValue::Int(n) => n.to_string(),
            FieldValue::Real(n) => format!("{n}"),
            FieldValue::Answer(v) => v.label().to_string(),
            FieldValue::Setting(v) => v.label().to_string(),
            FieldValue::Technique(v) => v.label().to_string(),
            FieldValue::SessionFormat(v) => v.label().to_string(),
            FieldValue::Modality(v) => v.label().to_string(),
            FieldValue::WinType(v) => v.label().to_string(),
            FieldValue::Newer => NEWER_VALUE_LABEL.to_string(),
        }
    }

    /// The text of a prose value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The number of a whole-number value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            FieldValue::Int(n) => Some(*n),
            _ => None,
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const NAME: &str = "FieldValue";
        let tag = self.tag();
        // The tag is 1..=10, so the index is always in range.
        let variant = FIELD_VALUE_TAGS[(tag - 1) as usize];
        match self {
            FieldValue::Text(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::Int(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::Real(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::Answer(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::Setting(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::Technique(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::SessionFormat(v) => {
                serializer.serialize_newtype_variant(NAME, tag, variant, v)
            }
            FieldValue::Modality(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::WinType(v) => serializer.serialize_newtype_variant(NAME, tag, variant, v),
            FieldValue::Newer => serializer.serialize_unit_variant(NAME, tag, variant),
        }
    }
}

/// A [`FieldValue`] variant read by its stable tag (binary formats) or its name (JSON).
struct FieldValueTag(u32);

impl<'de> Deserialize<'de> for FieldValueTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TagVisitor;
        impl Visitor<'_> for TagVisitor {
            type Value = FieldValueTag;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field value tag or name")
            }

            fn visit_u64<E: de::Error>(self, tag: u64) -> Result<FieldValueTag, E> {
                match u32::try_from(tag) {
                    Ok(tag @ 1..=10) => Ok(FieldValueTag(tag)),
                    _ => Err(E::custom(format_args!(
                        "unknown field value tag {tag} (written by a newer version of Attune?)"
                    ))),
                }
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<FieldValueTag, E> {
                FIELD_VALUE_TAGS
                    .iter()
                    .position(|known| *known == name)
                    .and_then(|index| u32::try_from(index + 1).ok())
                    .map(FieldValueTag)
                    .ok_or_else(|| E::unknown_variant(name, &FIELD_VALUE_TAGS))
            }
        }
        deserializer.deserialize_identifier(TagVisitor)
    }
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = FieldValue;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field value")
            }

            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<FieldValue, A::Error> {
                let (FieldValueTag(tag), value) = data.variant()?;
                Ok(match tag {
                    1 => FieldValue::Text(value.newtype_variant()?),
                    2 => FieldValue::Int(value.newtype_variant()?),
                    3 => FieldValue::Real(value.newtype_variant()?),
                    4 => FieldValue::Answer(value.newtype_variant()?),
                    5 => FieldValue::Setting(value.newtype_variant()?),
                    6 => FieldValue::Technique(value.newtype_variant()?),
                    7 => FieldValue::SessionFormat(value.newtype_variant()?),
                    8 => FieldValue::Modality(value.newtype_variant()?),
                    9 => FieldValue::WinType(value.newtype_variant()?),
                    // 10, newer: the tag's visitor admits 1..=10 only.
                    _ => {
                        value.unit_variant()?;
                        FieldValue::Newer
                    }
                })
            }
        }
        deserializer.deserialize_enum("FieldValue", &FIELD_VALUE_TAGS, ValueVisitor)
    }
}

/// What a field accepts, in plain words.
pub fn describe(ty: FieldType) -> String {
    match ty {
        FieldType::Text => "text".into(),
        FieldType::Int { min, max } => format!("a whole number from {min} to {max}"),
        FieldType::Real { min, max } => format!("a number from {min} to {max}"),
        FieldType::Choice(set) => {
            let keys: Vec<_> = set.options().iter().map(|(k, _)| *k).collect();
            format!("one of: {}", keys.join(", "))
        }
    }
}

/// A journal entry as it reads now: every concurrent edit merged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Identity.
    pub id: EntryId,
    /// What kind of moment ([`EntryKind::Newer`] for a kind a newer Attune added).
    pub kind: EntryKind,
    /// Schema version the entry was written with.
    pub schema_version: u64,
    /// When it was written (local offset kept).
    pub created: Timestamp,
    /// When it was last changed.
    pub edited: Timestamp,
    /// Free text.
    pub body: String,
    /// Optional notes.
    pub notes: String,
    /// Tags, as a set.
    pub tags: BTreeSet<String>,
    /// People (names or nicknames the writer chose), as a set.
    pub people: BTreeSet<String>,
    /// How regulated the writer felt, 1–5.
    pub steadiness: Option<u8>,
    /// Kind-specific fields by stable key; [`FieldValue::Newer`] for values this build cannot read.
    pub fields: BTreeMap<String, FieldValue>,
    /// Deleted entries are tombstones: hidden, kept, and restorable.
    pub deleted: bool,
}

impl Entry {
    /// Whether a newer version of Attune wrote part of this entry: its kind or
    /// a field value that this build shows as "update Attune".
    ///
    /// Such an entry reads fine (body, notes, tags, people, steadiness) but
    /// [`crate::EntryDoc::edit`] refuses to change it, or the unreadable fields.
    /// A cache of materialised entries should materialise it again after an
    /// update rather than keep this reading.
    pub fn has_newer_parts(&self) -> bool {
        matches!(self.kind, EntryKind::Newer(_))
            || self.fields.values().any(|v| *v == FieldValue::Newer)
    }

    /// Whether this entry is heavy enough to offer grounding and the crisis note afterwards.
    pub fn is_heavy(&self) -> bool {
        let high = |key: &str| {
            self.fields
                .get(key)
                .and_then(FieldValue::as_int)
                .is_some_and(|n| n >= 7)
        };
        self.kind == EntryKind::Setback
            || self.steadiness.is_some_and(|s| s <= 2)
            || high("distress-after")
            || high("charge-after")
    }

    /// A one-line summary for lists: the first words of the most telling text.
    pub fn summary(&self, max_chars: usize) -> String {
        let first_text = self
            .kind
            .fields()
            .iter()
            .filter_map(|f| self.fields.get(f.key).and_then(FieldValue::as_text))
            .find(|s| !s.trim().is_empty());
        let source = if !self.body.trim().is_empty() {
            self.body.as_str()
        } else {
            first_text.unwrap_or(self.notes.as_str())
        };
        let line: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.chars().count() > max_chars {
            let cut: String = line.chars().take(max_chars.saturating_sub(1)).collect();
            format!("{cut}…")
        } else {
            line
        }
    }

    /// Every piece of text in the entry, for search.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        [self.body.as_str(), self.notes.as_str()]
            .into_iter()
            .chain(self.tags.iter().map(String::as_str))
            .chain(self.people.iter().map(String::as_str))
            .chain(self.fields.values().filter_map(FieldValue::as_text))
    }
}
