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
