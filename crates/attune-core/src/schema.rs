//! Entry kinds, their fields, and the guided questions asked for each.
//!
//! Values are stored as numbers and stable keys, never as display labels, so
//! a label can be reworded without touching a single saved entry.

use crate::CoreError;

/// Current schema version written into every new entry.
pub const SCHEMA_VERSION: u64 = 1;

/// Serde for the choice enums: the stable code in binary formats, the stable key in text ones.
///
/// Binary formats (postcard: month views, snapshots) get [`code`](EntryKind::code),
/// never the declaration order, so reordering or inserting variants cannot
/// relabel saved data. Human-readable formats (JSON) get
/// [`key`](EntryKind::key), and also accept the code.
mod choice_serde {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::de::{self, Deserializer, Visitor};

    /// What the generated `Deserialize` impls need of a choice enum.
    pub(super) trait Choice: Sized {
        /// What the enum is called in error messages.
        const NAME: &'static str;
        /// Every key this build knows, for error messages.
        const KEYS: &'static [&'static str];
        /// The value for a stored code, if this build can represent it.
        fn from_stored_code(code: u64) -> Option<Self>;
        /// The value for a stable key, or for a name older builds wrote in text formats.
        fn from_stored_key(key: &str) -> Option<Self>;
    }

    struct ChoiceVisitor<T>(PhantomData<T>);

    impl<T: Choice> Visitor<'_> for ChoiceVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {} key or code", T::NAME)
        }

        fn visit_u64<E: de::Error>(self, code: u64) -> Result<T, E> {
            T::from_stored_code(code)
                .ok_or_else(|| E::custom(format_args!("unknown {} code {code}", T::NAME)))
        }

        fn visit_i64<E: de::Error>(self, code: i64) -> Result<T, E> {
            let code = u64::try_from(code)
                .map_err(|_| E::custom(format_args!("unknown {} code {code}", T::NAME)))?;
            self.visit_u64(code)
        }

        fn visit_str<E: de::Error>(self, key: &str) -> Result<T, E> {
            T::from_stored_key(key).ok_or_else(|| E::unknown_variant(key, T::KEYS))
        }
    }

    pub(super) fn deserialize<'de, T: Choice, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(ChoiceVisitor(PhantomData))
        } else {
            deserializer.deserialize_u64(ChoiceVisitor(PhantomData))
        }
    }
}

/// One enum of stable choices: `Variant = code, "key", "label";`.
///
/// The code is what the journal stores and what binary formats write; the key
/// is the stable machine name (`--json`, the command line); the label is for
/// people and can be reworded freely. `legacy "name"` is the name serde's
/// derive used to write in JSON where it differs from the key (still read).
/// With `, newer Variant = "label"` the enum also has `Variant(code)` for codes
/// a newer version of Attune wrote, so reading never fails on them.
macro_rules! choice_enum {
    (@from_stored $name:ident, $code:expr) => {
        $name::from_code($code)
    };
    (@from_stored $name:ident, $code:expr, $newer:ident) => {
        Some($name::from_code($code).unwrap_or($name::$newer($code)))
    };
    (
        $(#[$meta:meta])*
        $name:ident $(, newer $newer:ident = $newer_label:literal)? {
            $($variant:ident = $code:literal, $key:literal, $label:literal $(, legacy $legacy:literal)?;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = $label] $variant,)+
            $(
                #[doc = concat!("Written by a newer version of Attune: its stored code (shown as \"", $newer_label, "\").")]
                ///
                /// Never in `ALL` and never parsed from input: this build can
                /// show such a value but not write it.
                $newer(u64),
            )?
        }

        impl $name {
            /// Every value this build knows, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The number stored in the journal.
            pub fn code(self) -> u64 {
                match self {
                    $($name::$variant => $code,)+
                    $($name::$newer(code) => code,)?
                }
            }

            /// The value for a stored number, if this build knows it.
            pub fn from_code(code: u64) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The stable machine key (used in `--json` output and on the command line).
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key,)+
                    $($name::$newer(_) => "newer",)?
                }
            }

            /// The words shown to people.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                    $($name::$newer(_) => $newer_label,)?
                }
            }

            /// Parse a key, a label or a stored number, ignoring case (values this build knows only).
            pub fn parse(input: &str) -> Option<Self> {
                let wanted = input.trim().to_lowercase();
                Self::ALL.iter().copied().find(|v| {
                    v.key() == wanted || v.label().to_lowercase() == wanted || v.code().to_string() == wanted
                })
            }
        }

        impl choice_serde::Choice for $name {
            const NAME: &'static str = stringify!($name);
            const KEYS: &'static [&'static str] = &[$($key),+];

            fn from_stored_code(code: u64) -> Option<Self> {
                choice_enum!(@from_stored $name, code $(, $newer)?)
            }

            fn from_stored_key(key: &str) -> Option<Self> {
                match key {
                    $($key $(| $legacy)? => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if !serializer.is_human_readable() {
                    return serializer.serialize_u64(self.code());
                }
                match self {
                    $($name::$newer(code) => serializer.serialize_u64(*code),)?
                    known => serializer.serialize_str(known.key()),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                choice_serde::deserialize(deserializer)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

choice_enum! {
    /// What kind of moment an entry records.
    EntryKind, newer Newer = "a newer kind of entry: update Attune" {
        Conversation = 1, "conversation", "conversation";
        SelfCompassion = 2, "self-compassion", "self-compassion";
        Grounding = 3, "grounding", "grounding";
        CheckIn = 4, "check-in", "check-in";
        Session = 5, "session", "session";
        Listening = 6, "listening", "listening";
        Setback = 7, "setback", "setback";
        MicroWin = 8, "micro-win", "micro-win";
        Values = 9, "values", "values";
        Reframe = 10, "reframe", "reframe";
        Note = 11, "note", "note";
    }
}

choice_enum! {
    /// A three-way answer for reflective questions.
    Answer {
        Yes = 1, "yes", "yes";
        Partly = 2, "partly", "partly";
        No = 3, "no", "no";
    }
}

choice_enum! {
    /// Where a conversation happened.
    Setting {
        OneOnOne = 1, "one-on-one", "one-on-one";
        SmallGathering = 2, "small-gathering", "small gathering";
        Group = 3, "group", "group";
        Work = 4, "work", "work";
        Online = 5, "online", "online";
    }
}

choice_enum! {
    /// A grounding technique.
    Technique {
        Senses54321 = 1, "5-4-3-2-1", "5-4-3-2-1 senses", legacy "senses54321";
        BodySensations = 2, "body-sensations", "naming body sensations";
        Surroundings = 3, "surroundings", "describing surroundings";
        Breathing = 4, "breathing", "breathing";
        Other = 5, "other", "something else";
    }
}

choice_enum! {
    /// How a therapy or support session was held.
    SessionFormat {
        Individual = 1, "individual", "individual";
        Group = 2, "group", "group";
        Peer = 3, "peer", "peer support";
    }
}

choice_enum! {
    /// The therapeutic approach of a session.
    Modality {
        Narrative = 1, "narrative", "narrative";
        Emdr = 2, "emdr", "EMDR";
        Other = 3, "other", "other";
    }
}

choice_enum! {
    /// The shape of a small victory.
    WinType {
        ResistedJudgment = 1, "resisted-judgment", "resisted judgment";
        Paused = 2, "paused", "paused before responding";
        ListenedFully = 3, "listened-fully", "listened without relating it to my own pain";
        ReachedOut = 4, "reached-out", "reached out to someone";
        Other = 5, "other", "something else";
    }
}

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

const fn text(key: &'static str, prompt: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        ty: FieldType::Text,
        prompt,
    }
}
const fn int(key: &'static str, min: i64, max: i64, prompt: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        ty: FieldType::Int { min, max },
        prompt,
    }
}
const fn choice(key: &'static str, set: ChoiceSet, prompt: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        ty: FieldType::Choice(set),
        prompt,
    }
}

const CONVERSATION: &[FieldSpec] = &[
    text(
        "relationship",
        "Who was it, to you (friend, sister, colleague…)?",
    ),
    choice("setting", ChoiceSet::Setting, "Where did it happen?"),
    int(
        "connection",
        1,
        5,
        "How did it feel, from 1 (out of sync) to 5 (connected)?",
    ),
    choice("felt-heard", ChoiceSet::Answer, "Did you feel heard?"),
    choice(
        "showed-interest",
        ChoiceSet::Answer,
        "Did your responses reflect genuine interest?",
    ),
    choice(
        "managed-stress",
        ChoiceSet::Answer,
        "Did you manage stress without shutting down?",
    ),
    text("did-differently", "What did you do differently this time?"),
    text("grounding-used", "Did you use any grounding? Which?"),
];
const SELF_COMPASSION: &[FieldSpec] = &[
    text("moment", "What was the hard moment?"),
    text(
        "friend-words",
        "What would you say to a friend who went through this?",
    ),
    text("common-humanity", "A reminder that others feel this too:"),
];
const GROUNDING: &[FieldSpec] = &[
    choice(
        "technique",
        ChoiceSet::Technique,
        "Which technique did you use?",
    ),
    int(
        "distress-before",
        0,
        10,
        "Distress before, from 0 (calm) to 10:",
    ),
    int(
        "distress-after",
        0,
        10,
        "Distress after, from 0 (calm) to 10:",
    ),
];
const CHECK_IN: &[FieldSpec] = &[
    FieldSpec {
        key: "sleep-hours",
        ty: FieldType::Real {
            min: 0.0,
            max: 24.0,
        },
        prompt: "How many hours did you sleep?",
    },
    int(
        "sleep-quality",
        1,
        5,
        "How was the sleep, from 1 (poor) to 5 (restful)?",
    ),
    choice(
        "regular-meals",
        ChoiceSet::Answer,
        "Did you have regular meals?",
    ),
    int("movement-minutes", 0, 1440, "Minutes of movement today:"),
    int(
        "mindfulness-minutes",
        0,
        1440,
        "Minutes of mindfulness today:",
    ),
    text("mood-word", "One word for your mood:"),
];
const SESSION: &[FieldSpec] = &[
    choice(
        "format",
        ChoiceSet::SessionFormat,
        "What kind of session was it?",
    ),
    choice("modality", ChoiceSet::Modality, "Which approach?"),
    text("noticed", "What did you notice?"),
    text("practise-next", "What do you want to practise next?"),
];
const LISTENING: &[FieldSpec] = &[
    choice(
        "reflected-back",
        ChoiceSet::Answer,
        "Did you reflect back what you heard?",
    ),
    choice(
        "asked-clarifying",
        ChoiceSet::Answer,
        "Did you ask clarifying questions?",
    ),
    choice(
        "urge-to-fix",
        ChoiceSet::Answer,
        "Did you notice an urge to fix things?",
    ),
];
const SETBACK: &[FieldSpec] = &[
    text("what-happened", "What happened?"),
    text("what-helped", "What helped you steady?"),
    int(
        "minutes-to-steady",
        0,
        60 * 24 * 30,
        "Roughly how many minutes until you felt steady again?",
    ),
];
const MICRO_WIN: &[FieldSpec] = &[
    choice("win-type", ChoiceSet::WinType, "What kind of win was it?"),
    text("what-i-did", "What did you do?"),
];
const VALUES: &[FieldSpec] = &[
    text("question", "What question did you explore?"),
    text("what-matters", "What matters to you here?"),
    text("boundaries", "How does it shape your boundaries?"),
];
const REFRAME: &[FieldSpec] = &[
    text("old-story", "The old story:"),
    text("new-framing", "The new framing:"),
    int("charge-before", 0, 10, "Its charge before, from 0 to 10:"),
    int("charge-after", 0, 10, "Its charge after, from 0 to 10:"),
];

impl EntryKind {
    /// The kind-specific fields, in the order they are asked (none for a [`EntryKind::Newer`] kind).
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            EntryKind::Conversation => CONVERSATION,
            EntryKind::SelfCompassion => SELF_COMPASSION,
            EntryKind::Grounding => GROUNDING,
            EntryKind::CheckIn => CHECK_IN,
            EntryKind::Session => SESSION,
            EntryKind::Listening => LISTENING,
            EntryKind::Setback => SETBACK,
            EntryKind::MicroWin => MICRO_WIN,
            EntryKind::Values => VALUES,
            EntryKind::Reframe => REFRAME,
            EntryKind::Note | EntryKind::Newer(_) => &[],
        }
    }

    /// The field spec for `key`, or a clear error naming the fields this kind has.
    pub fn field(self, key: &str) -> Result<&'static FieldSpec, CoreError> {
        if let EntryKind::Newer(code) = self {
            return Err(CoreError::NewerKind { code });
        }
        self.fields()
            .iter()
            .find(|f| f.key == key)
            .ok_or_else(|| CoreError::UnknownField {
                kind: self,
                field: key.to_string(),
                known: if self.fields().is_empty() {
                    "(none: use the body, notes, tags and people)".to_string()
                } else {
                    self.fields()
                        .iter()
                        .map(|f| f.key)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })
    }

    /// A short, warm line introducing the guided flow.
    pub fn intro(self) -> &'static str {
        match self {
            EntryKind::Conversation => {
                "A conversation or social moment. Connected or out of sync, both are worth noting."
            }
            EntryKind::SelfCompassion => "A kind note to yourself after a hard moment.",
            EntryKind::Grounding => "A grounding exercise: what you did and how it felt.",
            EntryKind::CheckIn => "Your daily check-in: sleep, meals, movement, mindfulness.",
            EntryKind::Session => "A therapy, group or peer-support session.",
            EntryKind::Listening => "A moment of practising active listening.",
            EntryKind::Setback => {
                "A hard moment. Healing is not linear; writing it down is already care."
            }
            EntryKind::MicroWin => "A small victory. Small is not nothing.",
            EntryKind::Values => "Meaning and belonging: what matters to you.",
            EntryKind::Reframe => "Reworking the charge of a memory.",
            EntryKind::Note => "Anything else on your mind.",
            EntryKind::Newer(_) => {
                "A kind of entry added by a newer version of Attune: update Attune to see all of it and to edit it."
            }
        }
    }

    /// The question that invites the free-text body.
    pub fn body_prompt(self) -> &'static str {
        match self {
            EntryKind::Conversation => "Anything else about the conversation?",
            EntryKind::Setback => "Anything else you want to say about it?",
            EntryKind::Note => "What's on your mind?",
            _ => "Anything else you want to write?",
        }
    }
}

/// Whether `key` is a field of any kind this build knows (so not one a newer Attune added).
pub(crate) fn is_field_of_any_kind(key: &str) -> bool {
    EntryKind::ALL
        .iter()
        .any(|kind| kind.fields().iter().any(|f| f.key == key))
}

/// The guided question for the entry-wide 1–5 steadiness.
pub const STEADINESS_PROMPT: &str = "How steady did you feel, from 1 (overwhelmed) to 5 (steady)?";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_codes_are_unique_and_parse_back() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::from_code(kind.code()), Some(*kind));
            assert_eq!(EntryKind::parse(kind.key()), Some(*kind));
            let mut keys: Vec<_> = kind.fields().iter().map(|f| f.key).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), kind.fields().len(), "duplicate field in {kind}");
        }
        assert_eq!(
            Setting::parse("Small Gathering"),
            Some(Setting::SmallGathering)
        );
        assert_eq!(Answer::parse("2"), Some(Answer::Partly));
        assert_eq!(Technique::parse("nonsense"), None);
    }

    #[test]
    fn a_field_key_shared_by_kinds_has_one_type() {
        // Fields of another kind are hidden as left over from a change of kind;
        // that is only sound if a key means the same type in every kind.
        for a in EntryKind::ALL {
            for b in EntryKind::ALL {
                for fa in a.fields() {
                    if let Some(fb) = b.fields().iter().find(|f| f.key == fa.key) {
                        assert_eq!(fa.ty, fb.ty, "{a}.{} and {b}.{}", fa.key, fb.key);
                    }
                }
            }
        }
        assert!(is_field_of_any_kind("technique"));
        assert!(!is_field_of_any_kind("mood-colour"));
    }

    #[test]
    fn newer_kinds_have_no_fields_and_are_never_parsed() {
        let newer = EntryKind::Newer(99);
        assert_eq!(newer.code(), 99);
        assert_eq!(newer.key(), "newer");
        assert_eq!(newer.to_string(), "a newer kind of entry: update Attune");
        assert!(newer.fields().is_empty());
        assert!(matches!(
            newer.field("anything"),
            Err(CoreError::NewerKind { code: 99 })
        ));
        assert!(!EntryKind::ALL.contains(&newer));
        assert_eq!(EntryKind::from_code(99), None);
        assert_eq!(EntryKind::parse("99"), None);
        assert_eq!(EntryKind::parse("newer"), None);
    }

    /// Test-only copies of the choice enums, made with the same macro.
    #[allow(dead_code)] // Only their serde and codes are exercised.
    mod copies {
        use super::super::choice_serde;

        // The same kinds as `EntryKind`, declared in reverse order with the same codes.
        choice_enum! {
            /// `EntryKind` reordered.
            ReorderedKind, newer Newer = "newer" {
                Note = 11, "note", "note";
                Reframe = 10, "reframe", "reframe";
                Values = 9, "values", "values";
                MicroWin = 8, "micro-win", "micro-win";
                Setback = 7, "setback", "setback";
                Listening = 6, "listening", "listening";
                Session = 5, "session", "session";
                CheckIn = 4, "check-in", "check-in";
                Grounding = 3, "grounding", "grounding";
                SelfCompassion = 2, "self-compassion", "self-compassion";
                Conversation = 1, "conversation", "conversation";
            }
        }

        // The same techniques as `Technique`, with a value inserted mid-list.
        choice_enum! {
            /// `Technique` with an insertion.
            InsertedTechnique {
                Senses54321 = 1, "5-4-3-2-1", "5-4-3-2-1 senses";
                Tapping = 6, "tapping", "tapping";
                BodySensations = 2, "body-sensations", "naming body sensations";
                Surroundings = 3, "surroundings", "describing surroundings";
                Breathing = 4, "breathing", "breathing";
                Other = 5, "other", "something else";
            }
        }

        // An older build's `EntryKind`: it knows only the first three kinds.
        choice_enum! {
            /// `EntryKind` of an older build.
            OlderKind, newer Newer = "a newer kind of entry: update Attune" {
                Conversation = 1, "conversation", "conversation";
                SelfCompassion = 2, "self-compassion", "self-compassion";
                Grounding = 3, "grounding", "grounding";
            }
        }
    }
    use copies::{InsertedTechnique, OlderKind, ReorderedKind};

    #[test]
    fn a_reordered_enum_reads_what_the_original_wrote() {
        for kind in EntryKind::ALL {
            let bytes = postcard::to_allocvec(kind).unwrap();
            let read: ReorderedKind = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(read.key(), kind.key(), "{kind}");
            assert_eq!(read.code(), kind.code(), "{kind}");
            // And back.
            let back: EntryKind =
                postcard::from_bytes(&postcard::to_allocvec(&read).unwrap()).unwrap();
            assert_eq!(back, *kind);
        }
        for technique in Technique::ALL {
            let bytes = postcard::to_allocvec(technique).unwrap();
            let read: InsertedTechnique = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(read.key(), technique.key());
        }
        // What the inserted value writes is refused by the build without it, not misread.
        let tapping = postcard::to_allocvec(&InsertedTechnique::Tapping).unwrap();
        assert!(postcard::from_bytes::<Technique>(&tapping).is_err());
    }

    #[test]
    fn an_older_build_keeps_a_newer_kind_by_code_and_gives_it_back() {
        let written = postcard::to_allocvec(&EntryKind::CheckIn).unwrap();
        let older: OlderKind = postcard::from_bytes(&written).unwrap();
        assert_eq!(older, OlderKind::Newer(4));
        assert_eq!(older.label(), "a newer kind of entry: update Attune");
        // What the older build cached reads as the real kind once Attune is updated.
        let cached = postcard::to_allocvec(&older).unwrap();
        assert_eq!(cached, written);
        assert_eq!(
            postcard::from_bytes::<EntryKind>(&cached).unwrap(),
            EntryKind::CheckIn
        );
    }

    #[test]
    fn unknown_field_error_lists_the_known_ones() {
        let err = EntryKind::Grounding.field("mood").unwrap_err().to_string();
        assert!(err.contains("technique"), "{err}");
    }
}
