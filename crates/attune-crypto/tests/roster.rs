//! The signed device roster: accepted chains, forged signers, broken links, rollbacks.

mod common;

use attune_crypto::{
    genesis_roster, next_roster, roster_in_force, sign_roster, verify_roster_chain,
    verify_roster_extends, verify_signature, CryptoError,
};
use attune_proto::{Epoch, JournalId, Roster};
use common::{Device, Journal};

/// Versions 1 (A), 2 (A, B), 3 (A, B, C), 4 (A, C at epoch 2: B revoked).
fn four_versions() -> (Journal, Device, Vec<Roster>) {
    let j = Journal::new();
    let c = Device::new(0xc0);
    let mut rosters = j.rosters.clone();
    let v3 = next_roster(
        &j.b.identity,
        j.b.id,
        &rosters[1],
        vec![j.a.entry(), j.b.entry(), c.entry()],
        Epoch(1),
    );
    let v4 = next_roster(
        &c.identity,
        c.id,
        &v3,
        vec![j.a.entry(), c.entry()],
        Epoch(2),
    );
    rosters.extend([v3, v4]);
    (j, c, rosters)
}

fn chain_error(rosters: &[Roster], journal: JournalId) -> CryptoError {
    verify_roster_chain(rosters, journal).unwrap_err()
}

#[test]
fn valid_chains_verify_and_return_the_latest() {
    let (j, _, rosters) = four_versions();
    for n in 1..=4 {
        let latest = verify_roster_chain(&rosters[..n], j.id).unwrap();
        assert_eq!(latest.version, n as u64);
    }
    // The relay checks the plain Ed25519 signature over signing_message.
    for roster in &rosters {
        let signer = rosters
            .iter()
            .find_map(|r| r.device(roster.signer))
            .unwrap();
        verify_signature(
            &signer.verifying_key,
            &roster.signing_message(),
            &roster.signature,
        )
        .unwrap();
    }
    let wire: Vec<Roster> = rosters
        .iter()
        .map(|r| Roster::decode(&r.encode()).unwrap())
        .collect();
    assert_eq!(verify_roster_chain(&wire, j.id).unwrap(), &rosters[3]);
}

#[test]
fn roster_in_force_follows_epochs() {
    let (j, _, rosters) = four_versions();
    assert!(roster_in_force(&rosters, Epoch(0)).is_none());
    assert_eq!(roster_in_force(&rosters, Epoch(1)).unwrap().version, 3);
    assert_eq!(roster_in_force(&rosters, Epoch(2)).unwrap().version, 4);
    assert_eq!(roster_in_force(&rosters, Epoch(9)).unwrap().version, 4);
    assert!(roster_in_force(&rosters, Epoch(1))
        .unwrap()
        .device(j.b.id)
        .is_some());
    assert!(roster_in_force(&rosters, Epoch(2))
        .unwrap()
        .device(j.b.id)
        .is_none());
}

#[test]
fn forged_signers_are_refused() {
    let (j, c, rosters) = four_versions();
    let intruder = Device::new(0xee);

    // The relay (or anyone) adds its own device and signs as itself.
    let mut added = rosters[1].clone();
    added.version = 3;
    added.prev_hash = rosters[1].hash();
    added.devices.push(intruder.entry());
    added.signer = intruder.id;
    let added = sign_roster(&intruder.identity, added);
    let chain = [rosters[0].clone(), rosters[1].clone(), added.clone()];
    assert_eq!(
        chain_error(&chain, j.id),
        CryptoError::RosterNotSignedByMember { version: 3 }
    );

    // Claims a member as signer but signs with another key.
    let mut claimed = added.clone();
    claimed.signer = j.a.id;
    let claimed = sign_roster(&intruder.identity, claimed);
    let chain = [rosters[0].clone(), rosters[1].clone(), claimed];
    assert_eq!(
        chain_error(&chain, j.id),
        CryptoError::RosterNotSignedByMember { version: 3 }
    );

    // A device added in this very version may not sign it (C is in v3, not v2).
    let by_newcomer = next_roster(
        &c.identity,
        c.id,
        &rosters[1],
        rosters[2].devices.clone(),
        Epoch(1),
    );
    let chain = [rosters[0].clone(), rosters[1].clone(), by_newcomer];
    assert_eq!(
        chain_error(&chain, j.id),
        CryptoError::RosterNotSignedByMember { version: 3 }
    );

    // A genesis signed by a device it does not list.
    let mut genesis = genesis_roster(&j.a.identity, j.id, j.a.id, Epoch(1));
    genesis.devices[0] = intruder.entry();
    let genesis = sign_roster(&j.a.identity, genesis);
    assert_eq!(
        chain_error(&[genesis], j.id),
        CryptoError::RosterNotSignedByMember { version: 1 }
    );

    // Any altered field breaks the signature.
    let mut altered = rosters.clone();
    altered[1].epoch = Epoch(5);
    assert_eq!(
        verify_roster_chain(&altered[..2], j.id).unwrap_err(),
        CryptoError::RosterNotSignedByMember { version: 2 }
    );
}

#[test]
fn broken_chains_are_refused() {
    let (j, c, rosters) = four_versions();
    let a = &j.a;
    let broken = |version| move |e: CryptoError| matches!(e, CryptoError::RosterChainBroken { version: v, .. } if v == version);

    assert!(broken(1)(chain_error(&[], j.id)));
    assert!(
        broken(2)(chain_error(&rosters[1..], j.id)),
        "must start at the genesis"
    );
    let skipped = [rosters[0].clone(), rosters[2].clone()];
    assert!(broken(3)(chain_error(&skipped, j.id)));
    let reordered = [rosters[0].clone(), rosters[2].clone(), rosters[1].clone()];
    assert!(broken(3)(chain_error(&reordered, j.id)));

    let mut zero_genesis = rosters[0].clone();
    zero_genesis.prev_hash = [1; 32];
    let zero_genesis = sign_roster(&a.identity, zero_genesis);
    assert!(broken(1)(chain_error(&[zero_genesis], j.id)));

    let mut wrong_link = rosters[1].clone();
    wrong_link.prev_hash = [7; 32];
    let wrong_link = sign_roster(&a.identity, wrong_link);
    assert!(broken(2)(chain_error(
        &[rosters[0].clone(), wrong_link],
        j.id
    )));

    // Content rules, each in a version signed by a member.
    let v3 = &rosters[2];
    let cases = [
        next_roster(&a.identity, a.id, v3, vec![a.entry(), c.entry()], Epoch(1)), // removal without rotation
        next_roster(&a.identity, a.id, v3, v3.devices.clone(), Epoch(0)),         // epoch backwards
        next_roster(&a.identity, a.id, v3, vec![], Epoch(2)),                     // nobody left
        next_roster(&a.identity, a.id, v3, vec![a.entry(), a.entry()], Epoch(2)), // duplicate
        {
            let mut rekeyed = c.entry();
            rekeyed.verifying_key = Device::new(0xc1).identity.verifying_key();
            next_roster(
                &a.identity,
                a.id,
                v3,
                vec![a.entry(), j.b.entry(), rekeyed],
                Epoch(1),
            )
        },
        {
            let mut weak = Device::new(0xd0).entry();
            weak.verifying_key = [0; 32]; // A small-order point.
            next_roster(
                &a.identity,
                a.id,
                v3,
                vec![a.entry(), j.b.entry(), c.entry(), weak],
                Epoch(1),
            )
        },
    ];
    for (i, bad) in cases.into_iter().enumerate() {
        let chain = [rosters[0].clone(), rosters[1].clone(), v3.clone(), bad];
        let err = chain_error(&chain, j.id);
        assert!(broken(4)(err.clone()), "case {i}: {err:?}");
    }

    // Adding a device without a new epoch, and a new epoch without changes, are fine.
    let grown = next_roster(
        &a.identity,
        a.id,
        v3,
        [v3.devices.clone(), vec![Device::new(0xf0).entry()]].concat(),
        Epoch(1),
    );
    let rotated = next_roster(&a.identity, a.id, &grown, grown.devices.clone(), Epoch(3));
    let chain = [&rosters[..3], &[grown, rotated]].concat();
    assert_eq!(verify_roster_chain(&chain, j.id).unwrap().version, 5);
}

#[test]
fn wrong_journal_and_version_are_refused() {
    let (j, _, rosters) = four_versions();
    assert_eq!(
        chain_error(&rosters, JournalId([3; 16])),
        CryptoError::RosterWrongJournal
    );
    let mut other = rosters[1].clone();
    other.journal_id = JournalId([3; 16]);
    let other = sign_roster(&j.a.identity, other);
    assert_eq!(
        chain_error(&[rosters[0].clone(), other], j.id),
        CryptoError::RosterWrongJournal
    );
    let mut future = rosters[0].clone();
    future.v = 2;
    assert_eq!(
        chain_error(&[future], j.id),
        CryptoError::UnsupportedRosterVersion(2)
    );
}

#[test]
fn extending_a_trusted_version() {
    let (j, c, rosters) = four_versions();
    let trusted = &rosters[1];
    // Only the rest, the whole chain, or nothing new.
    assert_eq!(
        verify_roster_extends(trusted, &rosters[2..])
            .unwrap()
            .version,
        4
    );
    assert_eq!(verify_roster_extends(trusted, &rosters).unwrap().version, 4);
    assert_eq!(
        verify_roster_extends(trusted, &rosters[..2]).unwrap(),
        trusted
    );
    assert_eq!(verify_roster_extends(trusted, &[]).unwrap(), trusted);

    // Rollback: the relay serves only older versions.
    assert_eq!(
        verify_roster_extends(&rosters[3], &rosters[..3]).unwrap_err(),
        CryptoError::RosterRollback {
            trusted: 4,
            served: 3
        }
    );
    // Fork: a different version 2 (signed by a member, even).
    let fork = next_roster(
        &j.a.identity,
        j.a.id,
        &rosters[0],
        vec![j.a.entry(), c.entry()],
        Epoch(1),
    );
    assert_eq!(
        verify_roster_extends(trusted, &[rosters[0].clone(), fork.clone()]).unwrap_err(),
        CryptoError::RosterRollback {
            trusted: 2,
            served: 2
        }
    );
    // Fork: a version 3 that builds on another version 2.
    let fork3 = next_roster(&j.a.identity, j.a.id, &fork, fork.devices.clone(), Epoch(1));
    assert_eq!(
        verify_roster_extends(trusted, &[fork3]).unwrap_err(),
        CryptoError::RosterRollback {
            trusted: 2,
            served: 3
        }
    );
    // A forged next version.
    let intruder = Device::new(0xee);
    let forged = next_roster(
        &intruder.identity,
        intruder.id,
        trusted,
        vec![intruder.entry()],
        Epoch(2),
    );
    assert_eq!(
        verify_roster_extends(trusted, &[forged]).unwrap_err(),
        CryptoError::RosterNotSignedByMember { version: 3 }
    );
    // A gap after the trusted version.
    assert!(matches!(
        verify_roster_extends(trusted, &rosters[3..]).unwrap_err(),
        CryptoError::RosterChainBroken { version: 4, .. }
    ));
    let mut elsewhere = rosters[2].clone();
    elsewhere.journal_id = JournalId([3; 16]);
    assert_eq!(
        verify_roster_extends(trusted, &[elsewhere]).unwrap_err(),
        CryptoError::RosterWrongJournal
    );
}
