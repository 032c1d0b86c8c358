//! Terminal safety: names and entries written on one device, with escape
//! sequences, control characters and bidi overrides in them, print harmlessly
//! on another device's terminal, and still round-trip exactly through `--json`.

use std::process::Output;

use attune_e2e::{synced_devices, Device, Relay};
use serde_json::Value;

/// Clears the screen, sets the window title, a C1 CSI, a carriage return that
/// would overwrite the line, a line break to fake a second line, and a
/// right-to-left override.
const HOSTILE_NAME: &str = "lap\x1b]0;pwned\x07top\x1b[2J\u{9b}31m\rfake\nline\u{202E}txt.exe";
/// Cursor up and erase line, a lone carriage return, DEL and backspaces,
/// an isolate, and a real second line that must survive.
const HOSTILE_BODY: &str =
    "before\x1b[1A\x1b[2Kafter\rspoof\x7f\x08\x08 \u{2066}isolated\u{2069}\nsecond line of the body";
// (The journal folds whitespace in tags and people to single spaces itself.)
const HOSTILE_TAG: &str = "tag\x1b[31mred\u{9d}8;;x";
const HOSTILE_PERSON: &str = "Ana\u{202D}x\u{202C}\x7fB";
const HOSTILE_JOINER: &str = "tab\x1b[8mlet";

/// Every character a terminal could act on, found in `text` (line feeds and
/// tabs are plain layout and allowed).
fn dangerous(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// Run a human-output command and require success and harmless stdout and stderr.
fn safe_output(d: &Device, args: &[&str]) -> String {
    let out: Output = d.run(args);
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert!(
        out.status.success(),
        "attune {args:?} failed:\n{stdout}\n{stderr}"
    );
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        let found = dangerous(text);
        assert!(
            found.is_empty(),
            "attune {args:?} printed {found:?} on {stream}:\n{text:?}"
        );
        assert!(!text.contains('\x1b'), "no ESC in {stream} of {args:?}");
        assert!(!text.contains('\r'), "no CR in {stream} of {args:?}");
    }
    stdout
}

fn assert_mentions(out: &str, pieces: &[&str], what: &str) {
    for piece in pieces {
        assert!(out.contains(piece), "{what} lost {piece:?}:\n{out}");
    }
}

#[test]
fn hostile_names_and_entries_print_harmlessly_on_the_other_device() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "phone"]);
    let (laptop, phone) = (&d[0], &d[1]);

    laptop.ok(&["device", "rename", HOSTILE_NAME]);
    let id = laptop.write(&[
        "--body",
        HOSTILE_BODY,
        "--tag",
        HOSTILE_TAG,
        "--person",
        HOSTILE_PERSON,
    ]);
    assert!(laptop.sync().status.success());
    assert!(phone.sync().status.success());

    // The name as the other device shows it: every piece still readable.
    let name_pieces = [
        "lap", "]0;pwned", "top", "[2J", "31m", "fake", "line", "txt.exe",
    ];
    for args in [&["status"][..], &["device", "list"]] {
        let out = safe_output(phone, args);
        assert_mentions(&out, &name_pieces, "the device name");
        assert!(
            out.contains("lap\\u{1b}]0;pwned\\u{7}top"),
            "escapes are shown, not acted on:\n{out}"
        );
        assert!(
            out.contains("\\rfake\\nline\\u{202e}txt.exe"),
            "a name stays on one line:\n{out}"
        );
    }
    // The renamed device's own status is safe too.
    assert_mentions(
        &safe_output(laptop, &["status"]),
        &name_pieces,
        "the device's own name",
    );

    let body_pieces = ["before", "after", "spoof", "isolated"];
    let list = safe_output(phone, &["list"]);
    assert_mentions(&list, &body_pieces, "list");
    assert_mentions(&list, &["tag", "red", "Ana", "x", "B"], "list");

    let show = safe_output(phone, &["show", &id]);
    assert_mentions(&show, &body_pieces, "show");
    assert_mentions(&show, &["tag", "red", "Ana"], "show");
    assert!(
        show.contains("\nsecond line of the body\n"),
        "a body keeps its own lines:\n{show}"
    );
    assert!(
        show.contains("people: Ana\\u{202d}x\\u{202c}\\u{7f}B\n"),
        "{show}"
    );
    assert!(
        show.contains("tags: tag\\u{1b}[31mred\\u{9d}8;;x\n"),
        "{show}"
    );

    let search = safe_output(phone, &["search", "spoof"]);
    assert_mentions(&search, &body_pieces, "search");
    assert!(search.contains(&id[..8]), "the hit is listed:\n{search}");

    // Scripts still get the exact strings.
    let json = phone.json(&["show", &id, "--json"]);
    assert_eq!(json["body"], HOSTILE_BODY);
    assert_eq!(json["tags"], serde_json::json!([HOSTILE_TAG]));
    assert_eq!(json["people"], serde_json::json!([HOSTILE_PERSON]));
    let listed = phone.json(&["list", "--json"]);
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["body"] == HOSTILE_BODY));
    let hits = phone.json(&["search", "spoof", "--json"]);
    assert_eq!(hits[0]["body"], HOSTILE_BODY);
    for args in [&["status", "--json"][..], &["device", "list", "--json"]] {
        let names: Vec<Value> = phone.json(args)["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].clone())
            .collect();
        assert!(
            names.contains(&Value::from(HOSTILE_NAME)),
            "{args:?} keeps the exact name: {names:?}"
        );
    }
}

#[test]
fn a_hostile_join_request_name_prints_harmlessly() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let devices = synced_devices(tmp.path(), &relay, &["laptop"]);
    let laptop = &devices[0];
    let tablet = Device::new(tmp.path().join("tablet"));

    let request = tablet.request_join(HOSTILE_JOINER, &relay);
    let added = safe_output(laptop, &["device", "add", &request]);
    assert!(
        added.contains("Adding \"tab\\u{1b}[8mlet\""),
        "the name is shown, not acted on:\n{added}"
    );
    let ticket = added
        .lines()
        .find_map(|l| l.trim().strip_prefix("attune join finish "))
        .expect("a join ticket")
        .trim()
        .to_string();
    tablet.ok(&["join", "finish", &ticket]);
    assert_mentions(
        &safe_output(&tablet, &["status"]),
        &["tab", "[8m", "let"],
        "the joined device's name",
    );
}
