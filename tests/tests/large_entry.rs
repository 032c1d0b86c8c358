//! One large entry travels in parts and stops nothing: a 5 MB entry written
//! on one device arrives intact on another through the real relay at its
//! default envelope limit (256 KiB), and the entries written after it arrive too.

use std::path::Path;

use attune_e2e::{block_on, journal_with_devices as devices, open_store, Device, Relay};
use attune_proto::{RelaySeq, StoredEnvelope};
use serde_json::Value;

/// The relay's default `max_envelope_bytes`.
const RELAY_ENVELOPE_LIMIT: usize = 256 * 1024;

/// About `bytes` bytes of text that does not compress away (a paste of a long letter).
fn pasted_text(bytes: usize) -> String {
    let words = [
        "river", "letter", "quiet", "Ana", "walked", "morning", "breath", "slow",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        text.push_str(words[(state % words.len() as u64) as usize]);
        text.push_str(&format!("{} ", state % 1000));
    }
    text.truncate(bytes);
    text
}

/// Sync; the JSON report, whether or not the command reported problems.
fn sync(d: &Device) -> Value {
    let out = d.sync();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "sync printed no report:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn problems(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Every envelope the relay holds, page after page, fetched as the store's device.
fn every_envelope(relay: &Relay, store: &attune_client::Store) -> Vec<StoredEnvelope> {
    block_on(async {
        let client = attune_client::sync::RelayClient::connect(
            &relay.url,
            store.config().journal().expect("journal id"),
            store.config().device_id,
            store.identity(),
            None,
        )
        .await
        .expect("connect to the relay");
        let mut all: Vec<StoredEnvelope> = Vec::new();
        loop {
            let after = all.last().map_or(RelaySeq(0), |e| e.relay_seq);
            let page = client.pull(after, 1000).await.expect("pull");
            if page.envelopes.is_empty() {
                return all;
            }
            all.extend(page.envelopes);
        }
    })
}

/// Writes a `bytes`-long entry from a file, then two small ones; their ids and the body.
fn write_large_then_small(a: &Device, dir: &Path, bytes: usize) -> (Vec<String>, String) {
    let body = pasted_text(bytes);
    let file = dir.join("pasted.txt");
    std::fs::write(&file, &body).unwrap();
    let large = a.write(&["--body-file", file.to_str().unwrap()]);
    let small1 = a.write(&["--body", "A short note after the long letter."]);
    let small2 = a.write(&["--kind", "micro-win", "--body", "paused before answering"]);
    (vec![large, small1, small2], body)
}

/// `b` lists all of `ids`, with the large one's body byte for byte.
fn assert_arrived(b: &Device, ids: &[String], body: &str) {
    let listed = b.json(&["list", "--json"]);
    let listed: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    for id in ids {
        assert!(
            listed.contains(&id.as_str()),
            "{id} missing from {listed:?}"
        );
    }
    let shown = b.json(&["show", &ids[0], "--json"]);
    let got = shown["body"].as_str().expect("a body");
    assert_eq!(got.len(), body.len(), "the large body's length");
    assert!(got == body, "the large body arrived changed");
    let small = b.json(&["show", &ids[2], "--json"]);
    assert_eq!(small["body"], "paused before answering");
}

#[test]
fn a_five_megabyte_entry_travels_in_parts_and_the_entries_after_it_follow() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);
    let (ids, body) = write_large_then_small(a, tmp.path(), 5 * 1024 * 1024);

    let report = sync(a);
    assert!(problems(&report).is_empty(), "{report}");
    let (records, envelopes) = open_store(a).pending_counts().unwrap();
    assert_eq!((records, envelopes), (0, 0), "everything left the laptop");

    let report = sync(b);
    assert!(problems(&report).is_empty(), "{report}");
    assert_arrived(b, &ids, &body);

    // What the relay holds: every envelope within its default limit.
    let store = open_store(b);
    let laptop = open_store(a).config().device_id;
    let sizes: Vec<usize> = every_envelope(&relay, &store)
        .iter()
        .filter(|e| e.envelope.device_id == laptop)
        .map(|e| e.envelope.encode().len())
        .collect();
    let largest = sizes.iter().copied().max().unwrap_or(0);
    eprintln!(
        "laptop's envelopes: {} (largest {largest} bytes, {} bytes in all)",
        sizes.len(),
        sizes.iter().sum::<usize>()
    );
    assert!(largest <= RELAY_ENVELOPE_LIMIT, "{largest} bytes");
    assert!(
        sizes.len() > 20,
        "5 MB in parts of under 256 KiB: {sizes:?}"
    );
}

#[test]
fn a_crash_midway_through_sealing_parts_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);
    let (ids, body) = write_large_then_small(a, tmp.path(), 1024 * 1024);

    // The files as they were before sealing: the change records and the sync state.
    let outbox = a.dir.join("outbox");
    let records: Vec<(std::path::PathBuf, Vec<u8>)> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "chg"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    assert_eq!(records.len(), 3);
    let state_file = a.dir.join("sync-state");
    let state_before = std::fs::read(&state_file).unwrap();
    {
        let store = open_store(a);
        let mut state = attune_client::sync::SyncState::load(&store).unwrap();
        let sealed = attune_client::sync::seal_outbox(&store, &mut state).unwrap();
        assert!(sealed > 4, "a 1 MiB entry is sealed in parts: {sealed}");
    }
    // The crash: only the first two parts reached the disk; nothing else changed.
    let mut kept: Vec<_> = std::fs::read_dir(outbox.join("envelopes"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    kept.sort();
    for late in &kept[2..] {
        std::fs::remove_file(late).unwrap();
    }
    std::fs::write(&state_file, &state_before).unwrap();
    for (path, bytes) in &records {
        std::fs::write(path, bytes).unwrap();
    }

    // The next sync seals everything again from part 0 and pushes it.
    let report = sync(a);
    assert!(problems(&report).is_empty(), "{report}");
    let report = sync(b);
    let seen = problems(&report);
    assert!(
        seen.len() == 1 && seen[0].contains("stopped after 2 of its"),
        "the unfinished copy is dropped and said so: {seen:?}"
    );
    assert_arrived(b, &ids, &body);
    assert_eq!(a.snapshot(), b.snapshot(), "identical journals");
}
