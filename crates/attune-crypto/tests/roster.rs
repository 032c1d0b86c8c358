//! The signed device roster: accepted chains, forged signers, broken links,
//! pinned keys, key commitments, revocations and rollbacks.

mod common;

use attune_crypto::{
    check_roster_contains, genesis_roster, next_roster, roster_in_force, sign_roster,
    verify_roster_chain, verify_roster_extends, verify_signature, CryptoError, JournalKey,
    RosterChange,
};
use attune_proto::{
    DeviceId, DeviceSeq, Epoch, JournalId, RevokedDevice, Roster, RosterDevice, ROSTER_VERSION,
};
use common::{next, Device, Journal};
use proptest::prelude::*;

/// Versions 1 (A), 2 (A, B), 3 (A, B, C; signed by B), 4 (A, C at epoch 2; signed by C: B revoked).
fn four_versions() -> (Journal, Device) {
    let mut j = Journal::new();
    let c = Device::new(0xc0);
    let v3 = next(
        &j.b,
        &j.rosters[1],
        vec![j.a.entry(), j.b.entry(), c.entry()],
        Epoch(1),
        j.key(Epoch(1)),
    );
    j.rosters.push(v3);
    let (v4, key) = j.revocation(&c, j.b.id, None);
    j.adopt(v4, key);
    (j, c)
}

fn chain_error(rosters: &[Roster], journal: JournalId) -> CryptoError {
    verify_roster_chain(rosters, journal).unwrap_err()
}

/// A valid age recipient of a fresh identity (for redirecting a device's keys).
fn other_recipient() -> String {
    Device::new(0x99).identity.age_recipient()
}

/// `bad`, the version after the last of the valid `chain`, carries a valid
/// signature of a member of that last version, yet both `verify_roster_chain`
/// and `verify_roster_extends` refuse it for the rule whose reason contains `rule`.
#[track_caller]
fn assert_rule_refuses(chain: &[Roster], bad: &Roster, rule: &str) {
    let journal = chain[0].journal_id;
    let previous = chain.last().unwrap();
    verify_roster_chain(chain, journal).expect("the chain before the bad version is valid");
    // Not a forgery: the refusal comes from the rule, not from the signature.
    let signer = previous.device(bad.signer).expect("signed by a member");
    verify_signature(
        &signer.verifying_key,
        &bad.signing_message(),
        &bad.signature,
    )
    .expect("the bad version is genuinely signed");
    assert_eq!(bad.version, previous.version + 1);
    assert_eq!(bad.prev_hash, previous.hash());

    let full = [chain, std::slice::from_ref(bad)].concat();
    let results = [
        (
            "verify_roster_chain",
            verify_roster_chain(&full, journal).cloned(),
        ),
        (
            "verify_roster_extends",
            verify_roster_extends(previous, std::slice::from_ref(bad)).cloned(),
        ),
        (
            "verify_roster_extends (whole chain)",
            verify_roster_extends(&chain[0], &full).cloned(),
        ),
    ];
    for (check, result) in results {
        match result {
            Err(CryptoError::RosterChainBroken { version, reason })
                if version == bad.version && reason.contains(rule) => {}
            other => panic!(
                "{check}: expected version {} refused for {rule:?}, got {other:?}",
                bad.version
            ),
        }
    }
}

#[test]
fn valid_chains_verify_and_return_the_latest() {
    let (j, c) = four_versions();
    let rosters = &j.rosters;
    for n in 1..=4 {
        let latest = verify_roster_chain(&rosters[..n], j.id).unwrap();
        assert_eq!(latest.version, n as u64);
        assert_eq!(latest.v, ROSTER_VERSION);
    }
    // The relay checks the plain Ed25519 signature over signing_message.
    for roster in rosters {
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
    // Each version commits to the key of its epoch.
    for roster in rosters {
        assert_eq!(
            roster.key_commitment,
            j.key(roster.epoch).commitment(j.id, roster.epoch)
        );
    }
    // The removal of B is recorded with its signing key, and only grows from here.
    assert!(rosters[..3].iter().all(|r| r.revoked.is_empty()));
    assert_eq!(
        rosters[3].revoked,
        [RevokedDevice {
            device_id: j.b.id,
            verifying_key: j.b.identity.verifying_key(),
            last_seq: DeviceSeq(0),
            last_hash: [0; 32],
        }]
    );
    assert_eq!(rosters[3].signer, c.id);
    let wire: Vec<Roster> = rosters
        .iter()
        .map(|r| Roster::decode(&r.encode()).unwrap())
        .collect();
    assert_eq!(verify_roster_chain(&wire, j.id).unwrap(), &rosters[3]);
}

#[test]
fn roster_in_force_follows_epochs() {
    let (j, _) = four_versions();
    let rosters = &j.rosters;
    assert!(roster_in_force(rosters, Epoch(0)).is_none());
    assert_eq!(roster_in_force(rosters, Epoch(1)).unwrap().version, 3);
    assert_eq!(roster_in_force(rosters, Epoch(2)).unwrap().version, 4);
    assert_eq!(roster_in_force(rosters, Epoch(9)).unwrap().version, 4);
    assert!(roster_in_force(rosters, Epoch(1))
        .unwrap()
        .device(j.b.id)
        .is_some());
    assert!(roster_in_force(rosters, Epoch(2))
        .unwrap()
        .device(j.b.id)
        .is_none());
}

#[test]
fn genesis_rules() {
    let j = Journal::new();
    let key = JournalKey::generate();
    let both = vec![j.a.entry(), j.b.entry()];

    // Any device the genesis lists may sign it.
    for signer in [&j.a, &j.b] {
        let genesis = genesis_roster(
            &signer.identity,
            signer.id,
            j.id,
            both.clone(),
            Epoch(1),
            &key,
        );
        assert_eq!(verify_roster_chain(&[genesis], j.id).unwrap().version, 1);
    }

    // A genesis signed by a device it does not list.
    let intruder = Device::new(0xee);
    let unlisted = genesis_roster(
        &intruder.identity,
        intruder.id,
        j.id,
        both.clone(),
        Epoch(1),
        &key,
    );
    assert_eq!(
        chain_error(&[unlisted], j.id),
        CryptoError::RosterNotSignedByMember { version: 1 }
    );
    let mut replaced = genesis_roster(&j.a.identity, j.a.id, j.id, both, Epoch(1), &key);
    replaced.devices[0] = intruder.entry();
    let replaced = sign_roster(&j.a.identity, replaced);
    assert_eq!(
        chain_error(&[replaced], j.id),
        CryptoError::RosterNotSignedByMember { version: 1 }
    );

    // A first version that is not version 1, links to a previous one, lists
    // revoked devices, no device, or a bad recipient.
    let genesis = j.rosters[0].clone();
    let broken = |roster: Roster, rule: &str| {
        let roster = sign_roster(&j.a.identity, roster);
        match chain_error(std::slice::from_ref(&roster), j.id) {
            CryptoError::RosterChainBroken { version, reason }
                if version == roster.version && reason.contains(rule) => {}
            other => panic!("expected the genesis refused for {rule:?}, got {other:?}"),
        }
    };
    let mut nobody = genesis.clone();
    nobody.devices.clear();
    broken(nobody, "no device");
    let mut with_revoked = genesis.clone();
    with_revoked.revoked.push(RevokedDevice {
        device_id: j.b.id,
        verifying_key: j.b.identity.verifying_key(),
        last_seq: DeviceSeq(0),
        last_hash: [0; 32],
    });
    broken(with_revoked, "revoked");
    let mut second = genesis.clone();
    second.version = 2;
    broken(second, "version 1");
    let mut linked = genesis.clone();
    linked.prev_hash = [1; 32];
    broken(linked, "previous version");
    let mut bad_recipient = genesis.clone();
    bad_recipient.devices.push(RosterDevice {
        age_recipient: "age1first".into(),
        ..Device::new(0xd0).entry()
    });
    broken(bad_recipient, "age1");
}

#[test]
fn age_recipients_must_look_like_age_keys() {
    let j = Journal::new();
    let key = j.key(Epoch(1));
    let genuine = Device::new(0xd0).entry();
    let recipient = genuine.age_recipient.clone();
    let bad = [
        String::new(),
        "age1first".to_owned(),
        recipient.to_uppercase(),
        format!("{recipient}q"),
        recipient[..61].to_owned(),
        format!(" {}", &recipient[1..]),
        format!("age2{}", &recipient[4..]),
        format!("{}b", &recipient[..61]), // 'b' is not a bech32 character
        format!("{}\u{e9}", &recipient[..60]),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
            .to_owned(),
    ];
    for text in bad {
        let device = RosterDevice {
            age_recipient: text.clone(),
            ..genuine.clone()
        };
        let added = next(
            &j.a,
            &j.rosters[1],
            vec![j.a.entry(), j.b.entry(), device],
            Epoch(1),
            key,
        );
        match chain_error(&[j.rosters.clone(), vec![added]].concat(), j.id) {
            CryptoError::RosterChainBroken { version: 3, reason } if reason.contains("age1") => {}
            other => panic!("{text:?}: {other:?}"),
        }
    }
    // The genuine recipient is fine.
    let added = next(
        &j.a,
        &j.rosters[1],
        vec![j.a.entry(), j.b.entry(), genuine],
        Epoch(1),
        key,
    );
    let chain = [j.rosters.clone(), vec![added]].concat();
    assert_eq!(verify_roster_chain(&chain, j.id).unwrap().version, 3);
}

#[test]
fn forged_signers_are_refused() {
    let (j, c) = four_versions();
    let rosters = &j.rosters;
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
    let by_newcomer = next(
        &c,
        &rosters[1],
        rosters[2].devices.clone(),
        Epoch(1),
        j.key(Epoch(1)),
    );
    let chain = [rosters[0].clone(), rosters[1].clone(), by_newcomer];
    assert_eq!(
        chain_error(&chain, j.id),
        CryptoError::RosterNotSignedByMember { version: 3 }
    );

    // A revoked device may not sign (B is revoked in v4).
    let by_revoked = next(
        &j.b,
        &rosters[3],
        rosters[3].devices.clone(),
        Epoch(2),
        j.key(Epoch(2)),
    );
    let chain = [rosters.clone(), vec![by_revoked.clone()]].concat();
    assert_eq!(
        chain_error(&chain, j.id),
        CryptoError::RosterNotSignedByMember { version: 5 }
    );
    assert_eq!(
        verify_roster_extends(&rosters[3], &[by_revoked]).unwrap_err(),
        CryptoError::RosterNotSignedByMember { version: 5 }
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
    let (j, c) = four_versions();
    let rosters = &j.rosters;
    let a = &j.a;
    let key1 = j.key(Epoch(1));
    let fresh = JournalKey::generate();
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

    let mut wrong_link = rosters[1].clone();
    wrong_link.prev_hash = [7; 32];
    let wrong_link = sign_roster(&a.identity, wrong_link);
    assert!(broken(2)(chain_error(
        &[rosters[0].clone(), wrong_link],
        j.id
    )));

    // Content rules, each in a version signed by a member.
    let v3 = &rosters[2];
    let prefix = &rosters[..3];
    assert_rule_refuses(
        prefix,
        &next(a, v3, v3.devices.clone(), Epoch(0), &fresh),
        "epoch goes backwards",
    );
    assert_rule_refuses(prefix, &next(a, v3, vec![], Epoch(2), &fresh), "no device");
    assert_rule_refuses(
        prefix,
        &next(
            a,
            v3,
            vec![a.entry(), j.b.entry(), c.entry(), a.entry()],
            Epoch(1),
            key1,
        ),
        "twice",
    );
    let mut weak = Device::new(0xd0).entry();
    weak.verifying_key = [0; 32]; // A small-order point.
    assert_rule_refuses(
        prefix,
        &next(
            a,
            v3,
            vec![a.entry(), j.b.entry(), c.entry(), weak],
            Epoch(1),
            key1,
        ),
        "not a valid Ed25519 key",
    );

    // Adding a device without a new epoch, and a new epoch without changes, are fine.
    let grown = next(
        a,
        v3,
        [v3.devices.clone(), vec![Device::new(0xf0).entry()]].concat(),
        Epoch(1),
        key1,
    );
    let rotated = next(a, &grown, grown.devices.clone(), Epoch(2), &fresh);
    let chain = [prefix, &[grown, rotated]].concat();
    assert_eq!(verify_roster_chain(&chain, j.id).unwrap().version, 5);
}

#[test]
fn device_keys_are_pinned() {
    let (j, c) = four_versions();
    let prefix = &j.rosters[..3];
    let v3 = &j.rosters[2];
    let a = &j.a;
    let key1 = j.key(Epoch(1));
    let fresh = JournalKey::generate();

    // Re-keying C (a new Ed25519 key under the same id), at the same or a new epoch.
    let mut rekeyed = c.entry();
    rekeyed.verifying_key = Device::new(0xc1).identity.verifying_key();
    let devices = vec![a.entry(), j.b.entry(), rekeyed.clone()];
    assert_rule_refuses(
        prefix,
        &next(a, v3, devices.clone(), Epoch(1), key1),
        "signing key of a device",
    );
    assert_rule_refuses(
        prefix,
        &next(a, v3, devices, Epoch(2), &fresh),
        "signing key of a device",
    );
    // A device may not re-key itself either.
    assert_rule_refuses(
        prefix,
        &next(
            &c,
            v3,
            vec![a.entry(), j.b.entry(), rekeyed],
            Epoch(1),
            key1,
        ),
        "signing key of a device",
    );

    // Redirecting C's age recipient (where its journal keys are wrapped to).
    let mut redirected = c.entry();
    redirected.age_recipient = other_recipient();
    let devices = vec![a.entry(), j.b.entry(), redirected];
    assert_rule_refuses(
        prefix,
        &next(a, v3, devices.clone(), Epoch(1), key1),
        "receives journal keys",
    );
    assert_rule_refuses(
        prefix,
        &next(a, v3, devices, Epoch(2), &fresh),
        "receives journal keys",
    );

    // The signer's own entry is pinned too.
    let mut own = a.entry();
    own.age_recipient = other_recipient();
    assert_rule_refuses(
        prefix,
        &next(a, v3, vec![own, j.b.entry(), c.entry()], Epoch(1), key1),
        "receives journal keys",
    );
}

#[test]
fn epochs_and_key_commitments() {
    let (j, c) = four_versions();
    let prefix = &j.rosters[..3];
    let v3 = &j.rosters[2];
    let a = &j.a;
    let key1 = j.key(Epoch(1));

    // Removing B without raising the epoch (same key, so the same commitment).
    let kept = next(a, v3, vec![a.entry(), c.entry()], Epoch(1), key1);
    assert_eq!(kept.key_commitment, v3.key_commitment);
    assert_rule_refuses(prefix, &kept, "without rotating the journal key");

    // Raising the epoch but keeping the commitment (no new key is named).
    let mut stale = next(a, v3, v3.devices.clone(), Epoch(2), &JournalKey::generate());
    stale.key_commitment = v3.key_commitment;
    let stale = sign_roster(&a.identity, stale);
    assert_rule_refuses(prefix, &stale, "keeps the old key");
    // ... also when it removes a device.
    let mut stale = next(a, v3, vec![a.entry(), c.entry()], Epoch(2), key1);
    stale.key_commitment = v3.key_commitment;
    let stale = sign_roster(&a.identity, stale);
    assert_rule_refuses(prefix, &stale, "keeps the old key");

    // Changing the commitment (a new key) without raising the epoch.
    let swapped = next(a, v3, v3.devices.clone(), Epoch(1), &JournalKey::generate());
    assert_ne!(swapped.key_commitment, v3.key_commitment);
    assert_rule_refuses(prefix, &swapped, "without raising the epoch");
    let mut flipped = v3.clone();
    flipped.version = 4;
    flipped.prev_hash = v3.hash();
    flipped.key_commitment[0] ^= 1;
    flipped.signer = a.id;
    let flipped = sign_roster(&a.identity, flipped);
    assert_rule_refuses(prefix, &flipped, "without raising the epoch");

    // Keeping both, or raising the epoch with a fresh key, is fine.
    let same = next(a, v3, v3.devices.clone(), Epoch(1), key1);
    let raised = next(
        a,
        &same,
        same.devices.clone(),
        Epoch(2),
        &JournalKey::generate(),
    );
    // Skipping epochs is refused: a member could otherwise use them up.
    let skipped = next(
        a,
        &same,
        same.devices.clone(),
        Epoch(u32::MAX),
        &JournalKey::generate(),
    );
    assert!(verify_roster_chain(&[prefix, &[same.clone(), skipped]].concat(), j.id).is_err());
    let chain = [prefix, &[same, raised]].concat();
    assert_eq!(verify_roster_chain(&chain, j.id).unwrap().version, 5);
}

#[test]
fn revocations_are_recorded_append_only_and_final() {
    let (j, c) = four_versions();
    let rosters = &j.rosters;
    let a = &j.a;
    let v3 = &rosters[2];
    let v4 = &rosters[3];
    let key2 = j.key(Epoch(2));
    let fresh = JournalKey::generate();

    // v3 -> v4 removing B but not recording it.
    let mut unrecorded = v4.clone();
    unrecorded.revoked.clear();
    unrecorded.signer = a.id;
    let unrecorded = sign_roster(&a.identity, unrecorded);
    assert_rule_refuses(&rosters[..3], &unrecorded, "exactly the devices it removes");

    // Recording B with another signing key than its roster entry.
    let mut other_key = v4.clone();
    other_key.revoked[0].verifying_key = Device::new(0xb1).identity.verifying_key();
    other_key.signer = a.id;
    let other_key = sign_roster(&a.identity, other_key);
    assert_rule_refuses(&rosters[..3], &other_key, "with another key");

    // Recording a device that was never a member (instead of, or besides, B).
    let stranger = Device::new(0x5e);
    let phantom = RevokedDevice {
        device_id: stranger.id,
        verifying_key: stranger.identity.verifying_key(),
        last_seq: DeviceSeq(0),
        last_hash: [0; 32],
    };
    let mut instead = v4.clone();
    instead.revoked[0] = phantom.clone();
    instead.signer = a.id;
    let instead = sign_roster(&a.identity, instead);
    assert_rule_refuses(&rosters[..3], &instead, "not a member");
    let mut besides = v4.clone();
    besides.revoked.push(phantom.clone());
    besides.signer = a.id;
    let besides = sign_roster(&a.identity, besides);
    assert_rule_refuses(&rosters[..3], &besides, "exactly the devices it removes");
    // ... or a member that stays.
    let mut stays = next(a, v3, v3.devices.clone(), Epoch(2), &fresh);
    stays.revoked.push(RevokedDevice {
        device_id: c.id,
        verifying_key: c.identity.verifying_key(),
        last_seq: DeviceSeq(0),
        last_hash: [0; 32],
    });
    let stays = sign_roster(&a.identity, stays);
    assert_rule_refuses(&rosters[..3], &stays, "revoked device as a member");

    // After v4, B's record is dropped, altered or reordered.
    let v5 = next(a, v4, v4.devices.clone(), Epoch(2), key2);
    let chain5 = [rosters.clone(), vec![v5.clone()]].concat();
    assert_eq!(verify_roster_chain(&chain5, j.id).unwrap().version, 5);
    assert_eq!(v5.revoked, v4.revoked, "next_roster carries the record");
    let resigned = |mut r: Roster| {
        r.signer = a.id;
        sign_roster(&a.identity, r)
    };
    let mut dropped = v5.clone();
    dropped.revoked.clear();
    assert_rule_refuses(rosters, &resigned(dropped), "list of revoked devices");
    let alterations: [fn(&mut RevokedDevice); 4] = [
        |r| r.last_seq.0 += 1,
        |r| r.last_hash[0] ^= 1,
        |r| r.verifying_key = Device::new(0xb2).identity.verifying_key(),
        |r| r.device_id.0[0] ^= 1,
    ];
    for alter in alterations {
        let mut altered = v5.clone();
        alter(&mut altered.revoked[0]);
        assert_rule_refuses(rosters, &resigned(altered), "list of revoked devices");
    }
    // C is removed too, and B's record is dropped or put after C's.
    let v5c = {
        let last = |_: DeviceId| (DeviceSeq(0), [0; 32]);
        next_roster(
            &a.identity,
            a.id,
            v4,
            RosterChange {
                devices: vec![a.entry()],
                epoch: Epoch(3),
                key: &fresh,
                last_envelopes: &last,
            },
        )
    };
    assert_eq!(
        v5c.revoked.iter().map(|r| r.device_id).collect::<Vec<_>>(),
        [j.b.id, c.id]
    );
    assert_eq!(
        verify_roster_chain(&[rosters.clone(), vec![v5c.clone()]].concat(), j.id)
            .unwrap()
            .version,
        5
    );
    let mut only_c = v5c.clone();
    only_c.revoked.remove(0);
    assert_rule_refuses(rosters, &resigned(only_c), "list of revoked devices");
    let mut reordered = v5c.clone();
    reordered.revoked.reverse();
    assert_rule_refuses(rosters, &resigned(reordered), "list of revoked devices");

    // A revoked id never returns: with its old keys, new keys, or at a new epoch.
    let mut rekeyed_b = Device::new(0xb0);
    rekeyed_b.id = j.b.id;
    for returning in [j.b.entry(), rekeyed_b.entry()] {
        for (epoch, key) in [(Epoch(2), key2), (Epoch(3), &fresh)] {
            let back = next(
                a,
                v4,
                vec![a.entry(), c.entry(), returning.clone()],
                epoch,
                key,
            );
            assert!(back.revoked_device(j.b.id).is_some());
            assert_rule_refuses(rosters, &back, "revoked device as a member");
        }
    }
    // Not even by dropping its record at the same time.
    let mut laundered = next(
        a,
        v4,
        vec![a.entry(), c.entry(), j.b.entry()],
        Epoch(2),
        key2,
    );
    laundered.revoked.clear();
    assert_rule_refuses(rosters, &resigned(laundered), "list of revoked devices");
}

#[test]
fn wrong_journal_and_version_are_refused() {
    let (j, _) = four_versions();
    let rosters = &j.rosters;
    assert_eq!(
        chain_error(rosters, JournalId([3; 16])),
        CryptoError::RosterWrongJournal
    );
    let mut other = rosters[1].clone();
    other.journal_id = JournalId([3; 16]);
    let other = sign_roster(&j.a.identity, other);
    assert_eq!(
        chain_error(&[rosters[0].clone(), other], j.id),
        CryptoError::RosterWrongJournal
    );
    // Version 1 rosters (without commitment and revocations) and unknown future ones.
    for v in [0, 1, ROSTER_VERSION + 1, 255] {
        let mut old = rosters[0].clone();
        old.v = v;
        let old = sign_roster(&j.a.identity, old);
        assert_eq!(
            chain_error(std::slice::from_ref(&old), j.id),
            CryptoError::UnsupportedRosterVersion(v)
        );
        let mut later = rosters[1].clone();
        later.v = v;
        let later = sign_roster(&j.a.identity, later);
        assert_eq!(
            verify_roster_extends(&rosters[0], &[later]).unwrap_err(),
            CryptoError::UnsupportedRosterVersion(v)
        );
    }
}

#[test]
fn extending_a_trusted_version() {
    let (j, c) = four_versions();
    let rosters = &j.rosters;
    let trusted = &rosters[1];
    // Only the rest, the whole chain, or nothing new.
    assert_eq!(
        verify_roster_extends(trusted, &rosters[2..])
            .unwrap()
            .version,
        4
    );
    assert_eq!(verify_roster_extends(trusted, rosters).unwrap().version, 4);
    assert_eq!(
        verify_roster_extends(trusted, &rosters[..2]).unwrap(),
        trusted
    );
    assert_eq!(verify_roster_extends(trusted, &[]).unwrap(), trusted);

    // Rollback: the relay serves only older versions (hiding B's revocation).
    assert_eq!(
        verify_roster_extends(&rosters[3], &rosters[..3]).unwrap_err(),
        CryptoError::RosterRollback {
            trusted: 4,
            served: 3
        }
    );
    // Fork: a different version 2 (signed by a member, even).
    let fork = next(
        &j.a,
        &rosters[0],
        vec![j.a.entry(), c.entry()],
        Epoch(1),
        j.key(Epoch(1)),
    );
    assert_eq!(
        verify_roster_extends(trusted, &[rosters[0].clone(), fork.clone()]).unwrap_err(),
        CryptoError::RosterRollback {
            trusted: 2,
            served: 2
        }
    );
    // Fork: a version 3 that builds on another version 2.
    let fork3 = next(&j.a, &fork, fork.devices.clone(), Epoch(1), j.key(Epoch(1)));
    assert_eq!(
        verify_roster_extends(trusted, &[fork3]).unwrap_err(),
        CryptoError::RosterRollback {
            trusted: 2,
            served: 3
        }
    );
    // A forged next version.
    let intruder = Device::new(0xee);
    let forged = next(
        &intruder,
        trusted,
        vec![intruder.entry()],
        Epoch(2),
        &JournalKey::generate(),
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

#[test]
fn a_chain_contains_only_its_own_versions() {
    let (j, c) = four_versions();
    let rosters = &j.rosters;
    for roster in rosters {
        check_roster_contains(rosters, roster.hash()).unwrap();
    }
    assert_eq!(
        check_roster_contains(rosters, [0; 32]),
        Err(CryptoError::RosterNotVouchedFor)
    );
    assert_eq!(
        check_roster_contains(&[], rosters[0].hash()),
        Err(CryptoError::RosterNotVouchedFor)
    );
    // A head vouched for by a fork (or a fabricated journal) is not in this chain.
    let fork = next(
        &j.a,
        &rosters[0],
        vec![j.a.entry(), c.entry()],
        Epoch(1),
        j.key(Epoch(1)),
    );
    assert_eq!(
        check_roster_contains(rosters, fork.hash()),
        Err(CryptoError::RosterNotVouchedFor)
    );
    // A version that differs only in its signature is another version.
    let mut resigned = rosters[3].clone();
    resigned.signature[0] ^= 1;
    assert_eq!(
        check_roster_contains(&rosters[..3], rosters[3].hash()),
        Err(CryptoError::RosterNotVouchedFor)
    );
    assert_eq!(
        check_roster_contains(
            &[rosters[..3].to_vec(), vec![resigned]].concat(),
            rosters[3].hash()
        ),
        Err(CryptoError::RosterNotVouchedFor)
    );
}

/// One change to one signed field of a roster version (each a change of one byte, or one character).
#[derive(Clone, Debug)]
enum FieldChange {
    Format(u8),
    Journal(usize, u8),
    Version(u64),
    PrevHash(usize, u8),
    Epoch(u32),
    Commitment(usize, u8),
    DeviceId(usize, usize, u8),
    VerifyingKey(usize, usize, u8),
    AgeRecipient(usize, usize, usize),
    RevokedId(usize, u8),
    RevokedKey(usize, u8),
    RevokedSeq(u64),
    RevokedHash(usize, u8),
    Signer(usize, u8),
}

fn field_change() -> impl Strategy<Value = FieldChange> {
    let byte = || (0..32usize, 1u8..=255);
    prop_oneof![
        any::<u8>()
            .prop_filter("changed", |v| *v != ROSTER_VERSION)
            .prop_map(FieldChange::Format),
        (0..16usize, 1u8..=255).prop_map(|(i, x)| FieldChange::Journal(i, x)),
        any::<u64>()
            .prop_filter("changed", |v| *v != 4)
            .prop_map(FieldChange::Version),
        byte().prop_map(|(i, x)| FieldChange::PrevHash(i, x)),
        any::<u32>()
            .prop_filter("changed", |e| *e != 2)
            .prop_map(FieldChange::Epoch),
        byte().prop_map(|(i, x)| FieldChange::Commitment(i, x)),
        (0..2usize, 0..16usize, 1u8..=255).prop_map(|(d, i, x)| FieldChange::DeviceId(d, i, x)),
        (0..2usize, 0..32usize, 1u8..=255).prop_map(|(d, i, x)| FieldChange::VerifyingKey(d, i, x)),
        (0..2usize, 4..62usize, 1..32usize)
            .prop_map(|(d, i, s)| FieldChange::AgeRecipient(d, i, s)),
        (0..16usize, 1u8..=255).prop_map(|(i, x)| FieldChange::RevokedId(i, x)),
        byte().prop_map(|(i, x)| FieldChange::RevokedKey(i, x)),
        (1u64..).prop_map(FieldChange::RevokedSeq),
        byte().prop_map(|(i, x)| FieldChange::RevokedHash(i, x)),
        (0..16usize, 1u8..=255).prop_map(|(i, x)| FieldChange::Signer(i, x)),
    ]
}

/// Applies `change` to a version with two devices and one revoked device.
fn apply(roster: &mut Roster, change: &FieldChange) {
    const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    match *change {
        FieldChange::Format(v) => roster.v = v,
        FieldChange::Journal(i, x) => roster.journal_id.0[i] ^= x,
        FieldChange::Version(v) => roster.version = v,
        FieldChange::PrevHash(i, x) => roster.prev_hash[i] ^= x,
        FieldChange::Epoch(e) => roster.epoch = Epoch(e),
        FieldChange::Commitment(i, x) => roster.key_commitment[i] ^= x,
        FieldChange::DeviceId(d, i, x) => roster.devices[d].device_id.0[i] ^= x,
        FieldChange::VerifyingKey(d, i, x) => roster.devices[d].verifying_key[i] ^= x,
        FieldChange::AgeRecipient(d, i, shift) => {
            // Another bech32 character, so the recipient still looks valid.
            let mut bytes = roster.devices[d].age_recipient.clone().into_bytes();
            let at = BECH32.iter().position(|&c| c == bytes[i]).unwrap();
            bytes[i] = BECH32[(at + shift) % BECH32.len()];
            roster.devices[d].age_recipient = String::from_utf8(bytes).unwrap();
        }
        FieldChange::RevokedId(i, x) => roster.revoked[0].device_id.0[i] ^= x,
        FieldChange::RevokedKey(i, x) => roster.revoked[0].verifying_key[i] ^= x,
        FieldChange::RevokedSeq(s) => roster.revoked[0].last_seq = DeviceSeq(s),
        FieldChange::RevokedHash(i, x) => roster.revoked[0].last_hash[i] ^= x,
        FieldChange::Signer(i, x) => roster.signer.0[i] ^= x,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Version 4 (which revokes B) with one signed field changed and its
    /// signature kept: refused by both checks, for the expected reason.
    #[test]
    fn any_changed_signed_field_is_refused(change in field_change()) {
        let (j, _) = four_versions();
        let mut changed = j.rosters[3].clone();
        apply(&mut changed, &change);
        prop_assert_ne!(&changed.signing_message(), &j.rosters[3].signing_message());
        let chain = [&j.rosters[..3], std::slice::from_ref(&changed)].concat();
        let by_extends = verify_roster_extends(&j.rosters[2], std::slice::from_ref(&changed));
        prop_assert!(by_extends.is_err(), "version 3 extended by {:?}", change);
        let by_chain = verify_roster_chain(&chain, j.id).map(|_| ());
        prop_assert!(by_chain.is_err(), "chain accepted {:?}", change);
        let by_chain = by_chain.unwrap_err();
        match change {
            FieldChange::Format(v) => {
                prop_assert_eq!(&by_chain, &CryptoError::UnsupportedRosterVersion(v));
            }
            FieldChange::Journal(..) => {
                prop_assert_eq!(&by_chain, &CryptoError::RosterWrongJournal);
            }
            FieldChange::Version(_) | FieldChange::PrevHash(..) => {
                let broken = matches!(by_chain, CryptoError::RosterChainBroken { .. });
                prop_assert!(broken, "{:?}", by_chain);
            }
            _ => {
                prop_assert_eq!(&by_chain, &CryptoError::RosterNotSignedByMember { version: 4 });
            }
        }
    }

    /// Any single changed byte of the encoding of any version of the chain
    /// either fails to decode or makes the chain fail verification.
    #[test]
    fn any_changed_byte_of_a_version_is_refused(
        which in 0..4usize,
        at in any::<prop::sample::Index>(),
        x in 1u8..=255,
    ) {
        let (j, _) = four_versions();
        let mut bytes = j.rosters[which].encode();
        let i = at.index(bytes.len());
        bytes[i] ^= x;
        if let Ok(changed) = Roster::decode(&bytes) {
            prop_assert_ne!(&changed, &j.rosters[which]);
            let mut chain = j.rosters.clone();
            chain[which] = changed;
            prop_assert!(verify_roster_chain(&chain, j.id).is_err());
            if which > 0 {
                prop_assert!(verify_roster_extends(&j.rosters[which - 1], &chain[which..]).is_err());
            }
        }
    }
}
