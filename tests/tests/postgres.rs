//! Devices split across two real relay instances on one PostgreSQL converge,
//! live: what one device writes through instance A reaches, over its
//! WebSocket, a device connected to instance B. And when instance A is killed
//! mid-burst and its devices fail over to B, nothing acknowledged is lost.

use attune_testkit::pg;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;

use attune_e2e::{Device, Relay, NO_RATE_LIMITS};

fn watch(d: &Device) -> Child {
    d.watch()
}

/// Two relay instances sharing the PostgreSQL schema at `url`.
fn two_instances(tmp: &std::path::Path, url: &str) -> (Relay, Relay) {
    let start = |name: &str| {
        Relay::start_with(&tmp.join(name), "127.0.0.1:0", "info", &["--database", url])
    };
    (start("one"), start("two"))
}

fn wait_for(d: &Device, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if d.json(&["list", "--json"]).to_string().contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn devices_on_two_instances_of_one_postgres_converge_live() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(schema) = rt.block_on(pg::schema()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = schema.url();
    let (one, two) = two_instances(tmp.path(), &url);

    let a = Device::new(tmp.path().join("a"));
    a.init_with_relay("a", &one);
    a.write(&["--body", "written before b joined"]);
    a.ok(&["sync"]);
    let b = Device::new(tmp.path().join("b"));
    b.join("b", &a, &two);
    assert!(b
        .json(&["list", "--json"])
        .to_string()
        .contains("written before b joined"));

    let mut watch_a = watch(&a);
    let mut watch_b = watch(&b);
    std::thread::sleep(Duration::from_millis(500));
    a.write(&["--body", "through instance one"]);
    b.write(&["--body", "through instance two"]);
    let arrived = wait_for(&b, "through instance one") && wait_for(&a, "through instance two");
    let _ = watch_a.kill();
    let _ = watch_b.kill();
    let _ = (watch_a.wait(), watch_b.wait());
    assert!(arrived, "live delivery across instances");
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(a.snapshot(), b.snapshot());
    drop((one, two));
}

/// One device's share of a burst: what it wrote, and what the relay acknowledged.
#[derive(Default)]
struct Tally {
    /// Every entry written, in order.
    written: Vec<String>,
    /// How many of `written` (a prefix) a successful sync acknowledged.
    acked: usize,
    /// Syncs that failed through A (dead, not yet left for B).
    failed_on_a: usize,
    /// Why syncs through B failed (there should be none).
    failed_on_b: Vec<String>,
}

/// How far a device's burst has got, for the test to time the kill and the failover.
#[derive(Default)]
struct Progress {
    /// Entries acknowledged so far.
    acked: AtomicUsize,
    /// Entries acknowledged through B since an instance-A device moved there.
    acked_after_move: AtomicUsize,
}

/// Writes and syncs in a loop until `stop`; a device of instance A moves to
/// `url_b` once `failed_over` is set (as a load balancer would send it there).
fn burst(
    d: &Device,
    name: &str,
    on_a: bool,
    url_b: &str,
    failed_over: &AtomicBool,
    stop: &AtomicBool,
    progress: &Progress,
) -> Tally {
    let mut tally = Tally::default();
    let mut moved = false;
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        if on_a && !moved && failed_over.load(Ordering::SeqCst) {
            d.ok(&["relay", "set", url_b]);
            moved = true;
        }
        tally
            .written
            .push(d.write(&["--body", &format!("{name} burst entry {i}")]));
        i += 1;
        // Success means every entry written so far is stored and acknowledged:
        // a sync seals the whole outbox and pushes until it is empty.
        let sync = d.sync();
        if sync.status.success() {
            let new = tally.written.len() - tally.acked;
            tally.acked = tally.written.len();
            progress.acked.fetch_add(new, Ordering::SeqCst);
            if moved {
                progress.acked_after_move.fetch_add(new, Ordering::SeqCst);
            }
        } else if on_a && !moved {
            tally.failed_on_a += 1;
        } else {
            tally.failed_on_b.push(format!(
                "{}{}",
                String::from_utf8_lossy(&sync.stdout),
                String::from_utf8_lossy(&sync.stderr)
            ));
        }
    }
    tally
}

fn wait_until(what: &str, timeout: Duration, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn kill_9_of_one_instance_mid_burst_then_failover_to_the_other_loses_no_acknowledged_entry() {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(schema) = rt.block_on(pg::schema()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = schema.url();
    // Four busy devices, all on 127.0.0.1 (see NO_RATE_LIMITS).
    let mut args = vec!["--database", &url];
    args.extend_from_slice(NO_RATE_LIMITS);
    let mut relay_a = Relay::start_with(&tmp.path().join("relay-a"), "127.0.0.1:0", "info", &args);
    let relay_b = Relay::start_with(&tmp.path().join("relay-b"), "127.0.0.1:0", "info", &args);

    // a1, a2 use instance A; b1, b2 instance B.
    let a1 = Device::new(tmp.path().join("a1"));
    a1.init_with_relay("a1", &relay_a);
    a1.ok(&["sync"]);
    let a2 = Device::new(tmp.path().join("a2"));
    a2.join("a2", &a1, &relay_a);
    let b1 = Device::new(tmp.path().join("b1"));
    b1.join("b1", &a1, &relay_b);
    let b2 = Device::new(tmp.path().join("b2"));
    b2.join("b2", &a1, &relay_b);
    let devices = [
        (&a1, "a1", true),
        (&a2, "a2", true),
        (&b1, "b1", false),
        (&b2, "b2", false),
    ];
    for (d, _, on_a) in devices {
        let relay = d.json(&["status", "--json"])["relay"].clone();
        let expected = if on_a { &relay_a.url } else { &relay_b.url };
        assert_eq!(relay, serde_json::json!(expected));
    }
    let setup = started.elapsed();

    let failed_over = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let progress: Vec<Progress> = devices.iter().map(|_| Progress::default()).collect();
    let tallies: Vec<Tally> =
        std::thread::scope(|s| {
            let threads: Vec<_> = devices
                .iter()
                .zip(&progress)
                .map(|(&(d, name, on_a), progress)| {
                    let (url_b, failed_over, stop) = (&relay_b.url, &failed_over, &stop);
                    s.spawn(move || burst(d, name, on_a, url_b, failed_over, stop, progress))
                })
                .collect();
            // Every device gets some entries acknowledged; then A dies mid-burst.
            wait_until(
                "acknowledged writes before the kill",
                Duration::from_secs(120),
                || {
                    progress
                        .iter()
                        .all(|p| p.acked.load(Ordering::SeqCst) >= 10)
                },
            );
            relay_a.kill9();
            let at_kill: Vec<usize> = progress
                .iter()
                .map(|p| p.acked.load(Ordering::SeqCst))
                .collect();
            // The load balancer notices a moment later and sends A's devices to B.
            std::thread::sleep(Duration::from_millis(500));
            failed_over.store(true, Ordering::SeqCst);
            wait_until(
                "acknowledged writes after the failover",
                Duration::from_secs(120),
                || {
                    devices.iter().zip(&progress).zip(&at_kill).all(
                        |((&(_, _, on_a), p), &at_kill)| {
                            if on_a {
                                p.acked_after_move.load(Ordering::SeqCst) >= 10
                            } else {
                                p.acked.load(Ordering::SeqCst) >= at_kill + 10
                            }
                        },
                    )
                },
            );
            stop.store(true, Ordering::SeqCst);
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
    let burst_time = started.elapsed() - setup;

    // Instance B served throughout; the devices of A failed only while A was
    // dead and before they moved (at least the sync the kill interrupted or the next one).
    for (tally, (_, name, on_a)) in tallies.iter().zip(devices) {
        assert!(
            tally.failed_on_b.is_empty(),
            "{name}: syncs through B failed: {:#?}",
            tally.failed_on_b
        );
        assert_eq!(
            tally.failed_on_a > 0,
            on_a,
            "{name}: the kill did not land mid-burst"
        );
        eprintln!(
            "{name} (on {}): {} written, {} acknowledged, {} syncs failed on A",
            if on_a { "A, then B" } else { "B" },
            tally.written.len(),
            tally.acked,
            tally.failed_on_a
        );
    }

    // Everyone syncs through B until nothing is pending anywhere.
    for _ in 0..2 {
        for (d, _, _) in devices {
            d.ok(&["sync"]);
        }
    }
    let reference = a1.snapshot();
    for (d, name, _) in devices {
        let list = d.json(&["list", "--json"]);
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        for (tally, (_, writer, _)) in tallies.iter().zip(devices) {
            for id in &tally.written[..tally.acked] {
                assert!(
                    ids.contains(&id.as_str()),
                    "{name} lacks {writer}'s acknowledged entry {id}"
                );
            }
            // Unacknowledged writes stayed in the outbox and went out later.
            for id in &tally.written[tally.acked..] {
                assert!(
                    ids.contains(&id.as_str()),
                    "{name} lacks {writer}'s entry {id}"
                );
            }
        }
        let written: usize = tallies.iter().map(|t| t.written.len()).sum();
        assert_eq!(ids.len(), written, "{name}: nothing lost or duplicated");
        assert_eq!(d.snapshot(), reference, "{name} did not converge");
    }

    // In the database B serves from: the journal's relay sequences are 1..=head.
    let journal: attune_proto::JournalId = a1.json(&["status", "--json"])["journal_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (head, compacted, seqs) = rt.block_on(async {
        let mut conn = sqlx::PgConnection::connect_with(&schema.options())
            .await
            .unwrap();
        let (head, compacted): (i64, i64) = sqlx::query_as(
            "SELECT head_seq, compacted_through FROM journals WHERE journal_id = $1",
        )
        .bind(&journal.0[..])
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let seqs: Vec<i64> = sqlx::query_scalar(
            "SELECT relay_seq FROM envelopes WHERE journal_id = $1 ORDER BY relay_seq",
        )
        .bind(&journal.0[..])
        .fetch_all(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        (head, compacted, seqs)
    });
    assert_eq!(compacted, 0, "nothing was compacted in this burst");
    assert!(head > 0);
    assert_eq!(
        seqs,
        (1..=head).collect::<Vec<_>>(),
        "relay sequences have gaps"
    );
    eprintln!(
        "setup {setup:.1?}, burst {burst_time:.1?}, total {:.1?}, {head} envelopes",
        started.elapsed()
    );
    drop(relay_b);
}

#[test]
fn a_device_revoked_through_one_instance_cannot_push_live_through_the_other() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(schema) = rt.block_on(pg::schema()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = schema.url();
    let (one, two) = two_instances(tmp.path(), &url);
    let a = Device::new(tmp.path().join("laptop"));
    a.init_with_relay("laptop", &one);
    a.ok(&["sync"]);
    // The stolen device talks to instance two and keeps its live socket open.
    let t = Device::new(tmp.path().join("stolen"));
    t.join("stolen", &a, &two);
    let mut watch_t = watch(&t);
    t.write(&["--body", "the stolen device, before"]);
    let before = (0..300).any(|_| {
        a.ok(&["sync"]);
        let seen = a
            .json(&["list", "--json"])
            .to_string()
            .contains("the stolen device, before");
        if !seen {
            std::thread::sleep(Duration::from_millis(100));
        }
        seen
    });
    assert!(before, "the live push through instance two arrived");

    // Revoked through instance one; it writes on, live, through instance two.
    let t_id = t.json(&["status", "--json"])["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    let stored_of_t = || {
        attune_e2e::relay_envelopes(&one, &attune_e2e::open_store(&a))
            .iter()
            .filter(|e| e.envelope.device_id.to_string() == t_id)
            .count()
    };
    let stored_before = stored_of_t();
    a.ok(&["device", "revoke", &t_id[..8]]);
    t.write(&["--body", "the stolen device, after its revocation"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while watch_t.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the revoked device's watch was not stopped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        stored_of_t(),
        stored_before,
        "the relay stored a revoked device's push"
    );
    a.ok(&["sync"]);
    let listed = a.json(&["list", "--json"]).to_string();
    assert!(!listed.contains("after its revocation"), "{listed}");
    let out = t.run(&["sync"]);
    assert!(!out.status.success());
    drop((one, two));
}
