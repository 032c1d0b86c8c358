//! An entry a newer version of Attune wrote (a kind or field values this build
//! does not know) reads with markers, is never rewritten, and refuses edits.

use attune_core::schema::Setting;
use attune_core::{CoreError, Edit, EntryDoc, EntryId, EntryKind, FieldValue, NewEntry, Timestamp};
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ReadDoc, ScalarValue, TextEncoding, ROOT};

const ID: EntryId = EntryId([5; 16]);
const NOW: Timestamp = Timestamp {
    unix_ms: 1_764_633_600_000,
    offset_minutes: 60,
};

fn newer_device() -> Automerge {
    Automerge::new_with_encoding(TextEncoding::UnicodeCodePoint)
        .with_actor(ActorId::from(b"newer-device-001".as_slice()))
}

/// Every change of `doc`, as sync would ship them.
fn changes(doc: &Automerge) -> Vec<Vec<u8>> {
    doc.get_changes(&[])
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// An entry of kind 99, as a newer Attune would create it: a text field,
/// a choice field and a list this build has never heard of.
fn newer_kind_document() -> Automerge {
    let mut doc = newer_device();
    let mut tx = doc.transaction();
    tx.put(ROOT, "v", 2u64).unwrap();
    tx.put(ROOT, "id", ID.to_string()).unwrap();
    tx.put(ROOT, "kind", 99u64).unwrap();
    tx.put(ROOT, "created", NOW.unix_ms).unwrap();
    tx.put(ROOT, "created_tz", 60i64).unwrap();
    tx.put(ROOT, "edited", NOW.unix_ms).unwrap();
    tx.put(ROOT, "edited_tz", 60i64).unwrap();
    tx.put(ROOT, "deleted", false).unwrap();
    let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
    tx.splice_text(&body, 0, 0, "A dream about the sea.")
        .unwrap();
    tx.put_object(ROOT, "notes", ObjType::Text).unwrap();
    let tags = tx.put_object(ROOT, "tags", ObjType::Map).unwrap();
    tx.put(&tags, "night", true).unwrap();
    tx.put_object(ROOT, "people", ObjType::Map).unwrap();
    tx.put(ROOT, "steadiness", 4u64).unwrap();
    let fields = tx.put_object(ROOT, "fields", ObjType::Map).unwrap();
    let symbol = tx.put_object(&fields, "symbol", ObjType::Text).unwrap();
    tx.splice_text(&symbol, 0, 0, "waves").unwrap();
    tx.put_object(&fields, "left-empty", ObjType::Text).unwrap();
    tx.put(&fields, "lucidity", 3u64).unwrap();
    // A field of a kind this build knows, under a kind it does not: also unreadable.
    tx.put(&fields, "setting", 2u64).unwrap();
    let list = tx.put_object(&fields, "colours", ObjType::List).unwrap();
    tx.insert(&list, 0, "blue").unwrap();
    tx.commit();
    doc
}

#[test]
fn a_newer_kind_reads_with_a_marker_and_refuses_every_edit() {
    let newer = newer_kind_document();
    let mut doc = EntryDoc::empty(ID, b"older-device-001");
    let report = doc
        .apply_changes(changes(&newer).iter().map(Vec::as_slice))
        .unwrap();
    assert_eq!(report.applied, 1);

    let entry = doc.entry().expect("a newer kind must not fail to read");
    assert_eq!(entry.kind, EntryKind::Newer(99));
    assert_eq!(entry.kind.label(), "a newer kind of entry: update Attune");
    assert!(entry.has_newer_parts());
    // Everything every kind shares is there.
    assert_eq!(entry.body, "A dream about the sea.");
    assert_eq!(entry.created, NOW);
    assert!(entry.tags.contains("night"));
    assert_eq!(entry.steadiness, Some(4));
    assert_eq!(entry.summary(60), "A dream about the sea.");
    // Each field holding something is a marker; empty ones are absent.
    let keys: Vec<&str> = entry.fields.keys().map(String::as_str).collect();
    assert_eq!(keys, ["colours", "lucidity", "setting", "symbol"]);
    assert!(entry.fields.values().all(|v| *v == FieldValue::Newer));
    assert_eq!(FieldValue::Newer.display(), "a newer value: update Attune");

    // Every edit is refused, and the document is left as it was.
    let heads = doc.heads();
    for edit in [
        Edit::SetBody("rewritten".into()),
        Edit::AddTag("x".into()),
        Edit::SetKind(EntryKind::Note),
        Edit::Delete,
    ] {
        let err = doc.edit(NOW, std::slice::from_ref(&edit)).unwrap_err();
        assert!(
            matches!(err, CoreError::NewerKind { code: 99 }),
            "{edit:?}: {err}"
        );
        assert!(err.to_string().contains("update Attune"), "{err}");
    }
    assert_eq!(doc.heads(), heads);

    // Saved and loaded, it reads the same, and the newer device still sees its own values.
    let doc = EntryDoc::load(ID, &doc.save(), b"older-device-001").unwrap();
    assert_eq!(doc.entry().unwrap(), entry);
    let mut back = newer_device();
    back.apply_changes(
        doc.all_changes()
            .iter()
            .map(|c| automerge::Change::from_bytes(c.clone()).unwrap()),
    )
    .unwrap();
    assert_eq!(back.get_heads(), newer.get_heads());
    let (_, fields) = back.get(ROOT, "fields").unwrap().unwrap();
    assert_eq!(
        back.get(&fields, "lucidity").unwrap().unwrap().0,
        automerge::Value::Scalar(std::borrow::Cow::Owned(ScalarValue::Uint(3)))
    );
}

#[test]
fn newer_values_in_a_known_kind_read_as_markers_and_only_they_refuse_edits() {
    let mut new = NewEntry {
        kind: Some(EntryKind::Conversation),
        body: "Coffee with Ana.".into(),
        ..Default::default()
    };
    new.fields
        .insert("setting".into(), FieldValue::Setting(Setting::Work));
    new.fields.insert("connection".into(), FieldValue::Int(4));
    let (mut doc, created) = EntryDoc::create(ID, b"older-device-001", NOW, new).unwrap();

    // A newer device adds a choice this build does not know, a new field, and
    // changes a text field's type.
    let mut newer = newer_device();
    newer
        .apply_changes([automerge::Change::from_bytes(created.bytes.clone()).unwrap()])
        .unwrap();
    let mut tx = newer.transaction();
    let (_, fields) = tx.get(ROOT, "fields").unwrap().unwrap();
    tx.put(&fields, "setting", 42u64).unwrap();
    tx.put(&fields, "energy", 3i64).unwrap();
    tx.put(&fields, "relationship", 7i64).unwrap();
    tx.commit();
    let newest = newer.get_last_local_change().unwrap().raw_bytes().to_vec();
    doc.apply_changes([newest.as_slice()]).unwrap();

    let entry = doc.entry().unwrap();
    assert_eq!(entry.kind, EntryKind::Conversation);
    assert!(entry.has_newer_parts());
    assert_eq!(entry.fields.get("setting"), Some(&FieldValue::Newer));
    assert_eq!(entry.fields.get("energy"), Some(&FieldValue::Newer));
    assert_eq!(entry.fields.get("relationship"), Some(&FieldValue::Newer));
    assert_eq!(entry.fields.get("connection"), Some(&FieldValue::Int(4)));

    // Changing a newer value is refused, clearing it too.
    for edit in [
        Edit::SetField("setting".into(), Some(FieldValue::Setting(Setting::Online))),
        Edit::SetField("setting".into(), None),
        Edit::SetField("relationship".into(), Some(FieldValue::Text("Ana".into()))),
    ] {
        let err = doc.edit(NOW, std::slice::from_ref(&edit)).unwrap_err();
        assert!(
            matches!(err, CoreError::NewerField { .. }),
            "{edit:?}: {err}"
        );
    }
    // A field this build does not know cannot be named at all.
    assert!(matches!(
        doc.edit(NOW, &[Edit::SetField("energy".into(), None)]),
        Err(CoreError::UnknownField { .. })
    ));
    // Everything else can be edited, and leaves the newer values as they are.
    doc.edit(
        NOW,
        &[
            Edit::SetBody("Coffee with Ana, again.".into()),
            Edit::SetField("connection".into(), Some(FieldValue::Int(5))),
        ],
    )
    .unwrap()
    .expect("a change");
    let edited = doc.entry().unwrap();
    assert_eq!(edited.body, "Coffee with Ana, again.");
    assert_eq!(edited.fields.get("connection"), Some(&FieldValue::Int(5)));
    assert_eq!(edited.fields.get("setting"), Some(&FieldValue::Newer));
    assert_eq!(edited.fields.get("energy"), Some(&FieldValue::Newer));
}

#[test]
fn fields_left_over_from_a_change_of_kind_stay_hidden() {
    let mut new = NewEntry {
        kind: Some(EntryKind::Grounding),
        ..Default::default()
    };
    new.fields
        .insert("distress-before".into(), FieldValue::Int(6));
    let (mut doc, _) = EntryDoc::create(ID, b"older-device-001", NOW, new).unwrap();
    doc.edit(NOW, &[Edit::SetKind(EntryKind::Note)]).unwrap();
    let entry = doc.entry().unwrap();
    assert!(entry.fields.is_empty(), "{:?}", entry.fields);
    assert!(!entry.has_newer_parts());
}

#[test]
fn a_newer_kind_or_value_cannot_be_written() {
    let new = NewEntry {
        kind: Some(EntryKind::Newer(99)),
        ..Default::default()
    };
    assert!(matches!(
        EntryDoc::create(ID, b"older-device-001", NOW, new),
        Err(CoreError::NewerKind { code: 99 })
    ));
    let mut new = NewEntry {
        kind: Some(EntryKind::Conversation),
        ..Default::default()
    };
    new.fields.insert("setting".into(), FieldValue::Newer);
    assert!(matches!(
        EntryDoc::create(ID, b"older-device-001", NOW, new),
        Err(CoreError::InvalidValue { .. })
    ));
    let (mut doc, _) = EntryDoc::create(ID, b"older-device-001", NOW, NewEntry::default()).unwrap();
    assert!(matches!(
        doc.edit(NOW, &[Edit::SetKind(EntryKind::Newer(99))]),
        Err(CoreError::NewerKind { code: 99 })
    ));
}
