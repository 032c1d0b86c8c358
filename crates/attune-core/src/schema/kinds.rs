//! Per-kind tables: the fields, intro and body prompt of each entry kind.

use super::{ChoiceSet, EntryKind, FieldSpec, FieldType};
use crate::CoreError;

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
