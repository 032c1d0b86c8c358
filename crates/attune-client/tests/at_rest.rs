//! Each device seals its files with a key of its own: journals sealed with the
//! shared journal key (as before) migrate on open, crash-safely, losing nothing.

use std::fs;
use std::path::{Path, PathBuf};

use attune_client::{InitOptions, Store, StoreError};
use attune_core::{NewEntry, Query, Timestamp};
use attune_crypto::{
    open_blob, seal_blob, unwrap_at_rest_key, unwrap_journal_key, DeviceIdentity, JournalKey,
};
use secrecy::SecretString;

fn open(dir: &Path) -> Store {
    Store::open(dir, &mut || -> Result<SecretString, StoreError> {
        panic!("no passphrase should be asked for")
    })
    .expect("open")
}

fn identity(dir: &Path) -> DeviceIdentity {
    DeviceIdentity::from_file_bytes(&fs::read(dir.join("identity")).unwrap(), None).unwrap()
}

fn journal_key(dir: &Path) -> JournalKey {
    let bytes = fs::read(dir.join("keys").join("epoch-1.age")).unwrap();
    unwrap_journal_key(&bytes, &identity(dir)).unwrap().1
}

fn at_rest_key(dir: &Path) -> JournalKey {
    unwrap_at_rest_key(&fs::read(dir.join("at-rest-key")).unwrap(), &identity(dir)).unwrap()
}

/// Every sealed file with its purpose and id, as the store names them.
fn sealed_files(dir: &Path) -> Vec<(PathBuf, &'static str, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir.join("entries")).unwrap().flatten() {
        let id = entry
            .path()
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // Small entries are packed by the first byte of their id (ADR 0011).
        let purpose = match entry.path().extension().and_then(|e| e.to_str()) {
            Some("pack") => "entry-pack",
            _ => "entry",
        };
        out.push((entry.path(), purpose, id));
    }
    out.push((dir.join("safety-plan"), "safety-plan", String::new()));
    out.push((dir.join("genesis"), "state", "genesis".into()));
    out
}

/// Turns a fresh journal into one of the old layout: files sealed with the
/// epoch-1 journal key, no at-rest key, no views.
fn make_legacy(dir: &Path) {
    let (old, new) = (journal_key(dir), at_rest_key(dir));
    for (path, purpose, id) in sealed_files(dir) {
        let plain = open_blob(&new, purpose, &id, &fs::read(&path).unwrap()).unwrap();
        fs::write(&path, seal_blob(&old, purpose, &id, &plain).unwrap()).unwrap();
    }
    for view in fs::read_dir(dir.join("views")).unwrap().flatten() {
        fs::remove_file(view.path()).unwrap();
    }
    fs::remove_file(dir.join("at-rest-key")).unwrap();
}

fn journal_with_entries(dir: &Path) -> Vec<String> {
    let mut store = Store::init(dir, InitOptions::default()).unwrap();
    let mut plan = store.safety_plan().unwrap();
    plan.coping_steps = vec!["walk to the sea".into()];
    store.set_safety_plan(&plan).unwrap();
    (0..5)
        .map(|i| {
            let entry = store
                .create(
                    Timestamp::new(1_767_225_600_000 + i * 86_400_000, 60),
                    NewEntry {
                        body: format!("entry {i}"),
                        ..Default::default()
                    },
                )
                .unwrap();
            entry.body
        })
        .collect()
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

#[test]
fn the_at_rest_key_is_the_devices_own_not_a_journal_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    journal_with_entries(&dir);
    let (journal, local) = (journal_key(&dir), at_rest_key(&dir));
    assert_ne!(journal.expose_bytes(), local.expose_bytes());
    // What every device of the journal holds does not open this device's files.
    for (path, purpose, id) in sealed_files(&dir) {
        let sealed = fs::read(&path).unwrap();
        assert!(open_blob(&journal, purpose, &id, &sealed).is_err());
        assert!(open_blob(&local, purpose, &id, &sealed).is_ok());
    }
}

#[test]
fn a_legacy_journal_migrates_on_open_and_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut written = journal_with_entries(&dir);
    written.sort();
    make_legacy(&dir);

    let mut store = open(&dir);
    assert!(store
        .take_warnings()
        .iter()
        .any(|w| w.contains("key of its own")));
    assert_eq!(bodies(&mut store), written);
    assert_eq!(
        store.safety_plan().unwrap().coping_steps,
        ["walk to the sea"]
    );
    assert_eq!(store.check().unwrap(), vec![]);
    drop(store);

    let journal = journal_key(&dir);
    for (path, purpose, id) in sealed_files(&dir) {
        let sealed = fs::read(&path).unwrap();
        assert!(
            open_blob(&journal, purpose, &id, &sealed).is_err(),
            "{} still opens with the shared journal key",
            path.display()
        );
    }
    // A second open finds nothing to migrate.
    let mut store = open(&dir);
    assert!(store.take_warnings().is_empty());
    assert_eq!(bodies(&mut store), written);
}

#[test]
fn a_migration_cut_short_resumes_with_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut written = journal_with_entries(&dir);
    written.sort();
    let planned = fs::read(dir.join("at-rest-key")).unwrap();
    let new = at_rest_key(&dir);
    make_legacy(&dir);
    // A crash after the new key was written aside and one file was re-sealed.
    fs::write(dir.join("at-rest-key.migrating"), &planned).unwrap();
    let old = journal_key(&dir);
    let (path, purpose, id) = sealed_files(&dir).remove(0);
    let plain = open_blob(&old, purpose, &id, &fs::read(&path).unwrap()).unwrap();
    fs::write(&path, seal_blob(&new, purpose, &id, &plain).unwrap()).unwrap();

    let mut store = open(&dir);
    assert_eq!(bodies(&mut store), written);
    assert_eq!(store.check().unwrap(), vec![]);
    drop(store);
    assert!(!dir.join("at-rest-key.migrating").exists());
    assert_eq!(at_rest_key(&dir).expose_bytes(), new.expose_bytes());
}

#[test]
fn a_lost_at_rest_key_is_reported_and_nothing_is_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    journal_with_entries(&dir);
    let key_file = dir.join("at-rest-key");
    let saved = fs::read(&key_file).unwrap();
    let views_before = fs::read_dir(dir.join("views")).unwrap().count();
    fs::remove_file(&key_file).unwrap();
    let err = Store::open(&dir, &mut || -> Result<SecretString, StoreError> {
        panic!("no passphrase should be asked for")
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("at-rest key is missing"), "{err}");
    assert_eq!(
        fs::read_dir(dir.join("views")).unwrap().count(),
        views_before
    );
    assert!(!dir.join("at-rest-key.migrating").exists());
    // Put back, everything opens as before.
    fs::write(&key_file, saved).unwrap();
    let mut store = open(&dir);
    assert_eq!(bodies(&mut store).len(), 5);
}
