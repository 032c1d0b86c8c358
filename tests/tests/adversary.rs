//! A misbehaving relay, played by the test: replayed, reordered and forged
//! envelopes handed to a device's sync engine are rejected and never applied.

use attune_client::sync::{process_envelopes, SyncReport, SyncState};
use attune_client::Store;
use attune_e2e::{journal_with_devices, open_store, relay_envelopes, Relay};
use attune_proto::{DeviceSeq, Epoch, RelaySeq, StoredEnvelope};

fn ids(store: &mut Store) -> Vec<String> {
    store
        .list(&attune_core::Query::default())
        .unwrap()
        .iter()
        .map(|e| e.id.to_string())
        .collect()
}

#[test]
fn replayed_reordered_and_forged_envelopes_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let mut d = journal_with_devices(tmp.path(), &relay, &["a", "b"]);
    let (b, a) = (d.pop().unwrap(), d.pop().unwrap());
    let mut written = Vec::new();
    for i in 0..3 {
        written.push(a.write(&["--body", &format!("entry {i}")]));
        a.ok(&["sync"]);
    }
    let mut store = open_store(&b);
    let envelopes = relay_envelopes(&relay, &store);
    let head = envelopes.last().unwrap().relay_seq.0;
    let a_device: attune_proto::DeviceId = a.json(&["status", "--json"])["device_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let from_a: Vec<&StoredEnvelope> = envelopes
        .iter()
        .filter(|e| e.envelope.device_id == a_device)
        .collect();
    let n = from_a.len();
    assert!(n >= 3);

    // 1. Reordered: B has seen everything up to A's third-from-last envelope;
    //    the relay numbers A's last envelope before the one before it.
    let mut state = SyncState::load(&store).unwrap();
    let mut report = SyncReport::default();
    let keep = from_a[n - 3].relay_seq.0;
    let before: Vec<StoredEnvelope> = envelopes
        .iter()
        .filter(|e| e.relay_seq.0 <= keep)
        .cloned()
        .collect();
    process_envelopes(&mut store, &mut state, &before, &mut report).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let (mut last, mut prev) = (from_a[n - 1].clone(), from_a[n - 2].clone());
    std::mem::swap(&mut last.relay_seq, &mut prev.relay_seq);
    let swapped = vec![last, prev];
    let mut report = SyncReport::default();
    process_envelopes(&mut store, &mut state, &swapped, &mut report).unwrap();
    assert!(
        report.problems.iter().any(|p| p.contains("missing")),
        "{:?}",
        report.problems
    );
    assert!(
        !ids(&mut store).contains(&written[2]),
        "the out-of-order envelope was not applied"
    );
    assert!(
        state.cursor < from_a[n - 1].relay_seq.0,
        "the cursor stays before the gap so it is asked for again"
    );

    // The next normal sync fetches what was held back, in order, and converges.
    drop(store);
    b.ok(&["sync"]);
    assert_eq!(a.snapshot(), b.snapshot());
    let mut store = open_store(&b);
    let mut state = SyncState::load(&store).unwrap();

    // 2. Replayed: an envelope already applied, served again under a new relay number.
    let mut replay = from_a[n - 2].clone();
    replay.relay_seq = RelaySeq(head + 10);
    let mut report = SyncReport::default();
    process_envelopes(&mut store, &mut state, &[replay], &mut report).unwrap();
    assert!(
        report.problems.iter().any(|p| p.contains("replay")),
        "{:?}",
        report.problems
    );

    // Even a thousand of them, numbered one after the other, are never
    // applied and never count toward an automatic snapshot.
    let applied_before = state.applied_envelopes;
    let replays: Vec<StoredEnvelope> = (0..1000)
        .map(|i| {
            let mut replay = from_a[n - 2].clone();
            replay.relay_seq = RelaySeq(head + 11 + i);
            replay
        })
        .collect();
    let mut report = SyncReport::default();
    process_envelopes(&mut store, &mut state, &replays, &mut report).unwrap();
    assert!(
        report.problems.iter().any(|p| p.contains("replay")),
        "{:?}",
        report.problems
    );
    assert_eq!(report.received, 0);
    assert_eq!(state.applied_envelopes, applied_before);

    // 3. Forged: sealed with the right journal key but signed by a key not in the roster,
    //    once claiming to be A and once as an unknown device. (A sync has just
    //    verified the roster, so an unknown sender is refused, not waited for.)
    state.roster_fresh = true;
    let intruder = attune_crypto::DeviceIdentity::generate();
    let ring = store.keyring();
    let (epoch, key) = ring.for_roster(state.roster().unwrap()).unwrap();
    let last_a = &from_a[n - 1].envelope;
    let batch = attune_client::sync::ChangeBatch::of(vec![], "intruder").encode();
    for claimed in [a_device, attune_proto::DeviceId([0x42; 16])] {
        let forged = attune_crypto::seal_envelope(
            key,
            &intruder,
            last_a.journal_id,
            claimed,
            Epoch(epoch.0),
            DeviceSeq(last_a.device_seq.0 + 1),
            last_a.hash(),
            &batch,
        )
        .unwrap();
        let mut report = SyncReport::default();
        let stored = StoredEnvelope {
            relay_seq: RelaySeq(head + 20),
            received_unix: 0,
            envelope: forged,
        };
        process_envelopes(&mut store, &mut state, &[stored], &mut report).unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("refused envelope")),
            "{:?}",
            report.problems
        );
    }
    drop(store);
    assert_eq!(
        a.snapshot(),
        b.snapshot(),
        "nothing forged or replayed was applied"
    );

    // The fake relay numbers above claimed a history longer than the relay's:
    // the next real sync says the relay went back in time.
    let out = b.run(&["sync"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("back in time"));
}
