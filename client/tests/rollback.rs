//! An entry file put back from an older copy is reported by `attune check`.

use std::path::Path;
use std::process::{Command, Output};

fn attune(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attune"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("ATTUNE_PASSPHRASE_FILE")
        .output()
        .expect("run attune")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = attune(dir, args);
    assert!(
        out.status.success(),
        "attune {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn an_older_copy_of_an_entry_and_its_view_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    ok(&dir, &["init", "--name", "laptop", "--no-passphrase"]);
    let written: serde_json::Value = serde_json::from_str(&ok(
        &dir,
        &["write", "--json", "--body", "I told her the truth"],
    ))
    .unwrap();
    let id = written["id"].as_str().unwrap().to_string();
    assert!(ok(&dir, &["check"]).contains("reads correctly"));

    // Keep a copy of the entry and of every view, then change the entry.
    let old = tmp.path().join("old");
    std::fs::create_dir_all(old.join("views")).unwrap();
    // Small entries are packed by the first byte of their id (ADR 0011).
    let entry = dir.join("entries").join(format!("{}.pack", &id[..2]));
    std::fs::copy(&entry, old.join("entry.am")).unwrap();
    for view in std::fs::read_dir(dir.join("views")).unwrap().flatten() {
        std::fs::copy(view.path(), old.join("views").join(view.file_name())).unwrap();
    }
    ok(
        &dir,
        &["edit", &id[..8], "--body", "I told her the whole truth"],
    );
    assert!(ok(&dir, &["check"]).contains("reads correctly"));

    // Someone with the disk puts the older versions back: they still open…
    std::fs::copy(old.join("entry.am"), &entry).unwrap();
    for view in std::fs::read_dir(old.join("views")).unwrap().flatten() {
        std::fs::copy(view.path(), dir.join("views").join(view.file_name())).unwrap();
    }
    // …but the check says that this is not the version saved last.
    let out = attune(&dir, &["check"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("older copy"), "{said}");
}
