//! `attune ui` in a real browser: Debian's chromium driven by the
//! playwright-core scripts in `tests/browser/`, against the real `attune`,
//! `attune ui` and `attune-relay` processes. Each test prepares journals and
//! servers, runs one script, then checks the journals through the CLI.
//!
//! Screenshots go to `$CARGO_TARGET_DIR/ui-screenshots/` (or
//! `target/ui-screenshots/`).

use std::path::Path;

use attune_core::Timestamp;
use attune_e2e::ui::{journal, screenshots, shots_env, stdout, strings};
use attune_e2e::{synced_devices, Relay};
use serde_json::Value;

fn entry_by_body<'a>(list: &'a Value, needle: &str) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|e| e["body"].as_str().is_some_and(|b| b.contains(needle)))
        .unwrap_or_else(|| panic!("no entry with {needle:?} in {list:#}"))
}

#[test]
fn keyboard_only_writes_three_kinds() {
    let Some(browser) = attune_e2e::browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = journal(tmp.path());
    let server = d.ui(&["--no-sync"]);
    let out = browser.run(
        "write.mjs",
        &[("OPENING_URL", server.opening_url.clone()), shots_env()],
    );
    stdout("write.mjs", &out);
    drop(server);

    let list = d.json(&["list", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list:#}");

    let conv = entry_by_body(&list, "Keyboard conversation about the marigold river");
    assert_eq!(conv["kind"], "conversation", "{conv:#}");
    assert_eq!(strings(&conv["tags"]), ["kbd-conv"], "{conv:#}");
    assert_eq!(strings(&conv["people"]), ["Ana"], "{conv:#}");
    assert_eq!(conv["steadiness"], 4, "{conv:#}");
    assert_eq!(conv["fields"]["setting"], "one-on-one", "{conv:#}");
    assert_eq!(conv["fields"]["connection"], 4, "{conv:#}");
    assert_eq!(conv["fields"]["felt-heard"], "yes", "{conv:#}");
    assert_eq!(
        conv["fields"]["did-differently"], "asked a question back",
        "{conv:#}"
    );
    assert_eq!(
        conv["fields"].as_object().map(|f| f.len()),
        Some(4),
        "only what was answered: {conv:#}"
    );

    let win = entry_by_body(&list, "Keyboard micro win near the heron lantern");
    assert_eq!(win["kind"], "micro-win", "{win:#}");
    assert_eq!(strings(&win["tags"]), ["kbd-win"], "{win:#}");
    assert!(strings(&win["people"]).is_empty(), "{win:#}");
    assert_eq!(win["steadiness"], 3, "{win:#}");
    assert_eq!(win["fields"]["win-type"], "paused", "{win:#}");
    assert_eq!(
        win["fields"]["what-i-did"], "took three slow breaths",
        "{win:#}"
    );
    assert_eq!(
        win["fields"].as_object().map(|f| f.len()),
        Some(2),
        "{win:#}"
    );

    let ground = entry_by_body(&list, "Keyboard grounding by the quartz meadow");
    assert_eq!(ground["kind"], "grounding", "{ground:#}");
    assert_eq!(strings(&ground["tags"]), ["kbd-ground"], "{ground:#}");
    assert!(strings(&ground["people"]).is_empty(), "{ground:#}");
    assert_eq!(ground["steadiness"], 2, "{ground:#}");
    assert_eq!(ground["fields"]["technique"], "breathing", "{ground:#}");
    assert_eq!(ground["fields"]["distress-before"], 7, "{ground:#}");
    assert_eq!(ground["fields"]["distress-after"], 3, "{ground:#}");
    assert_eq!(
        ground["fields"].as_object().map(|f| f.len()),
        Some(3),
        "{ground:#}"
    );

    for e in [conv, win, ground] {
        assert_eq!(e["notes"], "", "{e:#}");
        assert_eq!(e["deleted"], false, "{e:#}");
    }
}

#[test]
fn two_devices_merge_live_through_a_relay() {
    let Some(browser) = attune_e2e::browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let devices = synced_devices(tmp.path(), &relay, &["a", "b"]);
    let (a, b) = (&devices[0], &devices[1]);
    let old_body = "Written on device a before the pages opened";
    let id = a.write(&[
        "--kind",
        "micro-win",
        "--no-prompt",
        "--body",
        old_body,
        "--tag",
        "live",
    ]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(
        b.json(&["show", &id, "--json"])["body"],
        old_body,
        "b has the entry"
    );

    let ui_a = a.ui(&[]);
    let ui_b = b.ui(&[]);
    let new_body = "Edited live on page A, cobalt kestrel";
    let out = browser.run(
        "live.mjs",
        &[
            ("OPENING_URL_A", ui_a.opening_url.clone()),
            ("OPENING_URL_B", ui_b.opening_url.clone()),
            ("ENTRY_ID", id.clone()),
            ("OLD_BODY", old_body.to_string()),
            ("NEW_BODY", new_body.to_string()),
            shots_env(),
        ],
    );
    let text = stdout("live.mjs", &out);
    assert!(text.contains("LIVE_LATENCY_MS="), "{text}");
    drop(ui_a);
    drop(ui_b);

    let show_a = a.json(&["show", &id, "--json"]);
    let show_b = b.json(&["show", &id, "--json"]);
    let body = show_a["body"].as_str().expect("body");
    assert!(
        body.contains("Alpha.") && body.contains("Beta: "),
        "{show_a:#}"
    );
    assert!(body.contains(new_body), "{show_a:#}");
    assert_eq!(show_a, show_b, "the two devices disagree");
}

#[test]
fn crisis_one_step_and_idle_lock() {
    let Some(browser) = attune_e2e::browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = journal(tmp.path());
    let body = "Lock test entry about the saffron lighthouse";
    let id = d.write(&["--kind", "micro-win", "--no-prompt", "--body", body]);
    let server = d.ui(&["--no-sync", "--idle-lock", "0.1"]);
    let out = browser.run(
        "crisis_lock.mjs",
        &[
            ("OPENING_URL", server.opening_url.clone()),
            ("ENTRY_ID", id),
            ("BODY", body.to_string()),
            ("IDLE_LOCK_SECONDS", "6".to_string()),
            shots_env(),
        ],
    );
    let text = stdout("crisis_lock.mjs", &out);
    assert!(text.contains("LOCKED_AFTER_MS="), "{text}");
    let log = server.log_text();
    assert!(
        log.contains("/api/unlock"),
        "the page unlocked through the API:\n{log}"
    );
    assert!(!log.contains(body), "{log}");
}

const DAY_MS: i64 = 86_400_000;

fn days_ago(days: i64) -> String {
    let now = attune_client::store::now_ms();
    let (y, m, d) = Timestamp::new(now - days * DAY_MS, 0).local_date();
    format!("{y:04}-{m:02}-{d:02} 12:00")
}

#[test]
fn every_page_is_accessible_in_light_and_dark() {
    let Some(browser) = attune_e2e::browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = journal(tmp.path());
    for (i, person) in ["Ana", "Ana", "Sam", "Ana", "Ana", "Sam"]
        .iter()
        .enumerate()
    {
        let at = days_ago(i as i64 + 1);
        let connection = (2 + i % 3).to_string();
        d.write(&[
            "--kind",
            "conversation",
            "--no-prompt",
            "--at",
            &at,
            "--person",
            person,
            "--field",
            &format!("connection={connection}"),
            "--field",
            "setting=one-on-one",
            "--field",
            "felt-heard=partly",
            "--tag",
            "family",
            "--steadiness",
            "4",
            "--body",
            "Tea and a long talk on the balcony.",
        ]);
    }
    for i in 0..4 {
        let at = days_ago(i * 2 + 1);
        d.write(&[
            "--kind",
            "grounding",
            "--no-prompt",
            "--at",
            &at,
            "--field",
            "technique=breathing",
            "--field",
            "distress-before=7",
            "--field",
            "distress-after=3",
            "--steadiness",
            "3",
            "--body",
            "Slow breaths by the window.",
        ]);
    }
    d.write(&[
        "--kind",
        "micro-win",
        "--no-prompt",
        "--field",
        "win-type=paused",
        "--field",
        "what-i-did=waited before answering",
        "--tag",
        "work",
        "--body",
        "Paused before answering an email that stung.",
    ]);
    let id = d.write(&[
        "--kind",
        "conversation",
        "--no-prompt",
        "--person",
        "Ana",
        "--field",
        "connection=4",
        "--field",
        "setting=small-gathering",
        "--field",
        "felt-heard=yes",
        "--field",
        "did-differently=asked a question back",
        "--tag",
        "family",
        "--steadiness",
        "4",
        "--notes",
        "Remember to call on Sunday.",
        "--body",
        "Dinner with Ana and her friends.\n\nShe asked how I was and I answered honestly.",
    ]);
    let server = d.ui(&["--no-sync"]);
    let out = browser.run(
        "a11y.mjs",
        &[
            ("OPENING_URL", server.opening_url.clone()),
            ("ENTRY_ID", id),
            shots_env(),
        ],
    );
    stdout("a11y.mjs", &out);

    let dir = screenshots();
    for from in ["timeline-light.png", "write-light.png"] {
        let bytes = std::fs::read(dir.join(from)).unwrap_or_else(|e| panic!("{from}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG"), "{from} is a PNG");
    }
    // The README's two pictures: refreshed on request only, so that a test
    // run never changes files of the repository.
    if std::env::var("UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&docs).expect("docs/screenshots");
        for (from, to) in [
            ("timeline-light.png", "timeline.png"),
            ("write-light.png", "write.png"),
        ] {
            std::fs::copy(dir.join(from), docs.join(to)).expect("copy screenshot");
        }
    }
    for page in [
        "write", "timeline", "entry", "insights", "crisis", "devices", "data",
    ] {
        for scheme in ["light", "dark"] {
            let shot = dir.join(format!("{page}-{scheme}.png"));
            assert!(shot.exists(), "{} is missing", shot.display());
        }
    }
}
