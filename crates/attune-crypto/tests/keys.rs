//! Journal keys are used only when a signed roster commits to them, and
//! devices seal under the key of their roster's epoch, never simply the highest held.

mod common;

use attune_crypto::{
    accept_wrapped_key, open_envelope, seal_envelope, unwrap_at_rest_key, verify_roster_chain,
    wrap_at_rest_key, wrap_journal_key, ChainState, CryptoError, JournalKey, KeyRing,
};
use attune_proto::{DeviceSeq, Epoch};
use common::{next, Device, Journal};
use proptest::prelude::*;

/// A journal of A and B at epoch 1 (versions 1, 2), rotated to epoch 2 by A (version 3).
fn two_epochs() -> Journal {
    let mut j = Journal::new();
    let key = JournalKey::generate();
    let rotated = next(&j.a, j.latest(), j.latest().devices.clone(), Epoch(2), &key);
    j.adopt(rotated, key);
    verify_roster_chain(&j.rosters, j.id).unwrap();
    j
}

/// `key` wrapped to `device` as the key of `epoch` (what the relay serves).
fn wrapped_to(device: &Device, key: &JournalKey, epoch: u32) -> Vec<u8> {
    wrap_journal_key(key, epoch, &[device.identity.age_recipient()]).unwrap()
}

fn not_committed(epoch: u32) -> Result<[u8; 32], CryptoError> {
    Err(CryptoError::KeyNotCommitted { epoch })
}

/// What `accept_wrapped_key` makes of `blob` for B, as raw bytes for comparing.
fn accepted(
    j: &Journal,
    rosters_len: usize,
    blob: &[u8],
    epoch: u32,
) -> Result<[u8; 32], CryptoError> {
    accept_wrapped_key(blob, &j.b.identity, &j.rosters[..rosters_len], Epoch(epoch))
        .map(|key| *key.expose_bytes())
}

#[test]
fn the_genuine_key_of_each_epoch_is_accepted() {
    let j = two_epochs();
    let all = j.rosters.len();
    for epoch in [1, 2] {
        let key = j.key(Epoch(epoch));
        let blob = wrapped_to(&j.b, key, epoch);
        assert_eq!(accepted(&j, all, &blob, epoch), Ok(*key.expose_bytes()));
    }
    // The key of epoch 1 is also accepted from the versions that introduced it alone.
    let blob = wrapped_to(&j.b, j.key(Epoch(1)), 1);
    for len in 1..=all {
        assert_eq!(
            accepted(&j, len, &blob, 1),
            Ok(*j.key(Epoch(1)).expose_bytes())
        );
    }
}

#[test]
fn a_key_for_an_epoch_no_roster_names_is_refused() {
    let j = two_epochs();
    let all = j.rosters.len();
    // A key planted for B at an epoch beyond (or before, or between) any roster's.
    for epoch in [0, 3, 9, u32::MAX] {
        let planted = wrapped_to(&j.b, &JournalKey::generate(), epoch);
        assert_eq!(accepted(&j, all, &planted, epoch), not_committed(epoch));
    }
    // Even the genuine key of epoch 2, moved to an epoch no version names.
    let moved = wrapped_to(&j.b, j.key(Epoch(2)), 3);
    assert_eq!(accepted(&j, all, &moved, 3), not_committed(3));
    // Before the version that rotates to epoch 2 is known, epoch 2 is unnamed:
    // not even its genuine key is taken on the relay's word.
    let early = wrapped_to(&j.b, j.key(Epoch(2)), 2);
    assert_eq!(accepted(&j, 2, &early, 2), not_committed(2));
    assert_eq!(accepted(&j, 0, &early, 2), not_committed(2));
}

#[test]
fn a_key_at_a_named_epoch_that_does_not_match_the_commitment_is_refused() {
    let j = two_epochs();
    let all = j.rosters.len();
    for epoch in [1, 2] {
        // A fresh key, planted for B (age does not authenticate the sender).
        let planted = wrapped_to(&j.b, &JournalKey::generate(), epoch);
        assert_eq!(accepted(&j, all, &planted, epoch), not_committed(epoch));
        // The genuine key with one bit flipped.
        let mut near = *j.key(Epoch(epoch)).expose_bytes();
        near[31] ^= 0x80;
        let near = wrapped_to(&j.b, &JournalKey::from_bytes(near), epoch);
        assert_eq!(accepted(&j, all, &near, epoch), not_committed(epoch));
    }
    // The genuine key of epoch 1 presented as the key of epoch 2: the commitment binds the epoch.
    let old_as_new = wrapped_to(&j.b, j.key(Epoch(1)), 2);
    assert_eq!(accepted(&j, all, &old_as_new, 2), not_committed(2));
    let new_as_old = wrapped_to(&j.b, j.key(Epoch(2)), 1);
    assert_eq!(accepted(&j, all, &new_as_old, 1), not_committed(1));
}

#[test]
fn a_wrapped_key_whose_inner_epoch_differs_from_the_claimed_one_is_refused() {
    let j = two_epochs();
    let all = j.rosters.len();
    // The genuine key of epoch 2, wrapped saying epoch 2, claimed (by the relay's row) as epoch 1.
    let genuine2 = wrapped_to(&j.b, j.key(Epoch(2)), 2);
    assert_eq!(accepted(&j, all, &genuine2, 1), not_committed(1));
    // The genuine key of epoch 1, wrapped saying epoch 1, claimed as epoch 2.
    let genuine1 = wrapped_to(&j.b, j.key(Epoch(1)), 1);
    assert_eq!(accepted(&j, all, &genuine1, 2), not_committed(2));
    // The genuine key of epoch 2 (its commitment matches the claim) whose payload says epoch 7.
    let mislabelled = wrapped_to(&j.b, j.key(Epoch(2)), 7);
    assert_eq!(accepted(&j, all, &mislabelled, 2), not_committed(2));
    // The right claim is accepted.
    assert_eq!(
        accepted(&j, all, &genuine2, 2),
        Ok(*j.key(Epoch(2)).expose_bytes())
    );
}

#[test]
fn keys_not_meant_for_the_device_are_refused_before_the_commitment() {
    let j = two_epochs();
    let all = j.rosters.len();
    // Wrapped to A only.
    let to_a = wrapped_to(&j.a, j.key(Epoch(1)), 1);
    assert_eq!(accepted(&j, all, &to_a, 1), Err(CryptoError::NotARecipient));
    assert!(matches!(
        accepted(&j, all, b"not an age file", 1),
        Err(CryptoError::MalformedWrappedKey)
    ));
    // B's own at-rest key is never a journal key, even when it holds the genuine key's bytes.
    let at_rest = wrap_at_rest_key(j.key(Epoch(1)), &j.b.identity).unwrap();
    assert_eq!(
        accepted(&j, all, &at_rest, 1),
        Err(CryptoError::MalformedWrappedKey)
    );
    assert_eq!(
        unwrap_at_rest_key(&at_rest, &j.b.identity)
            .unwrap()
            .expose_bytes(),
        j.key(Epoch(1)).expose_bytes()
    );
    // And a journal key (planted or not) is never taken for an at-rest key.
    let journal_key = wrapped_to(&j.b, j.key(Epoch(1)), 1);
    assert!(matches!(
        unwrap_at_rest_key(&journal_key, &j.b.identity),
        Err(CryptoError::MalformedWrappedKey)
    ));
    // Only the device itself opens its at-rest key.
    assert_eq!(
        unwrap_at_rest_key(&at_rest, &j.a.identity).map(|_| ()),
        Err(CryptoError::NotARecipient)
    );
}

#[test]
fn sealing_uses_the_roster_epoch_even_with_a_higher_key_in_the_ring() {
    let mut j = Journal::new();
    // A key for epoch 9, which no roster names, has made it into the ring.
    let planted = JournalKey::generate();
    j.keys.insert(Epoch(9), planted.clone());
    assert_eq!(j.keys.epochs().collect::<Vec<_>>(), [Epoch(1), Epoch(9)]);
    let (epoch, key) = j.keys.for_roster(j.latest()).unwrap();
    assert_eq!(epoch, Epoch(1));
    assert_eq!(key.expose_bytes(), j.key(Epoch(1)).expose_bytes());
    assert_ne!(key.expose_bytes(), planted.expose_bytes());

    // What A seals with it opens for B, which holds only the genuine key.
    let env = seal_envelope(
        key,
        &j.a.identity,
        j.id,
        j.a.id,
        epoch,
        DeviceSeq(1),
        [0; 32],
        b"for members only",
    )
    .unwrap();
    assert_eq!(env.epoch, Epoch(1));
    let mut genuine = KeyRing::new();
    genuine.insert(Epoch(1), j.key(Epoch(1)).clone());
    assert_eq!(
        open_envelope(&env, &j.rosters, &genuine, &ChainState::new(), j.id).unwrap(),
        b"for members only"
    );
    // The test helper seals the same way.
    assert_eq!(j.seal(&j.a, 1, None, b"x").epoch, Epoch(1));

    // After a rotation to epoch 2 the roster's epoch is followed, still not 9.
    let key2 = JournalKey::generate();
    let rotated = next(
        &j.a,
        j.latest(),
        j.latest().devices.clone(),
        Epoch(2),
        &key2,
    );
    let expected = *key2.expose_bytes();
    j.adopt(rotated, key2);
    let (epoch, key) = j.keys.for_roster(j.latest()).unwrap();
    assert_eq!((epoch, *key.expose_bytes()), (Epoch(2), expected));
    // Under a roster whose key is not held, there is nothing to seal with.
    let mut ahead = j.latest().clone();
    ahead.epoch = Epoch(3);
    assert!(j.keys.for_roster(&ahead).is_none());
    assert!(KeyRing::new().for_roster(j.latest()).is_none());
}

#[test]
fn a_key_ring_filled_only_through_acceptance_holds_only_committed_keys() {
    let j = two_epochs();
    let all = j.rosters.len();
    let served = [
        (1, wrapped_to(&j.b, j.key(Epoch(1)), 1)),
        (2, wrapped_to(&j.b, &JournalKey::generate(), 2)), // planted
        (2, wrapped_to(&j.b, j.key(Epoch(2)), 2)),
        (5, wrapped_to(&j.b, &JournalKey::generate(), 5)), // planted, unnamed epoch
    ];
    let mut ring = KeyRing::new();
    let mut refused = Vec::new();
    for (epoch, blob) in &served {
        match accept_wrapped_key(blob, &j.b.identity, &j.rosters[..all], Epoch(*epoch)) {
            Ok(key) => ring.insert(Epoch(*epoch), key),
            Err(e) => refused.push(e),
        }
    }
    assert_eq!(
        refused,
        [
            CryptoError::KeyNotCommitted { epoch: 2 },
            CryptoError::KeyNotCommitted { epoch: 5 },
        ]
    );
    assert_eq!(ring.epochs().collect::<Vec<_>>(), [Epoch(1), Epoch(2)]);
    for epoch in [Epoch(1), Epoch(2)] {
        assert_eq!(
            ring.get(epoch).unwrap().expose_bytes(),
            j.key(epoch).expose_bytes()
        );
    }
    let (epoch, _) = ring.for_roster(j.latest()).unwrap();
    assert_eq!(epoch, Epoch(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// No key but the committed one is accepted, at any epoch, whatever the inner epoch says.
    #[test]
    fn only_the_committed_key_is_accepted(
        bytes in any::<[u8; 32]>(),
        claimed in 0u32..4,
        inner in 0u32..4,
    ) {
        let j = two_epochs();
        let blob = wrapped_to(&j.b, &JournalKey::from_bytes(bytes), inner);
        let result = accept_wrapped_key(&blob, &j.b.identity, &j.rosters, Epoch(claimed));
        prop_assert_eq!(result.map(|_| ()), Err(CryptoError::KeyNotCommitted { epoch: claimed }));
    }
}
