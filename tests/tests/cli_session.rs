//! A scripted session through the real `attune` binary: init, write every kind,
//! edit, search, delete, restore, list --json.

use std::path::Path;
use std::process::{Command, Output};

use attune_core::EntryKind;
use serde_json::Value;

fn attune(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(attune_e2e::binary("attune"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("ATTUNE_PASSPHRASE_FILE")
        .env("ATTUNE_SCRYPT_WORK_FACTOR", "10")
        .output()
        .expect("run attune");
    out
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = attune(dir, args);
    assert!(
        out.status.success(),
        "attune {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(dir, args)).expect("valid JSON")
}

/// Field arguments that fill every field of `kind`.
fn all_fields(kind: EntryKind) -> Vec<String> {
    kind.fields()
        .iter()
        .map(|spec| {
            let value = match spec.ty {
                attune_core::FieldType::Text => format!("{} words", spec.key),
                attune_core::FieldType::Int { min, max } => ((min + max) / 2).to_string(),
                attune_core::FieldType::Real { .. } => "7.5".into(),
                attune_core::FieldType::Choice(set) => set.options()[0].0.to_string(),
            };
            format!("{}={value}", spec.key)
        })
        .collect()
}

#[test]
fn scripted_session_through_the_real_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");

    let out = ok(&dir, &["init", "--name", "laptop", "--no-passphrase"]);
    assert!(out.contains("Created your journal"), "{out}");
    let again = attune(&dir, &["init", "--no-passphrase"]);
    assert!(!again.status.success(), "init twice must refuse");

    // Writing nothing saves nothing.
    assert!(ok(&dir, &["write"]).contains("nothing was saved"));
    assert_eq!(json(&dir, &["list", "--json"]).as_array().unwrap().len(), 0);

    // Write one entry of every kind, with all its fields, without a terminal.
    let mut ids = Vec::new();
    for kind in EntryKind::ALL {
        let mut args: Vec<String> = vec![
            "write".into(),
            "--kind".into(),
            kind.key().into(),
            "--body".into(),
            format!("about {} today", kind.key()),
            "--person".into(),
            "Ana".into(),
            "--tag".into(),
            "week1".into(),
            "--steadiness".into(),
            "4".into(),
            "--json".into(),
        ];
        for f in all_fields(*kind) {
            args.push("--field".into());
            args.push(f);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let entry = json(&dir, &refs);
        assert_eq!(entry["kind"], kind.key());
        assert_eq!(
            entry["fields"].as_object().unwrap().len(),
            kind.fields().len(),
            "{kind}: {entry}"
        );
        ids.push(entry["id"].as_str().unwrap().to_string());
    }

    // A bad field is refused with a message that helps, and nothing is written.
    let bad = attune(
        &dir,
        &[
            "write",
            "--kind",
            "grounding",
            "--field",
            "distress-before=eleven",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("0 to 10"));
    let unknown = attune(&dir, &["write", "--kind", "journal-ish"]);
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("conversation"),
        "lists the known kinds"
    );

    let kinds = json(&dir, &["kinds", "--json"]);
    assert_eq!(kinds.as_array().unwrap().len(), EntryKind::ALL.len());

    let listed = json(&dir, &["list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), EntryKind::ALL.len());

    // Edit: fields, body, tags.
    let conv = &ids[0];
    let edited = json(
        &dir,
        &[
            "edit",
            &conv[..8],
            "--field",
            "connection=5",
            "--append",
            "It went well.",
            "--add-tag",
            "hopeful",
            "--json",
        ],
    );
    assert_eq!(edited["fields"]["connection"], 5);
    assert_eq!(edited["body"], "about conversation today It went well.");
    assert!(edited["tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("hopeful")));
    let shown = ok(&dir, &["show", &conv[..8]]);
    assert!(
        shown.contains("It went well.") && shown.contains("Did you feel heard?"),
        "{shown}"
    );

    // Search finds words case-insensitively, with filters.
    let hits = json(&dir, &["search", "WENT", "well", "--json"]);
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["id"], conv.as_str());
    let by_kind = json(&dir, &["list", "--kind", "micro-win", "--json"]);
    assert_eq!(by_kind.as_array().unwrap().len(), 1);

    // Delete hides, restore brings back.
    ok(&dir, &["delete", &conv[..8]]);
    assert_eq!(
        json(&dir, &["list", "--json"]).as_array().unwrap().len(),
        EntryKind::ALL.len() - 1
    );
    assert_eq!(
        json(&dir, &["list", "--deleted", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    ok(&dir, &["restore", &conv[..8]]);
    let all = json(&dir, &["list", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), EntryKind::ALL.len());

    // A heavy entry points to grounding and crisis help; the crisis note is one step away.
    let heavy = attune(
        &dir,
        &[
            "write",
            "--kind",
            "setback",
            "--body",
            "hard night",
            "--steadiness",
            "1",
        ],
    );
    assert!(String::from_utf8_lossy(&heavy.stderr).contains("attune crisis"));
    ok(&dir, &["crisis", "add", "people", "Sam 555-0101"]);
    let crisis = ok(&dir, &["crisis"]);
    assert!(
        crisis.contains("emergency") && crisis.contains("Sam 555-0101"),
        "{crisis}"
    );

    // An unknown id is a clear error.
    let missing = attune(&dir, &["show", "ffffffff"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no entry matches"));
    assert!(ok(&dir, &["check"]).contains("reads correctly"));
}

#[test]
fn a_passphrase_protected_journal_needs_its_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "a long passphrase\n").unwrap();
    let wrong = tmp.path().join("wrong");
    std::fs::write(&wrong, "not it\n").unwrap();
    ok(&dir, &["init", "--passphrase-file", pass.to_str().unwrap()]);
    ok(
        &dir,
        &[
            "--passphrase-file",
            pass.to_str().unwrap(),
            "write",
            "--body",
            "secret thoughts",
        ],
    );
    let out = attune(&dir, &["list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("passphrase"));
    let out = attune(
        &dir,
        &["--passphrase-file", wrong.to_str().unwrap(), "list"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not open"));
    // The general crisis note is shown even when the journal cannot be unlocked.
    let crisis = attune(&dir, &["crisis"]);
    assert!(String::from_utf8_lossy(&crisis.stdout).contains("emergency"));
    let listed = ok(&dir, &["--passphrase-file", pass.to_str().unwrap(), "list"]);
    assert!(listed.contains("secret thoughts"));
}
