//! Entry kinds, their fields, and the guided questions asked for each.
//!
//! Values are stored as numbers and stable keys, never as display labels, so
//! a label can be reworded without touching a single saved entry.

/// Current schema version written into every new entry.
pub const SCHEMA_VERSION: u64 = 1;

/// Serde for the choice enums: the stable code in binary formats, the stable key in text ones.
///
/// Binary formats (postcard: month views, snapshots) get [`code`](EntryKind::code),
/// never the declaration order, so reordering or inserting variants cannot
/// relabel saved data. Human-readable formats (JSON) get
/// [`key`](EntryKind::key), and also accept the code.
mod choice_serde;
#[macro_use]
mod choices;
mod kinds;

pub use choices::{Answer, EntryKind, Modality, SessionFormat, Setting, Technique, WinType};
pub(crate) use kinds::is_field_of_any_kind;

/// Which typed set of choices a field draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChoiceSet {
    /// [`Answer`]
    Answer,
    /// [`Setting`]
    Setting,
    /// [`Technique`]
    Technique,
    /// [`SessionFormat`]
    SessionFormat,
    /// [`Modality`]
    Modality,
    /// [`WinType`]
    WinType,
}

impl ChoiceSet {
    /// `(key, label)` of every choice, in display order.
    pub fn options(self) -> Vec<(&'static str, &'static str)> {
        fn pairs<T: Copy>(
            all: &[T],
            key: fn(T) -> &'static str,
            label: fn(T) -> &'static str,
        ) -> Vec<(&'static str, &'static str)> {
            all.iter().map(|v| (key(*v), label(*v))).collect()
        }
        match self {
            ChoiceSet::Answer => pairs(Answer::ALL, Answer::key, Answer::label),
            ChoiceSet::Setting => pairs(Setting::ALL, Setting::key, Setting::label),
            ChoiceSet::Technique => pairs(Technique::ALL, Technique::key, Technique::label),
            ChoiceSet::SessionFormat => {
                pairs(SessionFormat::ALL, SessionFormat::key, SessionFormat::label)
            }
            ChoiceSet::Modality => pairs(Modality::ALL, Modality::key, Modality::label),
            ChoiceSet::WinType => pairs(WinType::ALL, WinType::key, WinType::label),
        }
    }
}

/// The type of a kind-specific field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldType {
    /// Prose, stored as collaborative text so concurrent edits merge.
    Text,
    /// A whole number within an inclusive range.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A decimal number within an inclusive range.
    Real {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// One of a fixed set of choices.
    Choice(ChoiceSet),
}

/// One kind-specific field: its stable key, its type and the guided question.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// Stable key stored in the journal and used on the command line.
    pub key: &'static str,
    /// Value type.
    pub ty: FieldType,
    /// The guided question, in the writer's own voice where possible.
    pub prompt: &'static str,
}

/// The guided question for the entry-wide 1–5 steadiness.
pub const STEADINESS_PROMPT: &str = "How steady did you feel, from 1 (overwhelmed) to 5 (steady)?";

#[cfg(test)]
mod tests;
