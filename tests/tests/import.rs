//! `attune import` from other journals' own export formats (hand-written
//! fixtures in tests/fixtures/import/): never twice, all or nothing, and
//! nothing left out silently.

use std::path::PathBuf;

use attune_e2e::{journal_with_devices, Device, Relay};
use serde_json::Value;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn fresh(tmp: &std::path::Path) -> Device {
    let d = Device::new(tmp.join("journal"));
    d.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    d
}

fn list(d: &Device) -> Vec<Value> {
    d.json(&["list", "--json"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn by_body<'a>(entries: &'a [Value], start: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["body"].as_str().is_some_and(|b| b.starts_with(start)))
        .unwrap_or_else(|| panic!("no entry starting {start:?} in {entries:#?}"))
}

#[test]
fn jrnl_entries_arrive_once_with_people_stars_and_the_zone_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = fresh(tmp.path());
    let args = [
        "import",
        &fixture("jrnl.json"),
        "--people-from",
        "@",
        "--zone",
        "Europe/Berlin",
    ];
    let out = d.ok(&args);
    assert!(out.contains("3 new, 0 already there"), "{out}");
    assert!(out.contains("Europe/Berlin"), "the zone is stated: {out}");
    let entries = list(&d);
    let coffee = by_body(&entries, "Coffee with @Ana at the café. She asked");
    assert_eq!(coffee["created"], "2021-03-03T09:05:00+01:00");
    assert_eq!(coffee["people"], serde_json::json!(["Ana"]));
    assert_eq!(coffee["tags"], serde_json::json!(["starred"]));
    assert!(coffee["body"].as_str().expect("body").ends_with("🌿"));
    let walk = by_body(&entries, "Walked with @Ana");
    assert_eq!(
        walk["created"], "2021-07-14T07:45:00+02:00",
        "summer time in July"
    );
    let meeting = by_body(&entries, "Yesterday's meeting");
    assert_eq!(meeting["tags"], serde_json::json!(["work"]));

    let again = d.ok(&args);
    assert!(again.contains("0 new, 3 already there"), "{again}");
    assert_eq!(list(&d).len(), 3);
}

#[test]
fn a_malformed_file_names_the_entry_and_field_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = fresh(tmp.path());
    let out = d.run(&["import", &fixture("jrnl-broken.json"), "--zone", "UTC"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("jrnl-broken.json") && err.contains("entry 2") && err.contains("date"),
        "{err}"
    );
    assert!(
        list(&d).is_empty(),
        "the good entry before it was not written either"
    );
}

#[test]
fn day_one_places_utc_in_the_entry_zone_and_counts_the_photo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = fresh(tmp.path());
    let out = d.ok(&["import", &fixture("dayone.zip")]);
    assert!(out.contains("Day One: 2 new"), "{out}");
    assert!(
        out.contains("1 photo(s)"),
        "the photo is skipped with a count: {out}"
    );
    let entries = list(&d);
    let bondi = by_body(&entries, "Sunset at Bondi");
    assert_eq!(bondi["created"], "2021-03-03T22:48:50+11:00");
    assert_eq!(
        bondi["body"],
        "Sunset at Bondi. Felt steady!\n\n\n- called Mum after"
    );
    assert_eq!(
        bondi["tags"],
        serde_json::json!(["beach", "family", "starred"])
    );
    let berlin = by_body(&entries, "Grübeln");
    assert_eq!(berlin["created"], "2022-11-20T09:00:00+01:00");
    assert!(d
        .ok(&["import", &fixture("dayone.zip")])
        .contains("0 new, 2 already there"));

    let out = d.run(&["import", &fixture("dayone-escape.zip"), "--from", "dayone"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside the zip"));
    assert_eq!(list(&d).len(), 2);
}

#[test]
fn daylio_moods_are_never_mapped_silently() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = fresh(tmp.path());
    let out = d.run(&["import", &fixture("daylio.csv"), "--zone", "Europe/Berlin"]);
    assert!(
        !out.status.success(),
        "no mood map and no terminal to ask at"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sunny-ish=N") && err.contains("--mood-map"),
        "{err}"
    );
    assert!(list(&d).is_empty());

    let map = "rad=5,sunny-ish=4,meh=none";
    let out = d.ok(&[
        "import",
        &fixture("daylio.csv"),
        "--zone",
        "Europe/Berlin",
        "--mood-map",
        map,
    ]);
    assert!(out.contains("3 new"), "{out}");
    let entries = d.json(&["list", "--json", "--kind", "check-in"]);
    let entries = entries.as_array().expect("array");
    let park = by_body(entries, "Park");
    assert_eq!(park["steadiness"], 4);
    assert_eq!(park["created"], "2021-03-05T21:15:00+01:00");
    assert_eq!(park["fields"]["mood-word"], "sunny-ish");
    assert_eq!(park["tags"], serde_json::json!(["friends", "walk"]));
    let meh = entries
        .iter()
        .find(|e| e["fields"]["mood-word"] == "meh")
        .expect("meh");
    assert!(meh["steadiness"].is_null());
}

#[test]
fn a_markdown_folder_imports_dated_notes_and_names_the_rest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = fresh(tmp.path());
    let out = d.ok(&["import", &fixture("markdown"), "--zone", "Europe/Berlin"]);
    assert!(out.contains("2 new"), "{out}");
    assert!(out.contains("Ideas.md") && out.contains("no date"), "{out}");
    let entries = list(&d);
    let daily = by_body(&entries, "A quiet day.");
    assert_eq!(daily["created"], "2024-05-01T00:00:00+02:00");
    assert_eq!(daily["tags"], serde_json::json!(["calm", "walk"]));
    let win = by_body(&entries, "Paused before answering Sam.");
    assert_eq!(win["id"], "0123456789abcdef0123456789abcdef");
    assert_eq!(win["kind"], "micro-win");
    assert_eq!(win["people"], serde_json::json!(["Sam"]));
}

#[test]
fn imported_entries_sync_like_any_other() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);
    a.ok(&["import", &fixture("dayone.zip")]);
    for device in [a, b, a, b] {
        let out = device.sync();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(list(b).len(), 2);
    assert_eq!(a.json(&["list", "--json"]), b.json(&["list", "--json"]));
    // The other device imports the same file: nothing doubles.
    let again = b.ok(&["import", &fixture("dayone.zip")]);
    assert!(again.contains("0 new, 2 already there"), "{again}");
}
