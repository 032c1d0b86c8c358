//! Snapshots and revocation: a removed device's snapshot, and one that covers
//! a removed device beyond the last envelope its removal recorded, are refused.

mod common;

use attune_crypto::{open_snapshot, seal_snapshot, verify_roster_chain, CryptoError};
use attune_proto::{
    Cover, DeviceSeq, Envelope, Epoch, RelaySeq, Snapshot, SnapshotHeader, WIRE_VERSION,
};
use common::{Device, Journal};

/// A snapshot by `author` under the key of `epoch`, covering each device up to the given envelope.
fn snapshot(j: &Journal, author: &Device, epoch: Epoch, covers: &[&Envelope]) -> Snapshot {
    let mut covers: Vec<Cover> = covers
        .iter()
        .map(|env| Cover {
            device_id: env.device_id,
            device_seq: env.device_seq,
            hash: env.hash(),
        })
        .collect();
    covers.sort_by_key(|cover| cover.device_id);
    let header = SnapshotHeader {
        v: WIRE_VERSION,
        journal_id: j.id,
        device_id: author.id,
        epoch,
        cursor: RelaySeq(10),
        covers,
        created_unix: 1_700_000_000,
    };
    seal_snapshot(j.key(epoch), &author.identity, header, b"documents").unwrap()
}

fn open(j: &Journal, snapshot: &Snapshot) -> Result<Vec<u8>, CryptoError> {
    open_snapshot(snapshot, &j.rosters, &j.keys, j.id).map(|plain| plain.to_vec())
}

const AUTHOR_REMOVED: CryptoError =
    CryptoError::BadSnapshot("its author was removed from the journal");
const BEYOND_REMOVAL: CryptoError =
    CryptoError::BadSnapshot("it holds changes a removed device made after its removal");

#[test]
fn a_snapshot_by_a_revoked_device_is_refused() {
    let mut j = Journal::new();
    let a_envs = j.chain_of(&j.a, 2);
    let b_envs = j.chain_of(&j.b, 2);
    // B's snapshot while it is a member opens.
    let by_b = snapshot(&j, &j.b, Epoch(1), &[&a_envs[1], &b_envs[1]]);
    assert_eq!(open(&j, &by_b).unwrap(), b"documents");
    let known = j.rosters.clone();

    // A removes B, having applied all of B's envelopes.
    let (v3, key) = j.revocation(&j.a, j.b.id, b_envs.last());
    j.adopt(v3, key);
    verify_roster_chain(&j.rosters, j.id).unwrap();
    // The same snapshot is no longer trusted: it may as well have been made after the removal.
    assert_eq!(open(&j, &by_b), Err(AUTHOR_REMOVED));
    // One B makes afterwards with the epoch-1 key it kept, covering only its recorded history.
    let later = snapshot(&j, &j.b, Epoch(1), &[&a_envs[1], &b_envs[0]]);
    assert_eq!(open(&j, &later), Err(AUTHOR_REMOVED));
    // At the new epoch (say B learnt its key) B is in no roster of that epoch.
    let at_new = snapshot(&j, &j.b, Epoch(2), &[&a_envs[1], &b_envs[1]]);
    assert_eq!(
        open(&j, &at_new),
        Err(CryptoError::BadSnapshot(
            "its author is not a device of this journal"
        ))
    );
    // A device that has not learnt of the removal yet still takes B's snapshot.
    assert_eq!(
        open_snapshot(&by_b, &known, &j.keys, j.id)
            .unwrap()
            .as_slice(),
        b"documents"
    );

    // A's snapshot of the same history opens, at either epoch.
    for epoch in [Epoch(1), Epoch(2)] {
        let by_a = snapshot(&j, &j.a, epoch, &[&a_envs[1], &b_envs[1]]);
        assert_eq!(open(&j, &by_a).unwrap(), b"documents");
    }
}

#[test]
fn a_snapshot_covering_a_revoked_device_beyond_its_record_is_refused() {
    let mut j = Journal::new();
    let a_envs = j.chain_of(&j.a, 1);
    let b_envs = j.chain_of(&j.b, 3);
    // A removes B having applied only B's first two envelopes; envelope 3 is B's after the record.
    let (v3, key) = j.revocation(&j.a, j.b.id, Some(&b_envs[1]));
    j.adopt(v3, key);
    verify_roster_chain(&j.rosters, j.id).unwrap();
    assert_eq!(
        j.latest().revoked_device(j.b.id).unwrap().last_seq,
        DeviceSeq(2)
    );

    // Covering B up to its record, below it, or not at all: fine.
    for covers in [
        vec![&a_envs[0], &b_envs[1]],
        vec![&a_envs[0], &b_envs[0]],
        vec![&a_envs[0]],
    ] {
        for epoch in [Epoch(1), Epoch(2)] {
            let by_a = snapshot(&j, &j.a, epoch, &covers);
            assert_eq!(open(&j, &by_a).unwrap(), b"documents");
        }
    }
    // Covering B's envelope after the record (which a member may have applied
    // before it learnt of the removal) is refused, whoever signed it, at any epoch.
    for epoch in [Epoch(1), Epoch(2)] {
        let beyond = snapshot(&j, &j.a, epoch, &[&a_envs[0], &b_envs[2]]);
        assert_eq!(open(&j, &beyond), Err(BEYOND_REMOVAL));
    }
    // However far beyond.
    let mut far = b_envs[2].clone();
    far.device_seq = DeviceSeq(u64::MAX);
    let beyond = snapshot(&j, &j.a, Epoch(2), &[&far]);
    assert_eq!(open(&j, &beyond), Err(BEYOND_REMOVAL));
    // At the recorded number but another envelope (a rewritten last one).
    let mut rewritten = b_envs[1].clone();
    rewritten.ciphertext[0] ^= 1;
    let replaced = snapshot(&j, &j.a, Epoch(2), &[&a_envs[0], &rewritten]);
    assert_eq!(open(&j, &replaced), Err(BEYOND_REMOVAL));
    // Before the removal was known, the same snapshot would have opened.
    let before_removal = snapshot(&j, &j.a, Epoch(1), &[&a_envs[0], &b_envs[2]]);
    assert_eq!(
        open_snapshot(&before_removal, &j.rosters[..2], &j.keys, j.id)
            .unwrap()
            .as_slice(),
        b"documents"
    );
}

#[test]
fn a_device_revoked_before_writing_may_not_be_covered_at_all() {
    let mut j = Journal::new();
    let a_envs = j.chain_of(&j.a, 1);
    let b_envs = j.chain_of(&j.b, 1);
    let (v3, key) = j.revocation(&j.a, j.b.id, None);
    j.adopt(v3, key);
    let covering_b = snapshot(&j, &j.a, Epoch(2), &[&a_envs[0], &b_envs[0]]);
    assert_eq!(open(&j, &covering_b), Err(BEYOND_REMOVAL));
    let without_b = snapshot(&j, &j.a, Epoch(2), &[&a_envs[0]]);
    assert_eq!(open(&j, &without_b).unwrap(), b"documents");
}
