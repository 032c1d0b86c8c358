use super::*;
use crate::CoreError;

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
        let back: EntryKind = postcard::from_bytes(&postcard::to_allocvec(&read).unwrap()).unwrap();
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
