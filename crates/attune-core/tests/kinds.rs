//! Every kind round-trips through create, edit and read with all its fields.

use attune_core::schema::ChoiceSet;
use attune_core::{
    Edit, EntryDoc, EntryId, EntryKind, FieldType, FieldValue, NewEntry, Query, Timestamp,
};

const ACTOR: &[u8] = b"test-device-0001";

/// A valid sample value for every field type, distinct per `variant`.
fn sample(ty: FieldType, key: &str, variant: i64) -> FieldValue {
    match ty {
        FieldType::Text => FieldValue::Text(format!("{key} text {variant} — ünïcode ✓")),
        FieldType::Int { min, max } => FieldValue::Int((min + variant).min(max)),
        FieldType::Real { min, max } => FieldValue::Real((min + 0.5 + variant as f64).min(max)),
        FieldType::Choice(set) => {
            let options = set.options();
            let key = options[(variant as usize) % options.len()].0;
            FieldValue::parse(
                &attune_core::FieldSpec {
                    key: "x",
                    ty: FieldType::Choice(set),
                    prompt: "",
                },
                key,
            )
            .unwrap()
        }
    }
}

#[test]
fn every_kind_round_trips_with_all_fields() {
    let t0 = Timestamp::new(1_764_633_600_000, -300);
    for (i, kind) in EntryKind::ALL.iter().copied().enumerate() {
        let id = EntryId([i as u8 + 1; 16]);
        let mut new = NewEntry {
            kind: Some(kind),
            body: format!("body of {kind}"),
            notes: "a note".into(),
            steadiness: Some(3),
            ..Default::default()
        };
        new.tags.insert("evening".into());
        new.people.insert("Sam".into());
        for spec in kind.fields() {
            new.fields
                .insert(spec.key.to_string(), sample(spec.ty, spec.key, 1));
        }
        let (doc, change) = EntryDoc::create(id, ACTOR, t0, new.clone()).unwrap();
        assert_eq!(change.entry, id);
        let entry = doc.entry().unwrap();
        assert_eq!(entry.kind, kind);
        assert_eq!(entry.created, t0);
        assert_eq!(entry.body, new.body);
        assert_eq!(entry.fields, new.fields, "create {kind}");
        assert_eq!(entry.schema_version, 1);

        // Survives save/load.
        let mut doc = EntryDoc::load(id, &doc.save(), ACTOR).unwrap();
        assert_eq!(doc.entry().unwrap(), entry);

        // Edit every field to another value, in one action.
        let t1 = Timestamp::new(t0.unix_ms + 60_000, -300);
        let mut edits: Vec<Edit> = kind
            .fields()
            .iter()
            .map(|spec| Edit::SetField(spec.key.to_string(), Some(sample(spec.ty, spec.key, 2))))
            .collect();
        edits.push(Edit::SetSteadiness(Some(5)));
        edits.push(Edit::AddTag("hopeful".into()));
        edits.push(Edit::RemovePerson("Sam".into()));
        edits.push(Edit::SetBody(format!("edited body of {kind}")));
        doc.edit(t1, &edits).unwrap().expect("a change");
        let edited = doc.entry().unwrap();
        for spec in kind.fields() {
            assert_eq!(
                edited.fields.get(spec.key),
                Some(&sample(spec.ty, spec.key, 2)),
                "{kind}.{}",
                spec.key
            );
        }
        assert_eq!(edited.steadiness, Some(5));
        assert!(edited.tags.contains("hopeful") && edited.tags.contains("evening"));
        assert!(edited.people.is_empty());
        assert_eq!(edited.edited, t1);
        assert_eq!(edited.created, t0);

        // Clearing fields works too.
        let clears: Vec<Edit> = kind
            .fields()
            .iter()
            .map(|s| Edit::SetField(s.key.into(), None))
            .collect();
        if !clears.is_empty() {
            doc.edit(t1, &clears).unwrap();
            assert!(doc.entry().unwrap().fields.is_empty(), "{kind} cleared");
        }
    }
}

#[test]
fn invalid_values_are_refused_with_a_clear_message() {
    let t = Timestamp::new(0, 0);
    let mut new = NewEntry {
        kind: Some(EntryKind::Grounding),
        ..Default::default()
    };
    new.fields
        .insert("distress-before".into(), FieldValue::Int(11));
    let err = EntryDoc::create(EntryId([9; 16]), ACTOR, t, new)
        .unwrap_err()
        .to_string();
    assert!(err.contains("0 to 10"), "{err}");

    let mut new = NewEntry {
        kind: Some(EntryKind::Note),
        ..Default::default()
    };
    new.fields.insert("setting".into(), FieldValue::Int(1));
    assert!(EntryDoc::create(EntryId([9; 16]), ACTOR, t, new).is_err());

    let spec = EntryKind::Conversation.field("setting").unwrap();
    let err = FieldValue::parse(spec, "beach").unwrap_err().to_string();
    assert!(err.contains("one-on-one"), "{err}");
    assert!(matches!(spec.ty, FieldType::Choice(ChoiceSet::Setting)));
}

#[test]
fn delete_is_a_restorable_tombstone_that_keeps_concurrent_edits() {
    let t = Timestamp::new(1_000, 0);
    let id = EntryId([7; 16]);
    let (mut a, c0) = EntryDoc::create(
        id,
        b"device-a-0000001",
        t,
        NewEntry {
            body: "start".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut b = EntryDoc::empty(id, b"device-b-0000001");
    b.apply_changes([c0.bytes.as_slice()]).unwrap();

    let del = a.edit(t, &[Edit::Delete]).unwrap().unwrap();
    let ins = b
        .edit(
            t,
            &[Edit::SpliceBody {
                pos: 5,
                delete: 0,
                insert: " again".into(),
            }],
        )
        .unwrap()
        .unwrap();
    a.apply_changes([ins.bytes.as_slice()]).unwrap();
    b.apply_changes([del.bytes.as_slice()]).unwrap();
    let (ea, eb) = (a.entry().unwrap(), b.entry().unwrap());
    assert_eq!(ea, eb);
    assert!(ea.deleted, "the delete hides the entry on both");
    assert_eq!(ea.body, "start again", "the concurrent edit is kept");
    assert!(attune_core::list([&ea], &Query::default()).is_empty());
    assert_eq!(
        attune_core::list(
            [&ea],
            &Query {
                deleted: true,
                ..Default::default()
            }
        )
        .len(),
        1
    );

    a.edit(t, &[Edit::Restore]).unwrap();
    let restored = a.entry().unwrap();
    assert!(!restored.deleted);
    assert_eq!(restored.body, "start again");
}

#[test]
fn changes_apply_in_any_order_and_duplicates_are_ignored() {
    let t = Timestamp::new(1_000, 0);
    let id = EntryId([3; 16]);
    let (mut a, c0) = EntryDoc::create(id, b"device-a-0000001", t, NewEntry::default()).unwrap();
    let c1 = a.edit(t, &[Edit::SetBody("one".into())]).unwrap().unwrap();
    let c2 = a
        .edit(t, &[Edit::SetBody("one two".into())])
        .unwrap()
        .unwrap();

    let mut b = EntryDoc::empty(id, b"device-b-0000001");
    let r = b
        .apply_changes([c2.bytes.as_slice(), c1.bytes.as_slice()])
        .unwrap();
    assert_eq!(r.waiting, 2);
    assert!(
        b.entry().is_err(),
        "nothing readable before the first change"
    );
    // The waiting changes survive a save/load.
    let mut b = EntryDoc::load(id, &b.save(), b"device-b-0000001").unwrap();
    assert_eq!(b.waiting(), 2);
    let r = b
        .apply_changes([c0.bytes.as_slice(), c1.bytes.as_slice()])
        .unwrap();
    assert_eq!(r.waiting, 0);
    assert_eq!(b.entry().unwrap(), a.entry().unwrap());
    let r = b
        .apply_changes([c0.bytes.as_slice(), c2.bytes.as_slice()])
        .unwrap();
    assert_eq!((r.applied, r.duplicates), (0, 2));
    assert!(b.apply_changes([b"not a change".as_slice()]).is_err());
}

#[test]
fn list_filters_and_search_finds_words_case_insensitively() {
    let mut entries = Vec::new();
    for (i, (kind, body, tag, person)) in [
        (
            EntryKind::Conversation,
            "Coffee with Ana felt warm",
            "friends",
            "Ana",
        ),
        (
            EntryKind::Setback,
            "A rough evening at work",
            "work",
            "Boss",
        ),
        (
            EntryKind::MicroWin,
            "I paused before answering Ana",
            "friends",
            "Ana",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut new = NewEntry {
            kind: Some(kind),
            body: body.into(),
            ..Default::default()
        };
        new.tags.insert(tag.into());
        new.people.insert(person.into());
        let t = Timestamp::new(1_000_000 * (i as i64 + 1), 0);
        entries.push(
            EntryDoc::create(EntryId([i as u8; 16]), ACTOR, t, new)
                .unwrap()
                .0
                .entry()
                .unwrap(),
        );
    }
    let by_person = attune_core::list(
        &entries,
        &Query {
            person: Some("ana".into()),
            ..Default::default()
        },
    );
    assert_eq!(by_person.len(), 2);
    assert_eq!(by_person[0].kind, EntryKind::MicroWin, "newest first");
    assert_eq!(
        attune_core::list(
            &entries,
            &Query {
                kind: Some(EntryKind::Setback),
                ..Default::default()
            }
        )
        .len(),
        1
    );
    assert_eq!(
        attune_core::list(
            &entries,
            &Query {
                tag: Some("FRIENDS".into()),
                ..Default::default()
            }
        )
        .len(),
        2
    );
    let range = Query {
        from_ms: Some(1_500_000),
        until_ms: Some(2_500_000),
        ..Default::default()
    };
    assert_eq!(attune_core::list(&entries, &range).len(), 1);

    let hits = attune_core::search(&entries, "ANA warm", &Query::default());
    assert_eq!(hits.len(), 1);
    assert!(hits[0].snippet.contains("Ana"), "{}", hits[0].snippet);
    assert_eq!(
        attune_core::search(&entries, "work", &Query::default()).len(),
        1,
        "tags are searched"
    );
    assert!(attune_core::search(&entries, "nowhere", &Query::default()).is_empty());
}
