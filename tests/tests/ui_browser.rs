//! `attune ui` in a real browser: Debian's chromium driven by the
//! playwright-core scripts in `tests/browser/`, against the real `attune`,
//! `attune ui` and `attune-relay` processes. Each test prepares journals and
//! servers, runs one script, then checks the journals through the CLI.
//!
//! Screenshots go to `$CARGO_TARGET_DIR/ui-screenshots/` (or
//! `target/ui-screenshots/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use attune_core::Timestamp;
use attune_e2e::{synced_devices, Device, Relay};
use serde_json::Value;

fn screenshots() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .to_string_lossy()
            .into_owned()
    });
    let dir = PathBuf::from(target).join("ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

fn shots_env() -> (&'static str, String) {
    ("SCREENSHOTS", screenshots().to_string_lossy().into_owned())
}

fn stdout(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{text}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// A fresh journal with no relay.
fn journal(tmp: &Path) -> Device {
    let d = Device::new(tmp.join("laptop"));
    d.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    d
}

fn entry_by_body<'a>(list: &'a Value, needle: &str) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|e| e["body"].as_str().is_some_and(|b| b.contains(needle)))
        .unwrap_or_else(|| panic!("no entry with {needle:?} in {list:#}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
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
    stdout(&out);
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
    // The test kit builds a missing `attune-relay` with `cargo build --bin
    // attune-relay` in the current directory. From `tests/` (where cargo runs
    // this test) that sees only this package's targets and fails, so run it
    // from the workspace root, whose default members hold the relay.
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .expect("cd to the workspace root");
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
    let text = stdout(&out);
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
    let text = stdout(&out);
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
    stdout(&out);

    let dir = screenshots();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&docs).expect("docs/screenshots");
    for (from, to) in [
        ("timeline-light.png", "timeline.png"),
        ("write-light.png", "write.png"),
    ] {
        let bytes = std::fs::read(dir.join(from)).unwrap_or_else(|e| panic!("{from}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG"), "{from} is a PNG");
        std::fs::write(docs.join(to), bytes).expect("copy screenshot");
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

/// `curl` against the server; answers (status, headers lowercased).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-D", "-", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl");
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("curl {args:?}: no status in {head:?}"));
    (status, head.to_lowercase())
}

fn session_cookie(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_string())
        .filter(|c| c.starts_with("attune_ui="))
        .unwrap_or_else(|| panic!("no attune_ui cookie in {head}"))
}

#[test]
fn refusals_and_no_entry_text_in_titles_urls_or_logs() {
    let Some(browser) = attune_e2e::browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = journal(tmp.path());

    // The refusals, with curl, against one server.
    let server = d.ui(&["--no-sync"]);
    let origin = server.origin.clone();
    let port = origin.rsplit(':').next().expect("port").to_string();
    let real = server.opening_url.clone();
    let token_at = real.find("token=").expect("token") + "token=".len();
    let wrong = format!("{}{}", &real[..token_at], "0".repeat(64));

    let (status, _) = curl(&[
        "-H",
        &format!("Host: evil.example:{port}"),
        &format!("{origin}/"),
    ]);
    assert_eq!(status, 421, "a foreign Host header");
    println!("ok - Host: evil.example → 421");
    let (status, _) = curl(&[&wrong]);
    assert_eq!(status, 403, "a wrong token");
    println!("ok - a wrong token → 403");
    let (status, head) = curl(&[&real]);
    assert!(
        (300..400).contains(&status),
        "the real token after a wrong one: {status}\n{head}"
    );
    let cookie = session_cookie(&head);
    assert!(
        head.contains("httponly") && head.contains("samesite=strict"),
        "{head}"
    );
    println!("ok - the real token still works after a wrong one ({status})");
    let (status, _) = curl(&[&real]);
    assert_eq!(status, 403, "the real token a second time");
    println!("ok - the real token a second time → 403");

    let (status, _) = curl(&[
        "-H",
        &format!("Cookie: {cookie}"),
        &format!("{origin}/api/session"),
    ]);
    assert_eq!(status, 200, "the cookie works");
    let (status, _) = curl(&[
        "-H",
        &format!("Cookie: {cookie}"),
        "-H",
        "Origin: http://evil.example",
        &format!("{origin}/api/session"),
    ]);
    assert_eq!(status, 403, "a foreign Origin with the cookie");
    println!("ok - Origin: http://evil.example with the cookie → 403");
    let (status, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Origin: {origin}"),
        "-H",
        "Content-Type: application/json",
        "--data",
        "{}",
        &format!("{origin}/api/entries/list"),
    ]);
    assert_eq!(status, 401, "no cookie");
    println!("ok - no cookie on /api/entries/list → 401");
    let create = r#"{"kind":"micro-win","body":"curl control entry"}"#;
    let (status, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Cookie: {cookie}"),
        "-H",
        "Content-Type: application/json",
        "--data",
        create,
        &format!("{origin}/api/entries"),
    ]);
    assert_eq!(status, 403, "a change without Origin");
    println!("ok - POST /api/entries without Origin → 403");
    let (status, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Cookie: {cookie}"),
        "-H",
        &format!("Origin: {origin}"),
        "-H",
        "Content-Type: text/plain",
        "--data",
        create,
        &format!("{origin}/api/entries"),
    ]);
    assert_eq!(status, 415, "text/plain");
    println!("ok - POST /api/entries as text/plain → 415");
    let (status, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Cookie: {cookie}"),
        "-H",
        &format!("Origin: {origin}"),
        "-H",
        "Content-Type: application/json",
        "--data",
        create,
        &format!("{origin}/api/entries"),
    ]);
    assert_eq!(status, 201, "the same request done right is accepted");
    let (status, head) = curl(&["-H", &format!("Cookie: {cookie}"), &format!("{origin}/")]);
    assert_eq!(status, 200, "{head}");
    let csp = head
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no CSP in {head}"));
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(head.contains("x-frame-options: deny"), "{head}");
    println!("ok - CSP and X-Frame-Options are set");
    assert_eq!(
        d.json(&["list", "--json"]).as_array().map(Vec::len),
        Some(1),
        "only the accepted request wrote"
    );
    drop(server);

    // The browser part, on a fresh server (and a fresh log).
    let server = d.ui(&["--no-sync"]);
    let body = "Velvet thunderstorm over the pomegranate orchard";
    let out = browser.run(
        "leaks.mjs",
        &[
            ("OPENING_URL", server.opening_url.clone()),
            ("BODY", body.to_string()),
            ("EDIT_WORD", "zeppelin".to_string()),
            ("SEARCH_WORD", "pomegranate".to_string()),
            (
                "SECRET_WORDS",
                "velvet,thunderstorm,pomegranate,orchard,zeppelin".to_string(),
            ),
            shots_env(),
        ],
    );
    let text = stdout(&out);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("ENTRY_ID="))
        .expect("the script printed the entry id")
        .trim()
        .to_string();
    let log = server.log_text();
    drop(server);
    assert!(
        log.contains("ui request"),
        "the server logged its requests:\n{log}"
    );
    assert!(log.contains("/api/entries/search"), "{log}");
    for word in [
        "velvet",
        "thunderstorm",
        "pomegranate",
        "orchard",
        "zeppelin",
        id.as_str(),
    ] {
        assert!(
            !log.to_lowercase().contains(word),
            "the log holds {word:?}:\n{log}"
        );
    }
    assert!(
        !log.contains("token="),
        "the log holds the opening token:\n{log}"
    );
    let shown = d.json(&["show", &id, "--json"]);
    assert_eq!(shown["body"], format!("{body} zeppelin"), "{shown:#}");
    assert_eq!(strings(&shown["tags"]), ["leakcheck"], "{shown:#}");
}
