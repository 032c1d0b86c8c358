//! A journal that receives an entry of a kind a newer Attune added lists it
//! as "a newer kind of entry: update Attune", keeps it through reopening,
//! refuses to edit it, and leaves its document untouched.

use attune_client::{InitOptions, Store, StoreError};
use attune_core::{Edit, EntryChange, EntryId, EntryKind, FieldValue, Query, Timestamp};
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, TextEncoding, ROOT};

const ID: EntryId = EntryId([7; 16]);
const CREATED_MS: i64 = 1_780_000_000_000;

/// The changes of an entry of kind 99 with a field this build never heard of.
fn newer_entry() -> Vec<EntryChange> {
    let mut doc = Automerge::new_with_encoding(TextEncoding::UnicodeCodePoint)
        .with_actor(ActorId::from(b"newer-device-001".as_slice()));
    let mut tx = doc.transaction();
    tx.put(ROOT, "v", 2u64).unwrap();
    tx.put(ROOT, "id", ID.to_string()).unwrap();
    tx.put(ROOT, "kind", 99u64).unwrap();
    tx.put(ROOT, "created", CREATED_MS).unwrap();
    tx.put(ROOT, "created_tz", 0i64).unwrap();
    tx.put(ROOT, "edited", CREATED_MS).unwrap();
    tx.put(ROOT, "edited_tz", 0i64).unwrap();
    tx.put(ROOT, "deleted", false).unwrap();
    let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
    tx.splice_text(&body, 0, 0, "A dream about the sea.")
        .unwrap();
    tx.put_object(ROOT, "notes", ObjType::Text).unwrap();
    tx.put_object(ROOT, "tags", ObjType::Map).unwrap();
    tx.put_object(ROOT, "people", ObjType::Map).unwrap();
    let fields = tx.put_object(ROOT, "fields", ObjType::Map).unwrap();
    tx.put(&fields, "lucidity", 3u64).unwrap();
    tx.commit();
    doc.get_changes(&[])
        .into_iter()
        .map(|c| EntryChange {
            entry: ID,
            bytes: c.raw_bytes().to_vec(),
        })
        .collect()
}

fn reopen(store: Store) -> Store {
    let dir = store.dir().to_path_buf();
    drop(store);
    Store::open(&dir, &mut || Err(StoreError::PassphraseRequired)).expect("open")
}

#[test]
fn an_entry_of_a_newer_kind_is_listed_kept_and_never_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::init(&tmp.path().join("j"), InitOptions::default()).unwrap();
    store
        .apply_changes(newer_entry())
        .expect("a newer kind must not fail to apply");

    for round in 0..2 {
        let listed = store.list(&Query::default()).unwrap();
        assert_eq!(listed.len(), 1, "round {round}");
        let entry = &listed[0];
        assert_eq!(entry.kind, EntryKind::Newer(99));
        assert_eq!(entry.kind.label(), "a newer kind of entry: update Attune");
        assert_eq!(entry.body, "A dream about the sea.");
        assert_eq!(entry.fields.get("lucidity"), Some(&FieldValue::Newer));
        store = reopen(store);
    }

    let before = store.export_docs().unwrap();
    let err = store
        .edit(
            ID,
            Timestamp::new(CREATED_MS + 1, 0),
            &[Edit::SetBody("x".into())],
        )
        .unwrap_err();
    assert!(err.to_string().contains("update Attune"), "{err}");
    assert_eq!(
        store.export_docs().unwrap(),
        before,
        "the document is untouched"
    );
    assert!(store.check().unwrap().is_empty());
}
