//! Packs against the layout before them (ADR 0001, one file per entry) and
//! against a move a crash interrupted.

use std::fs;

use attune_core::{Edit, NewEntry, Query, Timestamp};

use super::super::{InitOptions, Store};
use crate::dir::layout::MANIFEST_FILE;
use crate::dir::sealed::Purpose;

fn t(i: i64) -> Timestamp {
    Timestamp::new(1_767_225_600_000 + i * 3_600_000, 60)
}

fn open(dir: &std::path::Path) -> Store {
    Store::open(dir, &mut || panic!("no passphrase")).expect("open")
}

fn bodies(store: &mut Store) -> Vec<String> {
    let mut b: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|e| e.body)
        .collect();
    b.sort();
    b
}

fn files_with(dir: &std::path::Path, ext: &str) -> usize {
    fs::read_dir(dir.join("entries"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .count()
}

#[test]
fn a_journal_of_one_file_per_entry_moves_into_packs_and_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = Store::init(&dir, InitOptions::default()).unwrap();
    for i in 0..60 {
        let new = NewEntry {
            body: format!("entry {i}"),
            ..Default::default()
        };
        store.create(t(i), new).unwrap();
    }
    let before = bodies(&mut store);
    // Back to ADR 0001: each document in `entries/<id>.am`, no packs, no manifest.
    for id in store.entry_ids().unwrap() {
        let saved = store.load_doc(id).unwrap().unwrap().save();
        let path = store.packs.own_path(id);
        store
            .sealer
            .write(&path, Purpose::Entry, &id.to_string(), &saved)
            .unwrap();
    }
    drop(store);
    for e in fs::read_dir(dir.join("entries")).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "pack") {
            fs::remove_file(e.path()).unwrap();
        }
    }
    fs::remove_file(dir.join(MANIFEST_FILE)).unwrap();
    assert_eq!(files_with(&dir, "am"), 60);

    let mut store = open(&dir);
    let warnings = store.take_warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("moved 60 entries into packs")),
        "{warnings:?}"
    );
    assert_eq!(files_with(&dir, "am"), 0);
    assert!(files_with(&dir, "pack") > 0);
    assert_eq!(bodies(&mut store), before);
    assert_eq!(store.check().unwrap(), vec![]);
    drop(store);
    let mut store = open(&dir);
    assert!(store.take_warnings().is_empty(), "moved once");
}

#[test]
fn an_entry_left_in_a_pack_and_a_file_of_its_own_is_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = Store::init(&dir, InitOptions::default()).unwrap();
    let new = NewEntry {
        body: "by the sea".into(),
        ..Default::default()
    };
    let id = store.create(t(0), new).unwrap().id;
    let older = store.load_doc(id).unwrap().unwrap().save();
    store
        .edit(id, t(1), &[Edit::AddTag("in-pack".into())])
        .unwrap();
    // A copy with a change the pack lacks (as another writer made it), left
    // beside the pack as a crash between the two steps of a move leaves it.
    let mut other = attune_core::EntryDoc::load(id, &older, b"another-device-1").unwrap();
    other
        .edit(t(2), &[Edit::AddTag("own-file".into())])
        .unwrap();
    let path = store.packs.own_path(id);
    store
        .sealer
        .write(&path, Purpose::Entry, &id.to_string(), &other.save())
        .unwrap();
    drop(store);

    let mut store = open(&dir);
    let entry = store.get(id).unwrap();
    assert!(
        entry.tags.contains("in-pack") && entry.tags.contains("own-file"),
        "{:?}",
        entry.tags
    );
    assert!(!path.exists(), "the move was finished");
    assert_eq!(store.export_docs().unwrap().len(), 1);
}
