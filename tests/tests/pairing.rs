//! Pairing by short code through the real relay, a relay in the middle that
//! swaps the PAKE messages, a wrong code, and an expired code.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use attune_e2e::{binary, journal_with_devices, Device, Relay};

/// Start `attune device pair --yes` on `d`; returns the process and the code it shows.
fn start_pairing(d: &Device) -> (Child, String) {
    let mut child = Command::new(binary("attune"))
        .arg("--dir")
        .arg(&d.dir)
        .args(["device", "pair", "--yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let code = loop {
        let line = lines.next().expect("pair prints a code").unwrap();
        if let Some(rest) = line.trim().strip_prefix("attune join ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, code)
}

fn device_count(d: &Device) -> usize {
    d.json(&["device", "list", "--json"])["devices"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn a_third_device_pairs_by_code_while_the_others_keep_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);
    a.write(&["--body", "before pairing"]);
    a.ok(&["sync"]);

    let (mut pairing, code) = start_pairing(a);
    assert!(code.split('-').count() == 3, "{code}");
    // Meanwhile the desktop keeps writing and syncing.
    let writer = {
        let dir = b.dir.clone();
        std::thread::spawn(move || {
            let b = Device::new(dir);
            for i in 0..5 {
                b.write(&["--body", &format!("desktop during pairing {i}")]);
                b.ok(&["sync"]);
            }
        })
    };
    let c = Device::new(tmp.path().join("phone"));
    let out = c.ok(&[
        "join",
        &code,
        "--relay",
        &relay.url,
        "--name",
        "phone",
        "--no-passphrase",
    ]);
    assert!(out.contains("part of the journal"), "{out}");
    assert!(pairing.wait().unwrap().success());
    writer.join().unwrap();
    for _ in 0..2 {
        for dev in [a, b, &c] {
            dev.ok(&["sync"]);
        }
    }
    assert_eq!(a.snapshot(), c.snapshot());
    assert_eq!(b.snapshot(), c.snapshot());
    assert!(c
        .json(&["list", "--json"])
        .to_string()
        .contains("desktop during pairing 4"));
    let names = a.json(&["device", "list", "--json"])["devices"].to_string();
    assert!(names.contains("phone"), "{names}");
}

#[test]
fn a_wrong_code_fails_cleanly_on_both_sides() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["laptop"]);
    let a = &d[0];
    let before = device_count(a);
    let (mut pairing, code) = start_pairing(a);
    let number = code.split('-').next().unwrap();
    let wrong = format!("{number}-wrong-words");
    let c = Device::new(tmp.path().join("phone"));
    let out = c.run(&["join", &wrong, "--relay", &relay.url, "--no-passphrase"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing was changed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = pairing.wait().unwrap();
    assert!(!status.success(), "the existing side fails too");
    assert!(!c.dir.exists(), "the new device left nothing behind");
    assert_eq!(device_count(a), before, "no device was added");
    // The code is spent: the right code no longer works either.
    let out = c.run(&["join", &code, "--relay", &relay.url, "--no-passphrase"]);
    assert!(!out.status.success());
}

#[test]
fn an_expired_code_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(
        &tmp.path().join("relay"),
        "127.0.0.1:0",
        "info",
        &["--pairing-ttl-secs", "1"],
    );
    let d = journal_with_devices(tmp.path(), &relay, &["laptop"]);
    let a = &d[0];
    let (mut pairing, code) = start_pairing(a);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let c = Device::new(tmp.path().join("phone"));
    let out = c.run(&["join", &code, "--relay", &relay.url, "--no-passphrase"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("expired") || err.contains("no pairing"),
        "{err}"
    );
    assert!(!pairing.wait().unwrap().success());
    assert!(!c.dir.exists());
    assert_eq!(
        device_count(a),
        2,
        "laptop and its recovery kit, nobody else"
    );
}

/// A relay in the middle: forwards everything to the real relay but swaps
/// each side's first pairing message (its PAKE message) for its own, made
/// with a guessed code.
async fn mitm_proxy(upstream: String) -> String {
    use axum::body::Bytes;
    use axum::extract::Request;
    use axum::response::{IntoResponse, Response};
    let client = reqwest::Client::new();
    let swapped = Arc::new(std::sync::Mutex::new(
        std::collections::HashSet::<String>::new(),
    ));
    let app = axum::Router::new().fallback(move |req: Request| {
        let client = client.clone();
        let upstream = upstream.clone();
        let swapped = swapped.clone();
        async move {
            let method = req.method().clone();
            let path = req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let auth = req.headers().get("authorization").cloned();
            let mut body: Bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            if method == axum::http::Method::POST && path.starts_with("/v1/pairing/") {
                let first = swapped.lock().unwrap().insert(path.clone());
                if first {
                    let role = if path.ends_with("/existing") {
                        attune_crypto::PairingRole::Existing
                    } else {
                        attune_crypto::PairingRole::New
                    };
                    let number = path.split('/').nth(3).unwrap_or("0");
                    let (_, forged) =
                        attune_crypto::start_pairing(&format!("{number}-guessed-words"), role);
                    body = Bytes::from(forged);
                }
            }
            let mut forwarded = client
                .request(method, format!("{upstream}{path}"))
                .body(body);
            if let Some(a) = auth {
                forwarded = forwarded.header("authorization", a);
            }
            match forwarded.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let bytes = resp.bytes().await.unwrap_or_default();
                    Response::builder()
                        .status(status.as_u16())
                        .body(axum::body::Body::from(bytes))
                        .unwrap()
                }
                Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[test]
fn a_relay_in_the_middle_swapping_keys_makes_pairing_fail_on_both_sides() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt.block_on(mitm_proxy(relay.url.clone()));
    let a = Device::new(tmp.path().join("laptop"));
    a.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    a.ok(&["relay", "set", &proxy]);
    a.ok(&["sync"]);
    let before = device_count(&a);
    let (mut pairing, code) = start_pairing(&a);
    let c = Device::new(tmp.path().join("phone"));
    let out = c.run(&["join", &code, "--relay", &proxy, "--no-passphrase"]);
    assert!(
        !out.status.success(),
        "the new device must not join through a meddling relay"
    );
    let status = pairing.wait().unwrap();
    assert!(!status.success(), "the existing device refuses too");
    assert!(!c.dir.exists());
    a.ok(&["sync"]);
    assert_eq!(device_count(&a), before, "no device was added");
    drop(rt);
}

#[test]
fn passphrase_protected_devices_pair_and_keep_their_passphrases() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let pass_a = tmp.path().join("pass-a");
    let pass_c = tmp.path().join("pass-c");
    std::fs::write(&pass_a, "laptop passphrase\n").unwrap();
    std::fs::write(&pass_c, "phone passphrase\n").unwrap();
    let a = Device::new(tmp.path().join("laptop"));
    let with_a = |args: &[&str]| {
        let mut all = vec!["--passphrase-file", pass_a.to_str().unwrap()];
        all.extend_from_slice(args);
        a.ok(&all)
    };
    with_a(&["init", "--name", "laptop"]);
    with_a(&["relay", "set", &relay.url]);
    with_a(&["write", "--body", "behind a passphrase"]);
    with_a(&["sync"]);

    let mut child = Command::new(binary("attune"))
        .arg("--dir")
        .arg(&a.dir)
        .args([
            "--passphrase-file",
            pass_a.to_str().unwrap(),
            "device",
            "pair",
            "--yes",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let code = loop {
        let line = lines.next().expect("a code").unwrap();
        if let Some(rest) = line.trim().strip_prefix("attune join ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let c = Device::new(tmp.path().join("phone"));
    c.ok(&[
        "--passphrase-file",
        pass_c.to_str().unwrap(),
        "join",
        &code,
        "--relay",
        &relay.url,
    ]);
    assert!(child.wait().unwrap().success());
    // The phone's key is protected by its own passphrase, not the laptop's.
    assert!(!c.run(&["list"]).status.success());
    assert!(!c
        .run(&["--passphrase-file", pass_a.to_str().unwrap(), "list"])
        .status
        .success());
    let listed = c.ok(&["--passphrase-file", pass_c.to_str().unwrap(), "list"]);
    assert!(listed.contains("behind a passphrase"), "{listed}");
}
