//! Crashes: `kill -9` of the relay in the middle of a burst of pushes, and of a
//! client in the middle of a sync. Nothing acknowledged is lost, nothing is
//! duplicated, and the devices converge.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attune_e2e::{binary, journal_with_devices, Device, Relay};

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn pending(d: &Device) -> u64 {
    let s = d.json(&["status", "--json"]);
    s["pending_changes"].as_u64().unwrap_or(0) + s["pending_envelopes"].as_u64().unwrap_or(0)
}

#[test]
fn kill_9_of_the_relay_during_a_live_burst_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let mut relay = Relay::start(&data);
    let addr = relay.addr();
    let a = Device::new(tmp.path().join("a"));
    a.init_with_relay("a", &relay);
    a.ok(&["sync"]);
    let b = Device::new(tmp.path().join("b"));
    b.join("b", &a, &relay);

    let mut watch = Command::new(binary("attune"))
        .arg("--dir")
        .arg(&a.dir)
        .args(["sync", "--watch", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(a.write(&["--body", &format!("burst entry {i}")]));
        if i == 15 {
            relay.kill9();
        }
        if i == 22 {
            relay = Relay::start_on(&data, &addr, "info");
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    wait_until(
        "the live sync to drain the outbox",
        Duration::from_secs(60),
        || pending(&a) == 0,
    );
    let _ = watch.kill();
    let _ = watch.wait();

    b.ok(&["sync"]);
    let on_b = b.json(&["list", "--json"]);
    let got: Vec<&str> = on_b
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(got.contains(&id.as_str()), "entry {id} was lost");
    }
    assert_eq!(got.len(), ids.len(), "nothing duplicated");
    a.ok(&["sync"]);
    assert_eq!(a.snapshot(), b.snapshot());
    drop(relay);
}

#[test]
fn kill_9_of_a_client_mid_sync_then_the_next_sync_converges() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let mut d = journal_with_devices(tmp.path(), &relay, &["a", "b"]);
    let (b, a) = (d.pop().unwrap(), d.pop().unwrap());
    for round in 0..3 {
        for i in 0..30 {
            // Separate syncs make many envelopes, so the kill lands mid-transfer.
            a.write(&["--body", &format!("round {round} entry {i}")]);
            if i % 3 == 0 {
                a.ok(&["sync"]);
            }
        }
        // Kill a pushing A and a pulling B at staggered moments.
        for (device, delay_ms) in [(&a, 5 + round * 7), (&b, 10 + round * 11)] {
            let mut child = Command::new(binary("attune"))
                .arg("--dir")
                .arg(&device.dir)
                .arg("sync")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay_ms));
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    for _ in 0..2 {
        a.ok(&["sync"]);
        b.ok(&["sync"]);
    }
    assert_eq!(a.json(&["list", "--json"]).as_array().unwrap().len(), 90);
    assert_eq!(a.snapshot(), b.snapshot());
    assert!(b.ok(&["check"]).contains("reads correctly"));
}

#[test]
fn sigterm_stops_the_relay_cleanly_and_its_data_survives() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let mut relay = Relay::start(&data);
    let a = Device::new(tmp.path().join("a"));
    a.init_with_relay("a", &relay);
    a.write(&["--body", "before the restart"]);
    a.ok(&["sync"]);
    let status = relay.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let relay = Relay::start(&data);
    a.ok(&["relay", "set", &relay.url]);
    let b = Device::new(tmp.path().join("b"));
    b.join("b", &a, &relay);
    assert_eq!(a.snapshot(), b.snapshot());
}
