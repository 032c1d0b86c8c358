//! The roster rule, across versions: pinned keys, the epoch and its key
//! commitment, removal as revocation, whole chains (and a property test over
//! generated honest histories).

mod common;

use attune_proto::{DeviceId, DeviceSeq, JournalId, RevokedDevice, Roster};
use attune_roster::{check_successor, verify_chain, RosterError};
use common::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

#[test]
fn both_keys_of_a_device_are_pinned() {
    let (a, b) = (device(1), device(2));
    let v1 = genesis(&[&a, &b], &a);
    let rekeyed = Device {
        id: b.id,
        key: SigningKey::from_bytes(&[42; 32]),
    };
    for epoch in [1, 2] {
        invalid(
            check_successor(&v1, &next(&v1, epoch, &[&a, &rekeyed], &a)),
            2,
            "signing key",
        );
        let redirected = resigned(&next(&v1, epoch, &[&a, &b], &a), &a, |r| {
            r.devices[1].age_recipient = recipient(42)
        });
        invalid(
            check_successor(&v1, &redirected),
            2,
            "receives journal keys",
        );
    }
    // The signer's own keys are pinned too.
    let self_rekeyed = Device {
        id: a.id,
        key: SigningKey::from_bytes(&[43; 32]),
    };
    let own = next(&v1, 1, &[&self_rekeyed, &b], &a);
    invalid(check_successor(&v1, &own), 2, "signing key");
}

#[test]
fn the_epoch_never_goes_back_and_moves_with_the_key_commitment() {
    let (a, b) = (device(1), device(2));
    let v1 = genesis(&[&a, &b], &a);
    // One epoch at a time: a jump would let a member use up the epochs.
    for far in [3, u32::MAX] {
        invalid(
            check_successor(&v1, &next(&v1, far, &[&a, &b], &a)),
            2,
            "skips epochs",
        );
    }
    let v2 = next(&v1, 2, &[&a, &b], &a);
    assert_eq!(check_successor(&v1, &v2), Ok(()));
    invalid(
        check_successor(&v2, &next(&v2, 1, &[&a, &b], &a)),
        3,
        "backwards",
    );
    let swapped = resigned(&next(&v2, 2, &[&a, &b], &a), &a, |r| {
        r.key_commitment = [7; 32]
    });
    invalid(
        check_successor(&v2, &swapped),
        3,
        "without raising the epoch",
    );
    let stale = resigned(&next(&v2, 3, &[&a, &b], &a), &a, |r| {
        r.key_commitment = v2.key_commitment
    });
    invalid(check_successor(&v2, &stale), 3, "keeps the old key");
    // Keeping the epoch and its commitment is fine.
    assert_eq!(check_successor(&v2, &next(&v2, 2, &[&a, &b], &a)), Ok(()));
}

#[test]
fn removal_is_revocation() {
    let (a, b, c) = (device(1), device(2), device(3));
    let v1 = genesis(&[&a, &b, &c], &a);
    // A removal must rotate the key.
    invalid(
        check_successor(&v1, &next(&v1, 1, &[&a, &b], &a)),
        2,
        "without rotating",
    );
    // ... and record exactly the removed devices, with their signing keys.
    let good = next(&v1, 2, &[&a, &b], &a);
    assert_eq!(check_successor(&v1, &good), Ok(()));
    let unrecorded = resigned(&good, &a, |r| r.revoked.clear());
    invalid(check_successor(&v1, &unrecorded), 2, "exactly the devices");
    let twice = resigned(&good, &a, |r| {
        let again = r.revoked[0].clone();
        r.revoked.push(again);
    });
    invalid(check_successor(&v1, &twice), 2, "exactly the devices");
    let wrong_device = resigned(&good, &a, |r| r.revoked[0].device_id = DeviceId([7; 16]));
    invalid(check_successor(&v1, &wrong_device), 2, "not a member");
    let wrong_key = resigned(&good, &a, |r| {
        r.revoked[0].verifying_key = entry(&a).verifying_key
    });
    invalid(check_successor(&v1, &wrong_key), 2, "another key");
    // Revoking a device that stays: it is then listed while revoked.
    let stays = resigned(&next(&v1, 2, &[&a, &b, &c], &a), &a, |r| {
        r.revoked.push(RevokedDevice {
            device_id: b.id,
            verifying_key: entry(&b).verifying_key,
            last_seq: DeviceSeq(0),
            last_hash: [0; 32],
        })
    });
    invalid(
        check_successor(&v1, &stays),
        2,
        "revoked device as a member",
    );

    // The revoked list only grows: not shortened, not reordered, not edited.
    let v2 = good;
    let v3 = next(&v2, 3, &[&a], &a);
    assert_eq!(check_successor(&v2, &v3), Ok(()));
    assert_eq!(v3.revoked.len(), 2);
    let v4 = next(&v3, 3, &[&a], &a);
    let dropped = resigned(&v4, &a, |r| {
        r.revoked.remove(0);
    });
    invalid(check_successor(&v3, &dropped), 4, "list of revoked devices");
    let reordered = resigned(&v4, &a, |r| r.revoked.swap(0, 1));
    invalid(
        check_successor(&v3, &reordered),
        4,
        "list of revoked devices",
    );
    let edited = resigned(&v4, &a, |r| r.revoked[0].last_seq = DeviceSeq(99));
    invalid(check_successor(&v3, &edited), 4, "list of revoked devices");
    // A revoked id never returns, not even with its old keys.
    invalid(
        check_successor(&v3, &next(&v3, 3, &[&a, &c], &a)),
        4,
        "revoked device as a member",
    );
    assert_eq!(check_successor(&v3, &v4), Ok(()));
}

#[test]
fn verify_chain_checks_every_link() {
    let (a, b) = (device(1), device(2));
    let v1 = genesis(&[&a, &b], &a);
    let v2 = next(&v1, 2, &[&a], &a);
    let v3 = next(&v2, 2, &[&a, &b], &a); // b returns: refused
    invalid(verify_chain(&[], J).map(|_| ()), 1, "no roster version");
    assert_eq!(
        verify_chain(std::slice::from_ref(&v1), JournalId([1; 16])).map(|_| ()),
        Err(RosterError::WrongJournal)
    );
    assert_eq!(
        verify_chain(&[v1.clone(), v1.clone()], J).map(|_| ()),
        Err(RosterError::NotNext { version: 1 })
    );
    assert_eq!(
        verify_chain(std::slice::from_ref(&v2), J).map(|_| ()),
        Err(RosterError::Invalid {
            version: 2,
            reason: "the first version is not version 1"
        })
    );
    invalid(
        verify_chain(&[v1.clone(), v2.clone(), v3], J).map(|_| ()),
        3,
        "revoked device as a member",
    );
    assert_eq!(verify_chain(&[v1, v2.clone()], J), Ok(&v2));
}
/// One change to the roster in a generated history.
#[derive(Clone, Debug)]
enum Change {
    Add(u8),
    Remove(u8),
    Rotate,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (1u8..8).prop_map(Change::Add),
        (1u8..8).prop_map(Change::Remove),
        Just(Change::Rotate),
    ]
}

/// Applies changes the way honest devices do; skips those that are not possible.
fn history(changes: &[Change]) -> Vec<Roster> {
    let everyone: Vec<Device> = (0u8..8).map(device).collect();
    let mut members: Vec<u8> = vec![0];
    let mut gone: Vec<u8> = Vec::new();
    let mut chain = vec![genesis(&[&everyone[0]], &everyone[0])];
    for change in changes {
        let previous = chain.last().unwrap();
        let signer = &everyone[usize::from(members[0])];
        let (list, epoch) = match *change {
            Change::Add(n) if !members.contains(&n) && !gone.contains(&n) => {
                members.push(n);
                (members.clone(), previous.epoch.0)
            }
            Change::Remove(n) if members.contains(&n) && members.len() > 1 => {
                members.retain(|m| *m != n);
                gone.push(n);
                (members.clone(), previous.epoch.0 + 1)
            }
            Change::Rotate => (members.clone(), previous.epoch.0 + 1),
            _ => continue,
        };
        let devices: Vec<&Device> = list.iter().map(|n| &everyone[usize::from(*n)]).collect();
        let roster = next(previous, epoch, &devices, signer);
        chain.push(roster);
    }
    chain
}

proptest! {
    #[test]
    fn honest_histories_are_accepted_and_any_changed_signature_is_not(
        changes in proptest::collection::vec(change(), 0..16),
        pick in any::<prop::sample::Index>(),
        bit in 0usize..512,
    ) {
        let chain = history(&changes);
        prop_assert_eq!(verify_chain(&chain, J), Ok(chain.last().unwrap()));
        let mut forged = chain.clone();
        let at = pick.index(forged.len());
        forged[at].signature[bit / 8] ^= 1 << (bit % 8);
        let version = forged[at].version;
        prop_assert_eq!(
            verify_chain(&forged, J).map(|_| ()),
            Err(RosterError::NotSignedByMember { version })
        );
    }
}
