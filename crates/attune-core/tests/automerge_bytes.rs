//! An entry's document in Automerge's standard binary format: taken out of
//! Attune's saved bytes without loading, and loaded back into the same entry.

use attune_core::{EntryDoc, EntryId, EntryKind, NewEntry, Timestamp};

#[test]
fn the_standard_bytes_load_back_into_the_same_entry() {
    let now = Timestamp::new(1_796_204_552_000, 60);
    let new = NewEntry {
        kind: Some(EntryKind::MicroWin),
        body: "Paused before answering. 🌱".into(),
        people: ["Ana".to_string()].into(),
        ..Default::default()
    };
    let (doc, _) = EntryDoc::create(EntryId([7; 16]), b"laptop-actor-001", now, new).unwrap();
    let raw = EntryDoc::automerge_of_saved(&doc.save()).unwrap();
    assert!(
        automerge::Automerge::load(&raw).is_ok(),
        "plain Automerge loads it"
    );
    let back = EntryDoc::load_automerge(EntryId([7; 16]), &raw, b"desktop-actor-01").unwrap();
    assert_eq!(back.entry().unwrap(), doc.entry().unwrap());
    assert!(EntryDoc::automerge_of_saved(b"not saved bytes").is_err());
    assert!(EntryDoc::load_automerge(EntryId([7; 16]), b"nope", b"x").is_err());
}
