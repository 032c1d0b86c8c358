//! The encrypted local store against a real directory: crashes, damage, wrong
//! passphrases, permissions, and no plaintext on disk.

use std::fs;
use std::path::{Path, PathBuf};

use attune_client::{InitOptions, Store, StoreError};
use attune_core::{Edit, EntryKind, FieldValue, NewEntry, Query, Timestamp};
use secrecy::SecretString;

fn no_pass() -> impl FnMut() -> Result<SecretString, StoreError> {
    || panic!("no passphrase should be asked for")
}

fn open(dir: &Path) -> Store {
    Store::open(dir, &mut no_pass()).expect("open")
}

fn init(dir: &Path) -> Store {
    Store::init(
        dir,
        InitOptions {
            device_name: "laptop".into(),
            ..Default::default()
        },
    )
    .expect("init")
}

fn t(day: i64) -> Timestamp {
    Timestamp::new(1_767_225_600_000 + day * 86_400_000, 60) // 2026-01-01 + day
}

fn note(body: &str) -> NewEntry {
    NewEntry {
        kind: Some(EntryKind::Note),
        body: body.into(),
        ..Default::default()
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn entries_survive_reopening_and_list_by_month() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    let a = store.create(t(0), note("january")).unwrap();
    let mut with_fields = note("february");
    with_fields.kind = Some(EntryKind::Conversation);
    with_fields.fields.insert(
        "setting".into(),
        FieldValue::Setting(attune_core::schema::Setting::Online),
    );
    with_fields
        .fields
        .insert("connection".into(), FieldValue::Int(4));
    with_fields.fields.insert(
        "did-differently".into(),
        FieldValue::Text("listened".into()),
    );
    let b = store.create(t(40), with_fields).unwrap();
    store
        .edit(a.id, t(1), &[Edit::AddTag("first".into())])
        .unwrap();
    drop(store);

    let mut store = open(&dir);
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![b.id, a.id]
    );
    assert!(all[1].tags.contains("first"));
    assert_eq!(all[0].fields.len(), 3);
    assert!(
        store.take_warnings().is_empty(),
        "views of every field type read back without repair"
    );
    assert!(store.check().unwrap().is_empty());
    drop(store);

    // A date-bounded query loads only the months it needs, and still finds the entry.
    let mut store = open(&dir);
    let feb = store
        .list(&Query {
            from_ms: Some(t(35).unix_ms),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(feb.len(), 1);
    assert_eq!(feb[0].body, "february");
}

#[test]
fn init_refuses_an_existing_journal_and_open_refuses_an_empty_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    drop(init(&dir));
    let err = Store::init(&dir, InitOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyInitialised(_)), "{err}");
    let err = Store::open(&tmp.path().join("nothing"), &mut no_pass()).unwrap_err();
    assert!(err.to_string().contains("attune init"), "{err}");
}

#[test]
fn a_leftover_temp_file_is_cleaned_and_nothing_saved_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    let e = store.create(t(0), note("kept")).unwrap();
    drop(store);
    let leftover = dir
        .join("entries")
        .join(format!("{}.am.999.attune-tmp", e.id));
    fs::write(&leftover, b"half a file").unwrap();
    let mut store = Store::open(&dir, &mut no_pass()).unwrap();
    assert!(!leftover.exists());
    assert!(store
        .take_warnings()
        .iter()
        .any(|w| w.contains("temporary")));
    assert_eq!(store.get(e.id).unwrap().body, "kept");
}

#[test]
fn a_change_interrupted_by_a_crash_is_replayed_at_the_next_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    let id = store
        .create_then_crash(t(0), note("told it was saved"))
        .unwrap();
    drop(store);
    let mut store = open(&dir);
    assert_eq!(store.get(id).unwrap().body, "told it was saved");
    assert_eq!(
        store.list(&Query::default()).unwrap().len(),
        1,
        "the view was brought up to date"
    );
    assert_eq!(fs::read_dir(dir.join("pending")).unwrap().count(), 0);
}

#[test]
fn a_damaged_entry_is_named_and_the_rest_still_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    let bad = store.create(t(1), note("soon damaged")).unwrap();
    let good = create_in_another_pack(&mut store, &bad, "good one");
    drop(store);
    let bad_path = pack_path(&dir, &bad);
    let bytes = fs::read(&bad_path).unwrap();
    fs::write(&bad_path, &bytes[..bytes.len() / 2]).unwrap(); // truncated

    let mut store = open(&dir);
    assert_eq!(
        store.list(&Query::default()).unwrap().len(),
        2,
        "listing reads the views"
    );
    assert_eq!(store.get(good.id).unwrap().body, "good one");
    let err = store
        .edit(bad.id, t(2), &[Edit::AddTag("x".into())])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&bad_path.display().to_string()),
        "the error names the file: {err}"
    );
    let problems = store.check().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, bad_path);
    // The good entry is still editable.
    store
        .edit(good.id, t(2), &[Edit::AddTag("fine".into())])
        .unwrap();
    // New entries keep being saved, whatever pack their id falls in.
    for i in 0..40 {
        store.create(t(3), note(&format!("later {i}"))).unwrap();
    }
    drop(store);
    let mut store = open(&dir);
    assert_eq!(store.list(&Query::default()).unwrap().len(), 42);
    assert_eq!(
        store.check().unwrap().len(),
        1,
        "still only the damaged pack"
    );
}

/// `entries/<xx>.pack`: small entries are packed by the first byte of their id (ADR 0011).
fn pack_path(dir: &std::path::Path, entry: &attune_core::Entry) -> PathBuf {
    dir.join("entries")
        .join(format!("{}.pack", &entry.id.to_string()[..2]))
}

/// A new entry whose pack is not `other`'s.
fn create_in_another_pack(
    store: &mut Store,
    other: &attune_core::Entry,
    body: &str,
) -> attune_core::Entry {
    loop {
        let e = store.create(t(0), note(body)).unwrap();
        if e.id.to_string()[..2] != other.id.to_string()[..2] {
            return e;
        }
        store.edit(e.id, t(0), &[Edit::Delete]).unwrap();
    }
}

#[test]
fn a_damaged_view_is_rebuilt_from_the_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    store.create(t(0), note("one")).unwrap();
    store.create(t(0), note("two")).unwrap();
    drop(store);
    let view = fs::read_dir(dir.join("views"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = fs::read(&view).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&view, bytes).unwrap();
    let mut store = open(&dir);
    assert_eq!(store.list(&Query::default()).unwrap().len(), 2);
    let warnings = store.take_warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&view.display().to_string()) && w.contains("rebuilt")),
        "{warnings:?}"
    );
    assert!(store.check().unwrap().is_empty());
}

#[test]
fn a_file_swapped_for_another_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    let a = store.create(t(0), note("alpha")).unwrap();
    let b = create_in_another_pack(&mut store, &a, "beta");
    drop(store);
    fs::copy(pack_path(&dir, &b), pack_path(&dir, &a)).unwrap();
    let mut store = open(&dir);
    assert!(
        store.edit(a.id, t(1), &[Edit::Delete]).is_err(),
        "b's document must not pass for a's"
    );
}

#[test]
fn passphrase_protection_wrong_passphrase_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let pass = || SecretString::from("correct horse".to_string());
    let mut store = Store::init(
        &dir,
        InitOptions {
            device_name: "laptop".into(),
            passphrase: Some(pass()),
            work_factor: Some(10),
        },
    )
    .unwrap();
    store.create(t(0), note("private")).unwrap();
    drop(store);
    let before: Vec<(PathBuf, Vec<u8>)> = files_under(&dir)
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();

    let err = Store::open(&dir, &mut || Ok(SecretString::from("wrong".to_string()))).unwrap_err();
    assert!(matches!(err, StoreError::WrongPassphrase), "{err}");
    let err = Store::open(&dir, &mut || Err(StoreError::PassphraseRequired)).unwrap_err();
    assert!(matches!(err, StoreError::PassphraseRequired), "{err}");
    let after: Vec<(PathBuf, Vec<u8>)> = files_under(&dir)
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();
    assert_eq!(before, after, "a failed open changes nothing");

    let mut store = Store::open(&dir, &mut || Ok(pass())).unwrap();
    assert_eq!(store.list(&Query::default()).unwrap()[0].body, "private");
    // Removing and re-adding the passphrase works.
    store.change_passphrase(None, None).unwrap();
    drop(store);
    drop(open(&dir));
}

#[cfg(unix)]
#[test]
fn the_identity_and_keys_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    drop(init(&dir));
    for path in [dir.join("identity"), dir.join("keys").join("epoch-1.age")] {
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    assert_eq!(
        fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn a_second_process_is_told_the_journal_is_busy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let _first = init(&dir);
    let lock =
        attune_client::dir::lock::DirLock::acquire(&dir, std::time::Duration::from_millis(100));
    let err = lock.unwrap_err().to_string();
    assert!(err.contains("busy"), "{err}");
}

#[test]
fn no_plaintext_marker_appears_in_any_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    let markers = [
        "MARKERBODY7731",
        "MARKERTAG7731",
        "MARKERPERSON7731",
        "MARKERFIELD7731",
        "MARKERNOTE7731",
        "MARKERPLAN7731",
    ];
    let mut new = NewEntry {
        kind: Some(EntryKind::Conversation),
        body: format!("{} and more words", markers[0]),
        notes: markers[4].into(),
        ..Default::default()
    };
    new.tags.insert(markers[1].into());
    new.people.insert(markers[2].into());
    new.fields.insert(
        "did-differently".into(),
        FieldValue::Text(markers[3].into()),
    );
    let e = store.create(t(0), new).unwrap();
    store
        .edit(
            e.id,
            t(1),
            &[Edit::SpliceBody {
                pos: 0,
                delete: 0,
                insert: "typed ".into(),
            }],
        )
        .unwrap();
    let mut plan = attune_client::SafetyPlan::default();
    plan.people.push(markers[5].into());
    store.set_safety_plan(&plan).unwrap();
    drop(store);
    let mut scanned = 0;
    for path in files_under(&dir) {
        let bytes = fs::read(&path).unwrap();
        scanned += bytes.len();
        for m in markers.iter().chain(["conversation", "2026-01"].iter()) {
            assert!(
                !bytes.windows(m.len()).any(|w| w == m.as_bytes()),
                "{m} found in {}",
                path.display()
            );
        }
    }
    assert!(
        scanned > 1000,
        "the scan read the journal ({scanned} bytes)"
    );
    // And it is all still there for the writer.
    let mut store = open(&dir);
    assert!(store
        .get(e.id)
        .unwrap()
        .body
        .starts_with("typed MARKERBODY7731"));
    assert_eq!(store.safety_plan().unwrap(), plan);
}

#[test]
fn relayed_changes_applied_again_after_a_crash_bring_the_list_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let mut a = init(&a_dir);
    a.create(t(0), note("from the other device")).unwrap();
    let changes = a.all_changes().unwrap();
    let mut b = init(&b_dir);
    let views_before: Vec<(PathBuf, Vec<u8>)> = files_under(&b_dir.join("views"))
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();
    assert_eq!(b.apply_relayed_changes(changes.clone()).unwrap().applied, 1);
    assert_eq!(
        fs::read_dir(b_dir.join("pending")).unwrap().count(),
        0,
        "no pending record: the relay serves them again until the cursor passes"
    );
    drop(b);
    // A crash published the document but not its month view.
    for p in files_under(&b_dir.join("views")) {
        fs::remove_file(p).unwrap();
    }
    for (p, bytes) in &views_before {
        fs::write(p, bytes).unwrap();
    }
    let mut b = open(&b_dir);
    assert!(
        b.list(&Query::default()).unwrap().is_empty(),
        "the stale view"
    );
    // The cursor did not move, so the relay serves the same changes again.
    let again = b.apply_relayed_changes(changes).unwrap();
    assert_eq!((again.applied, again.duplicates > 0), (0, true));
    let listed = b.list(&Query::default()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].body, "from the other device");
    assert_eq!(b.check().unwrap(), vec![]);
}

#[test]
fn search_reads_every_month_and_rebuilds_a_damaged_view() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let mut store = init(&dir);
    for month in 0..5 {
        store
            .create(t(month * 31), note(&format!("river walk {month}")))
            .unwrap();
        store.create(t(month * 31 + 1), note("quiet day")).unwrap();
    }
    let limited = Query {
        limit: Some(2),
        ..Default::default()
    };
    let found: Vec<String> = store
        .search("RIVER", &limited)
        .unwrap()
        .into_iter()
        .map(|(e, _)| e.body)
        .collect();
    assert_eq!(
        found,
        ["river walk 4", "river walk 3"],
        "newest first, limited"
    );
    drop(store);
    let view = fs::read_dir(dir.join("views"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::write(&view, b"not a view").unwrap();
    let mut store = open(&dir);
    assert_eq!(store.search("river", &Query::default()).unwrap().len(), 5);
    assert!(store.take_warnings().iter().any(|w| w.contains("rebuilt")));
}
