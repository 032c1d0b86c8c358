//! Property test: three devices, random interleavings of writes, edits of a
//! shared entry, syncs, and shuffled duplicate deliveries — all converge.

use attune_client::sync::{process_envelopes, sync_once, SyncReport, SyncState};
use attune_client::Store;
use attune_core::{Edit, NewEntry, Query, Timestamp};
use attune_e2e::{open_store, relay_envelopes, Device, Relay};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Write(usize),
    EditShared(usize, u8),
    Sync(usize),
    ShuffledDuplicates(usize, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..3).prop_map(Op::Write),
        3 => (0usize..3, any::<u8>()).prop_map(|(d, w)| Op::EditShared(d, w)),
        3 => (0usize..3).prop_map(Op::Sync),
        2 => (0usize..3, any::<u64>()).prop_map(|(d, s)| Op::ShuffledDuplicates(d, s)),
    ]
}

fn journal(store: &mut Store) -> Vec<attune_core::Entry> {
    let mut all = store.list(&Query::default()).unwrap();
    all.extend(
        store
            .list(&Query {
                deleted: true,
                ..Default::default()
            })
            .unwrap(),
    );
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn three_devices_converge_whatever_the_interleaving(ops in prop::collection::vec(op(), 5..25)) {
        let tmp = tempfile::tempdir().unwrap();
        let relay = Relay::start(&tmp.path().join("relay"));
        let first = Device::new(tmp.path().join("d0"));
        first.init_with_relay("d0", &relay);
        let shared = first.write(&["--body", "shared start"]);
        first.ok(&["sync"]);
        let mut devices = vec![first];
        for i in 1..3 {
            let d = Device::new(tmp.path().join(format!("d{i}")));
            d.join(&format!("d{i}"), &devices[0], &relay);
            devices.push(d);
        }
        let shared_id: attune_core::EntryId = shared.parse().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut words = Vec::new();
        for (n, op) in ops.iter().enumerate() {
            let now = Timestamp::new(1_800_000_000_000 + n as i64 * 1000, 0);
            match op {
                Op::Write(d) => {
                    let mut store = open_store(&devices[*d]);
                    store.create(now, NewEntry { body: format!("entry {n} on device {d}"), ..Default::default() }).unwrap();
                }
                Op::EditShared(d, w) => {
                    let mut store = open_store(&devices[*d]);
                    let word = format!(" w{n}x{w}");
                    let len = store.get(shared_id).unwrap().body.chars().count();
                    store.edit(shared_id, now, &[Edit::SpliceBody { pos: len, delete: 0, insert: word.clone() }]).unwrap();
                    words.push(word.trim().to_string());
                }
                Op::Sync(d) => {
                    let mut store = open_store(&devices[*d]);
                    rt.block_on(sync_once(&mut store)).unwrap();
                }
                Op::ShuffledDuplicates(d, seed) => {
                    let mut store = open_store(&devices[*d]);
                    let mut envelopes = relay_envelopes(&relay, &store);
                    let dup = envelopes.clone();
                    envelopes.extend(dup);
                    let mut s = *seed | 1;
                    for i in (1..envelopes.len()).rev() {
                        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                        envelopes.swap(i, (s % (i as u64 + 1)) as usize);
                    }
                    let mut state = SyncState::load(&store).unwrap();
                    let mut report = SyncReport::default();
                    process_envelopes(&mut store, &mut state, &envelopes, &mut report).unwrap();
                }
            }
        }
        // Everyone syncs until quiet.
        for _ in 0..2 {
            for d in &devices {
                let mut store = open_store(d);
                let report = rt.block_on(sync_once(&mut store)).unwrap();
                prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
            }
        }
        let reference = journal(&mut open_store(&devices[0]));
        for d in &devices[1..] {
            prop_assert_eq!(&journal(&mut open_store(d)), &reference);
        }
        let body = reference.iter().find(|e| e.id == shared_id).unwrap().body.clone();
        for w in &words {
            prop_assert!(body.contains(w.as_str()), "lost {} in {:?}", w, body);
        }
    }
}
