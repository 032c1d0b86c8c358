//! The roster rule, versions one by one: an accepted chain; the format,
//! journal and device list of every version; the genesis; the link from one
//! version to the next.

mod common;

use attune_proto::{DeviceSeq, Epoch, JournalId, RevokedDevice, ROSTER_VERSION};
use attune_roster::{check_genesis, check_successor, verify_chain, RosterError};
use common::*;
use ed25519_dalek::VerifyingKey;

#[test]
fn a_chain_of_additions_rotations_and_removals_is_accepted() {
    let (a, b, c, d) = (device(1), device(2), device(3), device(4));
    let v1 = genesis(&[&a, &b], &b);
    let v2 = next(&v1, 1, &[&a, &b, &c], &a); // adds c, same epoch
    let v3 = next(&v2, 2, &[&a, &b, &c], &c); // rotates the key
    let v4 = next(&v3, 3, &[&a, &c], &a); // removes b
    let v5 = next(&v4, 3, &[&a, &c, &d], &c); // adds d
    let v6 = next(&v5, 4, &[&d], &d); // removes a and c, signed by d
    let chain = vec![v1, v2, v3, v4, v5, v6];
    assert_eq!(verify_chain(&chain, J), Ok(&chain[5]));
    assert_eq!(
        chain[5]
            .revoked
            .iter()
            .map(|r| r.device_id)
            .collect::<Vec<_>>(),
        vec![b.id, a.id, c.id]
    );
    for pair in chain.windows(2) {
        assert_eq!(check_successor(&pair[0], &pair[1]), Ok(()));
    }
}

#[test]
fn every_version_has_the_format_the_journal_and_good_devices() {
    let (a, b) = (device(1), device(2));
    let v1 = genesis(&[&a, &b], &a);
    let old = resigned(&v1, &a, |r| r.v = 1);
    assert_eq!(
        check_genesis(&old, J),
        Err(RosterError::UnsupportedVersion(1))
    );
    let future = resigned(&v1, &a, |r| r.v = ROSTER_VERSION + 1);
    assert_eq!(
        check_genesis(&future, J),
        Err(RosterError::UnsupportedVersion(ROSTER_VERSION + 1))
    );
    assert_eq!(
        check_genesis(&v1, JournalId([8; 16])),
        Err(RosterError::WrongJournal)
    );
    let elsewhere = resigned(&next(&v1, 1, &[&a, &b], &a), &a, |r| {
        r.journal_id = JournalId([8; 16])
    });
    assert_eq!(
        check_successor(&v1, &elsewhere),
        Err(RosterError::WrongJournal)
    );
    let future_next = resigned(&next(&v1, 1, &[&a, &b], &a), &a, |r| r.v = 3);
    assert_eq!(
        check_successor(&v1, &future_next),
        Err(RosterError::UnsupportedVersion(3))
    );

    // Device lists, in a genesis and in a later version.
    let bad_key = (2u8..)
        .map(|n| [n; 32])
        .find(|k| VerifyingKey::from_bytes(k).is_err())
        .unwrap();
    let mut weak = [0u8; 32];
    weak[0] = 1; // the identity point: a valid encoding of a small-order key
    assert!(VerifyingKey::from_bytes(&weak).unwrap().is_weak());
    let cases: Vec<(&str, Edit)> = vec![
        (
            "twice",
            Box::new(|r| {
                let again = r.devices[1].clone();
                r.devices.push(again);
            }),
        ),
        (
            "Ed25519",
            Box::new(move |r| r.devices[1].verifying_key = bad_key),
        ),
        (
            "Ed25519",
            Box::new(move |r| r.devices[1].verifying_key = weak),
        ),
        (
            "age1",
            Box::new(|r| r.devices[1].age_recipient = "age1tooshort".into()),
        ),
        (
            "age1",
            Box::new(|r| r.devices[1].age_recipient = recipient(2).replace("age1", "AGE1")),
        ),
        (
            "age1",
            Box::new(|r| r.devices[1].age_recipient = recipient(2).replacen('q', "b", 1)),
        ),
    ];
    // The second device is broken; the signer (the first) stays valid.
    for (reason, edit) in &cases {
        invalid(check_genesis(&resigned(&v1, &a, edit), J), 1, reason);
        let v2 = next(&v1, 1, &[&a, &b], &a);
        invalid(check_successor(&v1, &resigned(&v2, &a, edit)), 2, reason);
    }
    let empty = resigned(&v1, &a, |r| r.devices.clear());
    invalid(check_genesis(&empty, J), 1, "lists no device");
    let empty = resigned(&next(&v1, 2, &[&a, &b], &a), &a, |r| r.devices.clear());
    invalid(check_successor(&v1, &empty), 2, "lists no device");
}

#[test]
fn the_genesis_is_version_one_unchained_unrevoked_and_signed_by_a_listed_device() {
    let (a, b, c) = (device(1), device(2), device(3));
    // Signed by any device it lists.
    assert_eq!(check_genesis(&genesis(&[&a, &b], &a), J), Ok(()));
    assert_eq!(check_genesis(&genesis(&[&a, &b], &b), J), Ok(()));
    let v1 = genesis(&[&a, &b], &a);
    invalid(
        check_genesis(&resigned(&v1, &a, |r| r.version = 2), J),
        2,
        "version 1",
    );
    invalid(
        check_genesis(&resigned(&v1, &a, |r| r.prev_hash = [1; 32]), J),
        1,
        "previous version",
    );
    let revoked = resigned(&v1, &a, |r| {
        r.revoked.push(RevokedDevice {
            device_id: c.id,
            verifying_key: entry(&c).verifying_key,
            last_seq: DeviceSeq(0),
            last_hash: [0; 32],
        })
    });
    invalid(check_genesis(&revoked, J), 1, "revoked");
    // Signed by a device it does not list, or not by its signer.
    assert_eq!(
        check_genesis(&genesis(&[&a, &b], &c), J),
        Err(RosterError::NotSignedByMember { version: 1 })
    );
    let mut forged = v1.clone();
    forged.epoch = Epoch(5);
    assert_eq!(
        check_genesis(&forged, J),
        Err(RosterError::NotSignedByMember { version: 1 })
    );
    let mut claimed = genesis(&[&a, &b], &c);
    claimed.signer = a.id;
    assert_eq!(
        check_genesis(&claimed, J),
        Err(RosterError::NotSignedByMember { version: 1 })
    );
}

#[test]
fn a_later_version_takes_the_next_number_names_the_previous_hash_and_is_signed_by_a_previous_member(
) {
    let (a, b, c) = (device(1), device(2), device(3));
    let v1 = genesis(&[&a, &b], &a);
    let v2 = next(&v1, 1, &[&a, &b, &c], &b);
    assert_eq!(check_successor(&v1, &v2), Ok(()));
    for version in [1, 3, u64::MAX] {
        let skip = resigned(&v2, &b, |r| r.version = version);
        assert_eq!(
            check_successor(&v1, &skip),
            Err(RosterError::NotNext { version })
        );
    }
    let unchained = resigned(&v2, &b, |r| r.prev_hash = [1; 32]);
    assert_eq!(
        check_successor(&v1, &unchained),
        Err(RosterError::NotNext { version: 2 })
    );
    // The device it adds cannot sign its own admission.
    let by_newcomer = resigned(&v2, &c, |_| {});
    assert_eq!(
        check_successor(&v1, &by_newcomer),
        Err(RosterError::NotSignedByMember { version: 2 })
    );
    // A stranger, a signature by someone else than the named signer, a tampered version.
    let by_stranger = resigned(&v2, &device(7), |_| {});
    assert_eq!(
        check_successor(&v1, &by_stranger),
        Err(RosterError::NotSignedByMember { version: 2 })
    );
    let mut misnamed = v2.clone();
    misnamed.signer = a.id;
    assert_eq!(
        check_successor(&v1, &misnamed),
        Err(RosterError::NotSignedByMember { version: 2 })
    );
    let mut tampered = v2.clone();
    tampered.devices.pop();
    assert_eq!(
        check_successor(&v1, &tampered),
        Err(RosterError::NotSignedByMember { version: 2 })
    );
    // A device of the previous version signs the removal of itself.
    let v3 = next(&v2, 2, &[&a, &c], &b);
    assert_eq!(check_successor(&v2, &v3), Ok(()));
    // A removed device cannot sign the next one.
    let v4 = next(&v3, 2, &[&a, &c], &b);
    assert_eq!(
        check_successor(&v3, &v4),
        Err(RosterError::NotSignedByMember { version: 4 })
    );
}
