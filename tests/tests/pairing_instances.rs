//! Pairing behind a load balancer: two real relay processes share one
//! PostgreSQL schema; the existing device opens the rendezvous through relay
//! one, the new device joins through relay two, and then syncs. On the way,
//! a stranger who knows the number cannot close the rendezvous, and walking
//! unknown numbers is cut off per address.
//!
//! Two relay processes on one SQLite file are not a supported setup (the
//! embedded database has no cross-instance fan-out; several instances need
//! PostgreSQL), so this runs on PostgreSQL only. Without PostgreSQL it fails
//! loudly, or with `ATTUNE_SKIP_POSTGRES=1` prints SKIPPED (`attune_testkit::pg`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use attune_e2e::{binary, Device, Relay};
use attune_proto::{ErrorBody, PairingCancel, WIRE_VERSION};
use attune_testkit::pg;

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
    std::thread::spawn(move || for _ in lines {});
    (child, code)
}

/// The status and refusal code of a request.
async fn refusal(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    let code = serde_json::from_slice::<ErrorBody>(&body)
        .map(|b| b.error)
        .unwrap_or_default();
    (status, code)
}

#[test]
fn a_device_pairs_through_another_relay_instance_and_then_syncs() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(schema) = rt.block_on(pg::schema()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = schema.url();
    let start = |name: &str| {
        Relay::start_with(
            &tmp.path().join(name),
            "127.0.0.1:0",
            "info",
            &["--database", &url],
        )
    };
    let (one, two) = (start("one"), start("two"));

    let a = Device::new(tmp.path().join("laptop"));
    a.init_with_relay("laptop", &one);
    a.write(&["--body", "written before pairing"]);
    a.ok(&["sync"]);

    let (mut pairing, code) = start_pairing(&a);
    let number: u32 = code.split('-').next().unwrap().parse().unwrap();
    assert!(number <= 999_999, "{code}");

    // A stranger who knows the number, through the other instance: refused.
    let http = reqwest::Client::new();
    let forged = PairingCancel {
        v: WIRE_VERSION,
        cancel_token: [0; 32],
    };
    let (status, error) = rt.block_on(refusal(
        http.delete(format!("{}/v1/pairing/{number}", two.url))
            .body(forged.encode()),
    ));
    assert_eq!((status, error.as_str()), (403, "pairing_cancel_refused"));

    // The new device joins through relay two.
    let c = Device::new(tmp.path().join("phone"));
    let out = c.ok(&[
        "join",
        &code,
        "--relay",
        &two.url,
        "--name",
        "phone",
        "--no-passphrase",
    ]);
    assert!(out.contains("part of the journal"), "{out}");
    assert!(pairing.wait().unwrap().success());
    assert!(c
        .json(&["list", "--json"])
        .to_string()
        .contains("written before pairing"));

    // The joined device syncs through its instance; the other sees its entry.
    c.write(&["--body", "written by the paired phone"]);
    c.ok(&["sync"]);
    a.ok(&["sync"]);
    assert!(a
        .json(&["list", "--json"])
        .to_string()
        .contains("written by the paired phone"));
    assert_eq!(a.snapshot(), c.snapshot());

    // The rendezvous was closed by its devices (with the token): nobody posts to it any more.
    let (status, error) = rt.block_on(refusal(
        http.post(format!("{}/v1/pairing/{number}/new", one.url))
            .body(vec![1, 2, 3]),
    ));
    assert_eq!((status, error.as_str()), (409, "pairing_closed"));

    // Walking numbers that do not exist is cut off for this address.
    let unknown = if number == 1 { 2 } else { number - 1 };
    let mut codes = Vec::new();
    for _ in 0..12 {
        let (status, error) = rt.block_on(refusal(
            http.get(format!("{}/v1/pairing/{unknown}/new?after=0", two.url)),
        ));
        codes.push((status, error));
    }
    assert_eq!(codes[0], (404, "unknown_pairing".to_string()));
    assert_eq!(
        codes.last().unwrap(),
        &(429, "too_many_pairing_lookups".to_string()),
        "{codes:?}"
    );
    drop((one, two));
}
