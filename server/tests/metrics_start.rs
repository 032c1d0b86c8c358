//! `/metrics` of the real relay binary before its first request: every series
//! is there at zero, described once, then moves when something happens.

mod common;

use std::process::Stdio;

use attune_proto::ErrorCode;
use common::process::spawn_relay;

const COUNTERS: &[&str] = &[
    "attune_relay_envelopes_stored_total",
    "attune_relay_envelope_bytes_stored_total",
    "attune_relay_envelopes_served_total",
    "attune_relay_snapshots_stored_total",
    "attune_relay_snapshot_bytes_served_total",
    "attune_relay_envelopes_compacted_total",
];
const REFUSALS: &str = "attune_relay_refusals_total";
const GAUGE: &str = "attune_relay_live_connections";
const HISTOGRAMS: &[&str] = &[
    "attune_relay_push_commit_seconds",
    "attune_relay_fanout_seconds",
];

/// The value of the sample named exactly `series` (name and labels), if present.
fn sample<'a>(text: &'a str, series: &str) -> Option<&'a str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(str::trim)
}

fn refusals(code: ErrorCode) -> String {
    format!("{REFUSALS}{{reason=\"{}\"}}", code.as_str())
}

fn assert_sample(text: &str, series: &str, expected: &str) {
    let value = sample(text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
    assert_eq!(value, expected, "{series}");
}

/// `# HELP` and `# TYPE` lines appear once per metric, with the right type.
fn assert_described_once(text: &str, name: &str, kind: &str) {
    let help = format!("# HELP {name} ");
    let count = text.lines().filter(|l| l.starts_with(&help)).count();
    assert_eq!(count, 1, "HELP of {name} in:\n{text}");
    let kind_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(&format!("# TYPE {name} ")))
        .collect();
    assert_eq!(kind_lines, [format!("# TYPE {name} {kind}")], "{text}");
}

async fn scrape(http: &reqwest::Client, base: &str) -> String {
    let response = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn every_series_is_exported_at_zero_from_the_start_then_counts() {
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_str().unwrap().to_string();
    let relay = spawn_relay(&["--data", &data_path], "warn", Stdio::null());
    let base = relay.base.clone();
    let http = reqwest::Client::new();

    // The very first request the relay serves.
    let text = scrape(&http, &base).await;
    for name in COUNTERS {
        assert_described_once(&text, name, "counter");
        assert_sample(&text, name, "0");
    }
    assert_described_once(&text, REFUSALS, "counter");
    for &code in ErrorCode::ALL {
        assert_sample(&text, &refusals(code), "0");
    }
    assert_described_once(&text, GAUGE, "gauge");
    assert_sample(&text, GAUGE, "0");
    for name in HISTOGRAMS {
        assert_described_once(&text, name, "histogram");
        assert_sample(&text, &format!("{name}_bucket{{le=\"+Inf\"}}"), "0");
        assert_sample(&text, &format!("{name}_count"), "0");
        assert_sample(&text, &format!("{name}_sum"), "0");
    }
    // Labels are the refusal reason and the bucket bound only: no ids.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('{'))
    {
        let labels = &line[line.find('{').unwrap() + 1..line.find('}').unwrap()];
        let key = labels.split('=').next().unwrap();
        assert!(key == "reason" || key == "le", "unexpected label in {line}");
    }

    // One refusal made by a handler (a malformed challenge), one by the router
    // (an unknown path) and one by middleware (a method the route does not take).
    let challenge = format!("{base}/v1/journals/{}/challenge", "ab".repeat(16));
    let response = http
        .post(&challenge)
        .body(vec![1, 2, 3])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = http
        .get(format!("{base}/no/such/path"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = http.delete(&challenge).send().await.unwrap();
    assert_eq!(response.status(), 405);

    let text = scrape(&http, &base).await;
    let moved = [
        ErrorCode::Malformed,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
    ];
    for &code in ErrorCode::ALL {
        let expected = if moved.contains(&code) { "1" } else { "0" };
        assert_sample(&text, &refusals(code), expected);
    }
    assert_described_once(&text, REFUSALS, "counter");
    drop(relay);
}
