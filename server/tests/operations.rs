//! Operations endpoints of the real relay binary: `/readyz` and `/metrics`.

mod common;

use std::process::Stdio;

use common::process::spawn_relay;

#[tokio::test]
async fn readyz_answers_and_metrics_count_refusals_by_reason() {
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_str().unwrap().to_string();
    let relay = spawn_relay(&["--data", &data_path], "info", Stdio::null());
    let base = relay.base.clone();
    let http = reqwest::Client::new();

    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");

    // Two malformed challenges and one unknown route.
    for _ in 0..2 {
        let resp = http
            .post(format!("{base}/v1/journals/{}/challenge", "ab".repeat(16)))
            .body(vec![1, 2, 3])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
    }
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    let refusals = text
        .lines()
        .find(|l| {
            l.starts_with("attune_relay_refusals_total") && l.contains("reason=\"malformed\"")
        })
        .unwrap_or_else(|| panic!("no malformed refusals in:\n{text}"));
    assert!(refusals.trim_end().ends_with(" 2"), "{refusals}");
    drop(relay);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_ids_and_never_a_token() {
    use std::io::Read;

    use common::process::login;
    use common::{genesis, journal, Device};

    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_str().unwrap().to_string();
    let mut relay = spawn_relay(
        &["--data", &data_path, "--log-format", "json"],
        "info",
        Stdio::piped(),
    );
    let base = relay.base.clone();
    let http = reqwest::Client::new();
    let (d, j) = (Device::new(1), journal(1));
    let token = login(&http, &base, j, &d, Some(genesis(j, &[&d], &d))).await;
    let pull = http
        .get(format!("{base}/v1/journals/{j}/envelopes?after=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(pull.status(), 200);
    // A token in a query string (as WebSocket clients send it) is not logged either.
    let ws = http
        .get(format!("{base}/v1/journals/{j}/ws?token={token}"))
        .send()
        .await
        .unwrap();
    assert!(ws.status().is_client_error());

    let pid = relay.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    relay.child.wait().unwrap();
    let mut stderr = String::new();
    relay
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();

    assert!(!stderr.contains(&token), "a token was logged:\n{stderr}");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for line in &lines {
        assert!(line["timestamp"].is_string(), "{line}");
        assert!(line["level"].is_string(), "{line}");
        assert!(line["target"].is_string(), "{line}");
        assert!(line["fields"]["message"].is_string(), "{line}");
    }
    let messages: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(messages.contains(&"relay started"), "{messages:?}");
    assert!(messages.contains(&"shut down cleanly"), "{messages:?}");
    let served = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "request served"
                && l["span"]["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/envelopes"))
        })
        .unwrap_or_else(|| panic!("no request line for the pull:\n{stderr}"));
    assert_eq!(served["fields"]["status"], 200);
    assert_eq!(served["span"]["method"], "GET");
    assert_eq!(served["span"]["journal_id"], j.to_string());
    assert_eq!(served["span"]["device_id"], d.id.to_string());
    assert!(served["span"]["request_id"].is_string());
    assert!(served["fields"]["latency_us"].is_u64());
}

#[test]
fn settings_come_from_flags_then_environment_then_file_then_defaults() {
    use attune_relay::settings::Overrides;
    use attune_relay::Config;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("relay.toml");
    std::fs::write(
        &file,
        "max_body_bytes = 1000\nrequest_timeout_secs = 2\nws_idle_timeout_secs = 3\n",
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_attune-relay"))
            .args(["--print-config", "--max-body-bytes", "3000"])
            .env("ATTUNE_RELAY_CONFIG", file)
            .env("ATTUNE_RELAY_MAX_BODY_BYTES", "2000")
            .env("ATTUNE_RELAY_REQUEST_TIMEOUT_SECS", "20")
            .env("ATTUNE_RELAY_DATABASE", "postgres://u:secret@h/d")
            .output()
            .unwrap()
    };
    let out = run(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(!shown.contains("secret"), "{shown}");
    let settings = Overrides::from_toml(&shown).unwrap();
    assert_eq!(settings.max_body_bytes, Some(3000), "flag over environment");
    assert_eq!(
        settings.request_timeout_secs,
        Some(20),
        "environment over file"
    );
    assert_eq!(settings.ws_idle_timeout_secs, Some(3), "file over default");
    assert_eq!(
        settings.max_envelope_bytes,
        Some(Config::default().max_envelope_bytes),
        "default"
    );

    // A misspelt key stops the relay with a message that names it.
    std::fs::write(&file, "max_body_byte = 1000\n").unwrap();
    let out = run(&file);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("max_body_byte"), "{stderr}");
    assert!(stderr.contains("relay.toml"), "{stderr}");
}
