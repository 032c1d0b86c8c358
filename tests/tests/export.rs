//! `attune export`: JSON that `attune import` reads back with nothing lost or
//! duplicated, Markdown with front matter, CSV per kind; plaintext files are
//! private, announced once, and never written inside the journal.

use std::path::Path;

use attune_e2e::Device;
use serde_json::Value;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A journal with several kinds, unicode, people, a deleted entry and a safety plan.
fn journal(tmp: &Path) -> Device {
    let d = Device::new(tmp.join("journal"));
    d.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    d.ok(&[
        "write",
        "--kind",
        "conversation",
        "-b",
        "Coffee with Ana, warm.",
        "-p",
        "Ana",
        "-t",
        "family",
        "--steadiness",
        "4",
        "-f",
        "setting=one-on-one",
        "-f",
        "connection=4",
        "-f",
        "felt-heard=partly",
        "--at",
        "2026-11-03 10:00",
        "--no-prompt",
    ]);
    d.ok(&[
        "write",
        "--kind",
        "setback",
        "-b",
        "Hard evening — Übelkeit 🌧",
        "--steadiness",
        "2",
        "--at",
        "2026-11-10 21:30",
        "--no-prompt",
    ]);
    d.ok(&[
        "write",
        "--kind",
        "session",
        "-b",
        "Group: noticed my breath.",
        "-p",
        "Dr. Lee",
        "--notes",
        "practise pausing",
        "--at",
        "2026-10-01 18:00",
        "--no-prompt",
    ]);
    let gone: Value = d.json(&["write", "-b", "a draft", "--no-prompt", "--json"]);
    d.ok(&["delete", gone["id"].as_str().expect("id")]);
    d.ok(&[
        "edit",
        gone["id"].as_str().expect("id"),
        "--body",
        "a draft, edited",
    ]);
    // A live entry edited later than it was written keeps both times.
    let talk = d.json(&["list", "--json", "--kind", "conversation"]);
    let talk = talk[0]["id"].as_str().expect("conversation id").to_string();
    d.ok(&["edit", &talk, "--append", " We laughed."]);
    d.ok(&["crisis", "add", "people", "Sam, 555 0100"]);
    d
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn json_round_trips_through_import_with_nothing_lost_or_duplicated() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = journal(tmp.path());
    let file = tmp.path().join("export.json");
    let out = d.run(&[
        "export",
        "--format",
        "json",
        "--include-deleted",
        "-o",
        file.to_str().expect("path"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).matches("plaintext").count(),
        1,
        "{}",
        stderr(&out)
    );
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    assert_eq!(doc["format"], "attune-export");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["entries"].as_array().expect("entries").len(), 4);
    assert_eq!(doc["safety_plan"]["people"][0], "Sam, 555 0100");

    let other = Device::new(tmp.path().join("other"));
    other.ok(&["init", "--name", "desktop", "--no-passphrase"]);
    let first = other.ok(&["import", file.to_str().expect("path")]);
    assert!(first.contains("4 new, 0 already there"), "{first}");
    let again = other.ok(&["import", file.to_str().expect("path")]);
    assert!(again.contains("0 new, 4 already there"), "{again}");
    for args in [
        &["list", "--json"][..],
        &["list", "--json", "--deleted"][..],
    ] {
        assert_eq!(d.json(args), other.json(args), "{args:?}");
    }
    assert_eq!(
        d.json(&["crisis", "--json"]),
        other.json(&["crisis", "--json"])
    );
}

#[test]
fn filters_choose_entries_and_the_journal_directory_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = journal(tmp.path());
    let doc: Value = serde_json::from_str(&d.ok(&[
        "export",
        "--format",
        "json",
        "--kind",
        "session,setback",
        "--since",
        "2026-10-15",
    ]))
    .expect("json on stdout");
    let kinds: Vec<&str> = doc["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["setback"]);
    assert!(
        doc["safety_plan"].is_null(),
        "a filtered export leaves the plan out"
    );

    let inside = d.dir.join("leak.json");
    let out = d.run(&[
        "export",
        "--format",
        "json",
        "-o",
        inside.to_str().expect("path"),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("inside the journal directory"),
        "{}",
        stderr(&out)
    );
    assert!(!inside.exists());
}

#[test]
fn markdown_has_front_matter_and_reads_back_and_csv_has_a_column_per_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = journal(tmp.path());
    let folder = tmp.path().join("md");
    d.ok(&[
        "export",
        "--format",
        "markdown",
        "-o",
        folder.to_str().expect("path"),
    ]);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names[0].starts_with("2026-10-01-1800-group-noticed-my-breath-"),
        "{names:?}"
    );
    let text = std::fs::read_to_string(folder.join(&names[1])).expect("md");
    assert!(
        text.starts_with("---\n") && text.contains("kind: conversation"),
        "{text}"
    );
    assert!(
        text.contains("felt-heard: partly") && text.contains("- Ana"),
        "{text}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&folder.join(&names[1])), 0o600);

    let other = Device::new(tmp.path().join("other"));
    other.ok(&["init", "--no-passphrase"]);
    let out = other.ok(&["import", folder.to_str().expect("path")]);
    assert!(out.contains("3 new"), "{out}");
    assert_eq!(d.json(&["list", "--json"]), other.json(&["list", "--json"]));

    let zip = tmp.path().join("md.zip");
    d.ok(&[
        "export",
        "--format",
        "markdown",
        "-o",
        zip.to_str().expect("path"),
    ]);
    let again = other.ok(&["import", zip.to_str().expect("path")]);
    assert!(again.contains("0 new, 3 already there"), "{again}");

    let csv = tmp.path().join("csv");
    d.ok(&[
        "export",
        "--format",
        "csv",
        "-o",
        csv.to_str().expect("path"),
    ]);
    let table = std::fs::read_to_string(csv.join("conversation.csv")).expect("csv");
    let header = table.lines().next().expect("header");
    assert!(
        header.contains(",setting,") && header.contains(",felt-heard,"),
        "{header}"
    );
    assert!(
        table.contains(",one-on-one,") && table.contains(",partly,"),
        "{table}"
    );
    assert!(csv.join("setback.csv").exists() && csv.join("session.csv").exists());
}
