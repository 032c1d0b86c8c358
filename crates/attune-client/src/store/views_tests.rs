//! Views written by another build are rebuilt quietly; damaged ones are rebuilt and reported.

use super::*;
use crate::InitOptions;
use attune_core::NewEntry;

fn journal() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("j");
    let mut store = Store::init(&dir, InitOptions::default()).expect("init");
    let entry = NewEntry {
        body: "a quiet walk".into(),
        ..Default::default()
    };
    store
        .create(Timestamp::new(1_780_000_000_000, 0), entry)
        .expect("create");
    (tmp, store)
}

fn reopen(store: Store) -> Store {
    let dir = store.dir().to_path_buf();
    drop(store);
    Store::open(&dir, &mut || Err(StoreError::PassphraseRequired)).expect("open")
}

/// Rewrites every view file with `edit` applied to its view.
fn rewrite_views(store: &mut Store, edit: impl Fn(&mut MonthView)) {
    store.load_all_views().expect("views");
    let months: Vec<String> = store.views.keys().cloned().collect();
    for month in months {
        if let Some(view) = store.views.get_mut(&month) {
            edit(view);
        }
        store.save_view(&month).expect("save view");
    }
}

#[test]
fn a_view_from_a_build_with_another_schema_is_rebuilt_without_a_warning() {
    let (_tmp, mut store) = journal();
    rewrite_views(&mut store, |view| {
        view.schema = [0; 8];
        view.entries.clear();
    });
    let mut store = reopen(store);
    let listed = store.list(&Query::default()).expect("list");
    assert_eq!(listed.len(), 1, "the entry is read again from its document");
    assert_eq!(store.take_warnings(), Vec::<String>::new());
    // Rebuilt with this build's fingerprint: the next open uses it as it is.
    let mut store = reopen(store);
    store.load_all_views().expect("views");
    assert!(store
        .views
        .values()
        .all(|v| v.schema == schema_fingerprint()));
}

#[test]
fn a_view_of_an_older_format_is_rebuilt_without_a_warning() {
    let (_tmp, mut store) = journal();
    rewrite_views(&mut store, |view| view.v = 1);
    let mut store = reopen(store);
    assert_eq!(store.list(&Query::default()).expect("list").len(), 1);
    assert_eq!(store.take_warnings(), Vec::<String>::new());
}

#[test]
fn a_damaged_view_is_rebuilt_and_reported() {
    let (_tmp, store) = journal();
    let files = store.view_files().expect("views");
    assert_eq!(files.len(), 1);
    std::fs::write(&files[0], b"not a sealed view").expect("damage");
    let mut store = reopen(store);
    assert_eq!(store.list(&Query::default()).expect("list").len(), 1);
    let warnings = store.take_warnings();
    assert!(
        warnings.iter().any(|w| w.contains("was damaged")),
        "{warnings:?}"
    );
}
