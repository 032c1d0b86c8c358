//! Crashes: `kill -9` of the relay in the middle of a burst of pushes, and of a
//! client in the middle of a sync; SIGTERM of the relay in the middle of a
//! burst, with a live client that must reconnect. Nothing acknowledged is
//! lost, nothing is duplicated, and the devices converge.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use attune_e2e::{binary, journal_with_devices, Device, Relay, NO_RATE_LIMITS};

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

    let mut watch = a.watch();
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

/// Writes and syncs in a loop until `stop`: what it wrote, and how many of
/// those (a prefix) a successful sync acknowledged. `acked` is shared progress.
fn write_and_sync(
    d: &Device,
    name: &str,
    stop: &AtomicBool,
    acked: &AtomicUsize,
) -> (Vec<String>, usize) {
    let mut written = Vec::new();
    let mut acknowledged = 0;
    while !stop.load(Ordering::SeqCst) {
        written.push(d.write(&["--body", &format!("{name} burst entry {}", written.len())]));
        // Success means every entry written so far is stored and acknowledged:
        // a sync seals the whole outbox and pushes until it is empty.
        if d.sync().status.success() {
            acknowledged = written.len();
            acked.store(acknowledged, Ordering::SeqCst);
        }
    }
    (written, acknowledged)
}

fn ids(d: &Device) -> Vec<String> {
    d.json(&["list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn sigterm_of_the_relay_during_a_live_burst_loses_no_acknowledged_entry_and_watch_reconnects() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let mut relay = Relay::start_with(&data, "127.0.0.1:0", "info", NO_RATE_LIMITS);
    let addr = relay.addr();
    let mut d = journal_with_devices(tmp.path(), &relay, &["a", "b", "c", "reader"]);
    let reader = d.pop().unwrap();
    let (c, b, a) = (d.pop().unwrap(), d.pop().unwrap(), d.pop().unwrap());

    // A syncs live (its reports go to a file); B and C write and sync in loops;
    // A writes too, and its watch pushes.
    let reports = tmp.path().join("watch-a.jsonl");
    let mut watch = Command::new(binary("attune"))
        .arg("--dir")
        .arg(&a.dir)
        .args(["sync", "--watch", "--json"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&reports).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stop = AtomicBool::new(false);
    let progress = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let (tallies, written_on_a) = std::thread::scope(|s| {
        let looping: Vec<_> = [(&b, "b"), (&c, "c")]
            .into_iter()
            .zip(&progress)
            .map(|((d, name), acked)| {
                let stop = &stop;
                s.spawn(move || write_and_sync(d, name, stop, acked))
            })
            .collect();
        let writing_a = s.spawn(|| {
            let mut written = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                written.push(a.write(&["--body", &format!("a burst entry {}", written.len())]));
                std::thread::sleep(Duration::from_millis(50));
            }
            written
        });
        wait_until(
            "acknowledged writes before SIGTERM",
            Duration::from_secs(120),
            || progress.iter().all(|p| p.load(Ordering::SeqCst) >= 8),
        );
        let status = relay.terminate();
        assert!(status.success(), "clean exit on SIGTERM: {status:?}");
        // The devices carry on against the stopped relay for a moment.
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::SeqCst);
        let tallies: Vec<(Vec<String>, usize)> =
            looping.into_iter().map(|t| t.join().unwrap()).collect();
        (tallies, writing_a.join().unwrap())
    });
    for (name, (written, acked)) in ["b", "c"].iter().zip(&tallies) {
        assert!(
            *acked >= 8 && acked < &written.len(),
            "{name}: {acked} of {} acknowledged; the burst did not span the SIGTERM",
            written.len()
        );
    }

    // Restarted on the same data and address. Before B or C syncs again, a
    // device that never wrote finds every entry the stopped relay acknowledged.
    relay = Relay::start_with(&data, &addr, "info", NO_RATE_LIMITS);
    reader.ok(&["sync"]);
    let on_reader = ids(&reader);
    for (name, (written, acked)) in ["b", "c"].iter().zip(&tallies) {
        for id in &written[..*acked] {
            assert!(
                on_reader.contains(id),
                "{name}'s acknowledged entry {id} was lost"
            );
        }
    }

    // A's watch was told the relay closed the connection, reconnects by itself,
    // pushes what A wrote meanwhile, and receives live again.
    wait_until(
        "the watch to reconnect and drain A's outbox",
        Duration::from_secs(60),
        || pending(&a) == 0,
    );
    b.write(&["--body", "after the restart"]);
    b.ok(&["sync"]);
    wait_until(
        "live delivery to A after the restart",
        Duration::from_secs(30),
        || {
            a.json(&["list", "--json"])
                .to_string()
                .contains("after the restart")
        },
    );
    let _ = watch.kill();
    let _ = watch.wait();
    let reports = std::fs::read_to_string(&reports).unwrap();
    assert!(
        reports.contains("the relay closed the live connection"),
        "the watch did not see the relay close its connection:\n{reports}"
    );

    // Everything written anywhere, acknowledged or not, reaches every device once.
    for _ in 0..2 {
        for d in [&a, &b, &c, &reader] {
            d.ok(&["sync"]);
        }
    }
    let mut expected: Vec<&String> = written_on_a.iter().collect();
    for (written, _) in &tallies {
        expected.extend(written);
    }
    for d in [&a, &b, &c, &reader] {
        let got = ids(d);
        for id in &expected {
            assert!(got.contains(id), "{} lacks entry {id}", d.dir.display());
        }
        assert_eq!(got.len(), expected.len() + 1, "nothing duplicated");
        assert_eq!(d.snapshot(), a.snapshot());
    }
    eprintln!(
        "{} entries ({} acknowledged by B and C before SIGTERM) in {:.1?}",
        expected.len() + 1,
        tallies.iter().map(|(_, acked)| acked).sum::<usize>(),
        started.elapsed()
    );
    drop(relay);
}
