//! `attune insights` through the real binary: words, plots, `--json` with sample
//! sizes and thresholds, SVG files, on this day, and the complete safety plan.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use attune_core::Timestamp;
use attune_e2e::{binary, Device};
use serde_json::Value;

const DAY_MS: i64 = 86_400_000;

/// `YYYY-MM-DD 12:00`, `days` days ago (UTC dates, noon keeps any offset on the same day).
fn days_ago(days: i64) -> String {
    let now = attune_client::store::now_ms();
    let (y, m, d) = Timestamp::new(now - days * DAY_MS, 0).local_date();
    format!("{y:04}-{m:02}-{d:02} 12:00")
}

fn journal() -> (tempfile::TempDir, Device) {
    let tmp = tempfile::tempdir().unwrap();
    let d = Device::new(tmp.path().join("j"));
    d.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    for (i, person) in ["Ana", "Ana", "Ana", "Ana", "Ana", "Sam"]
        .iter()
        .enumerate()
    {
        let at = days_ago(i as i64 + 1);
        d.write(&[
            "--kind",
            "conversation",
            "--no-prompt",
            "--at",
            &at,
            "--person",
            person,
            "--field",
            "connection=4",
            "--field",
            "setting=one-on-one",
            "--field",
            "did-differently=asked a question back",
            "--steadiness",
            "4",
        ]);
    }
    (tmp, d)
}

#[test]
fn insights_show_patterns_with_their_sample_sizes_and_end_with_the_crisis_pointer() {
    let (_tmp, d) = journal();
    let out = d.ok(&["insights"]);
    assert!(
        out.contains("Ana: 4.0 of 5 on average (5 conversations)"),
        "{out}"
    );
    assert!(
        out.contains("    not enough entries yet to show a pattern (conversations with Sam: 4 more would do)"),
        "{out}"
    );
    assert!(
        out.contains("One thing to carry forward: “asked a question back”."),
        "{out}"
    );
    assert!(
        out.contains("A year of connection") && out.contains("Steadiness over time"),
        "{out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some(
            "If today is heavy: `attune crisis` shows crisis lines and your safety plan, offline."
        )
    );
    for word in ["streak", "failed", "missed", "grade", "score"] {
        assert!(!out.to_lowercase().contains(word), "{word} in:\n{out}");
    }
    // One area alone ends with the pointer too.
    let grounding = d.ok(&["insights", "grounding"]);
    assert!(grounding.starts_with("Grounding:") && grounding.contains("`attune crisis`"));
    let wrong = d.run(&["insights", "streaks"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("this-week, connection"));
}

#[test]
fn json_carries_every_sample_size_and_threshold() {
    let (_tmp, d) = journal();
    let v = d.json(&["insights", "connection", "--json"]);
    assert_eq!(v["version"], 1);
    let people = v["connection"]["by_person"].as_array().unwrap();
    let ana = people
        .iter()
        .find(|p| p["samples"][0]["n"] == 5)
        .expect("Ana");
    assert_eq!(ana["shown"], true);
    assert_eq!(ana["samples"][0]["threshold"], 5);
    assert_eq!(ana["pattern"]["mean"], 4.0);
    let sam = people
        .iter()
        .find(|p| p["samples"][0]["n"] == 1)
        .expect("Sam");
    assert_eq!(
        (sam["shown"].clone(), sam["more_needed"].clone()),
        (Value::Bool(false), Value::from(4))
    );
    assert!(sam["pattern"].is_null());
    let all = d.json(&["insights", "--json"]);
    for key in [
        "this_week",
        "connection",
        "routines",
        "setbacks",
        "grounding",
        "micro_wins",
        "reframes",
        "on_this_day",
    ] {
        assert!(all.get(key).is_some(), "{key}");
    }
}

#[test]
fn svg_files_are_written_for_every_plot() {
    let (tmp, d) = journal();
    let dir = tmp.path().join("plots");
    d.ok(&["insights", "--svg", dir.to_str().unwrap()]);
    for name in ["calendar", "weekly", "heat-map", "steadiness", "grounding"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.svg"))).expect(name);
        assert!(
            text.starts_with("<svg") && text.contains("<title") && text.contains("<desc"),
            "{name}"
        );
        assert!(text.contains("attune crisis"), "{name}");
    }
}

#[test]
fn on_this_day_hides_setbacks_unless_asked() {
    let (_tmp, d) = journal();
    let now = attune_client::store::now_ms();
    let (y, m, day) = Timestamp::new(now, 0).local_date();
    if (m, day) == (2, 29) {
        return; // A year ago has no such date; the library's tests cover leap days.
    }
    let year_ago = format!("{:04}-{m:02}-{day:02} 12:00", y - 1);
    d.write(&[
        "--kind",
        "note",
        "--no-prompt",
        "--at",
        &year_ago,
        "--body",
        "first snow",
    ]);
    d.write(&[
        "--kind",
        "setback",
        "--no-prompt",
        "--at",
        &year_ago,
        "--field",
        "what-happened=a hard call",
    ]);
    let shown = d.json(&["insights", "on-this-day", "--json"]);
    let memories = shown["on_this_day"]["memories"].as_array().unwrap();
    assert_eq!(memories.len(), 1, "{shown}");
    assert_eq!(memories[0]["kind"], "note");
    assert_eq!(memories[0]["years_ago"], 1);
    assert_eq!(shown["on_this_day"]["hard_left_out"], 1);
    let asked = d.json(&["insights", "on-this-day", "--json", "--include-hard"]);
    assert_eq!(
        asked["on_this_day"]["memories"].as_array().unwrap().len(),
        2
    );
    let text = d.ok(&["insights", "on-this-day"]);
    assert!(
        text.contains("1 year ago") && text.contains("first snow"),
        "{text}"
    );
    assert!(!text.contains("a hard call"), "{text}");
}

#[test]
fn the_safety_plan_has_every_section_and_edits_one_at_a_time() {
    let (tmp, d) = journal();
    d.ok(&["crisis", "add", "people", "Ana 555-0100"]);
    d.ok(&["crisis", "add", "distractions", "the library"]);
    d.ok(&["crisis", "add", "safer-surroundings", "pills kept at Ana's"]);
    // An editor that adds one line to whatever it is given.
    let editor = tmp.path().join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\necho '- my cat' >> \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(binary("attune"))
        .arg("--dir")
        .arg(&d.dir)
        .args(["crisis", "edit", "reasons"])
        .env("EDITOR", &editor)
        .env_remove("VISUAL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = &d.json(&["crisis", "--json"])["plan"];
    assert_eq!(plan["reasons"], serde_json::json!(["my cat"]));
    assert_eq!(plan["people"], serde_json::json!(["Ana 555-0100"]));
    assert_eq!(plan["distractions"], serde_json::json!(["the library"]));
    assert_eq!(
        plan["safer_surroundings"],
        serde_json::json!(["pills kept at Ana's"])
    );
    let text = d.ok(&["crisis"]);
    assert!(
        text.contains("Reasons to keep going:") && text.contains("Making my surroundings safer:"),
        "{text}"
    );
    assert!(!d.run(&["crisis", "edit", "nope"]).status.success());
}
