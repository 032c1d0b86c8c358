//! Sealing and opening envelopes: round trips, each refusal in its order, padding, batches.

mod common;

use attune_crypto::{
    open_envelope, open_envelopes, seal_envelope, verify_roster_chain, ChainState, CryptoError,
    DeviceIdentity, JournalKey, KeyRing, ENVELOPE_NONCE_LEN, ENVELOPE_TAG_LEN,
};
use attune_proto::{DeviceId, DeviceSeq, Envelope, Epoch, JournalId};
use common::{resign, Device, Journal};
use proptest::prelude::*;

fn open(j: &Journal, env: &Envelope, chain: &ChainState) -> Result<Vec<u8>, CryptoError> {
    open_envelope(env, &j.rosters, &j.keys, chain, j.id)
}

#[test]
fn round_trip_in_order_for_two_devices() {
    let j = Journal::new();
    verify_roster_chain(&j.rosters, j.id).unwrap();
    let mut chain = ChainState::new();
    for device in [&j.a, &j.b] {
        for env in j.chain_of(device, 3) {
            let before = chain.clone();
            let plaintext = open(&j, &env, &chain).unwrap();
            assert_eq!(plaintext, format!("batch {}", env.device_seq.0).as_bytes());
            assert_eq!(chain, before, "opening must not record");
            chain.record(&env);
        }
    }
    assert_eq!(chain.last(j.a.id).unwrap().0, DeviceSeq(3));
    assert_eq!(chain.last(j.b.id).unwrap().0, DeviceSeq(3));
    // The envelope survives the wire encoding unchanged.
    let env = j.seal(&j.a, 4, None, b"");
    assert_eq!(Envelope::decode(&env.encode()).unwrap(), env);
}

#[test]
fn every_refusal_is_distinct() {
    let j = Journal::new();
    let envs = j.chain_of(&j.a, 3);
    let mut chain = ChainState::new();
    chain.record(&envs[0]);
    let next = &envs[1];
    assert!(open(&j, next, &chain).is_ok());

    let mut v2 = next.clone();
    v2.v = 2;
    assert_eq!(
        open(&j, &v2, &chain),
        Err(CryptoError::UnsupportedEnvelopeVersion(2))
    );

    assert_eq!(
        open_envelope(next, &j.rosters, &j.keys, &chain, JournalId([9; 16])),
        Err(CryptoError::WrongJournal)
    );

    // A device outside the roster, signing with its own key.
    let stranger = Device::new(0x55);
    let foreign = j.seal(&stranger, 1, None, b"let me in");
    assert_eq!(open(&j, &foreign, &chain), Err(CryptoError::UnknownDevice));

    // A member's id re-signed by a key that is not that member's.
    let mut forged = next.clone();
    resign(&mut forged, &stranger.identity);
    assert_eq!(
        open(&j, &forged, &chain),
        Err(CryptoError::BadEnvelopeSignature)
    );

    // One flipped bit in any header field breaks the signature.
    let mutations: [fn(&mut Envelope); 4] = [
        |e| e.device_seq.0 ^= 1 << 7,
        |e| e.prev_hash[31] ^= 1,
        |e| e.epoch.0 ^= 1 << 20,
        |e| e.signature[0] ^= 1,
    ];
    for mutate in mutations {
        let mut bad = next.clone();
        mutate(&mut bad);
        assert_eq!(
            open(&j, &bad, &chain),
            Err(CryptoError::BadEnvelopeSignature)
        );
    }
    let mut other_device = next.clone();
    other_device.device_id = j.b.id;
    assert_eq!(
        open(&j, &other_device, &chain),
        Err(CryptoError::BadEnvelopeSignature)
    );

    // One flipped bit in the ciphertext: the signature catches it first...
    let mut flipped = next.clone();
    flipped.ciphertext[30] ^= 0x10;
    assert_eq!(
        open(&j, &flipped, &chain),
        Err(CryptoError::BadEnvelopeSignature)
    );
    // ...and the AEAD catches it when the device itself signed the damage.
    resign(&mut flipped, &j.a.identity);
    assert_eq!(
        open(&j, &flipped, &chain),
        Err(CryptoError::EnvelopeTampered)
    );

    // A key for the epoch that is not the one it was sealed with.
    let mut wrong_keys = KeyRing::new();
    wrong_keys.insert(Epoch(1), JournalKey::generate());
    assert_eq!(
        open_envelope(next, &j.rosters, &wrong_keys, &chain, j.id),
        Err(CryptoError::EnvelopeTampered)
    );

    // No key at all for the epoch.
    assert_eq!(
        open_envelope(next, &j.rosters, &KeyRing::new(), &chain, j.id),
        Err(CryptoError::UnknownEpoch(1))
    );

    assert_eq!(
        open(&j, &envs[0], &chain),
        Err(CryptoError::Replay {
            device: j.a.id,
            seq: 1
        })
    );
    assert_eq!(
        open(&j, &envs[2], &chain),
        Err(CryptoError::Gap {
            device: j.a.id,
            expected: 2,
            got: 3
        })
    );
    // Right sequence number, wrong previous hash: a forked chain.
    let fork = j.seal(&j.a, 2, Some(&envs[2]), b"fork");
    assert_eq!(
        open(&j, &fork, &chain),
        Err(CryptoError::Gap {
            device: j.a.id,
            expected: 2,
            got: 2
        })
    );
    // A first envelope that does not start at 1.
    let late_start = j.seal(&j.b, 2, None, b"late");
    assert_eq!(
        open(&j, &late_start, &chain),
        Err(CryptoError::Gap {
            device: j.b.id,
            expected: 1,
            got: 2
        })
    );
}

#[test]
fn checks_run_in_the_documented_order() {
    let j = Journal::new();
    let envs = j.chain_of(&j.a, 2);
    let mut chain = ChainState::new();
    chain.record(&envs[0]);
    chain.record(&envs[1]);

    // Version before journal, journal before device.
    let mut bad = envs[1].clone();
    bad.v = 9;
    bad.journal_id = JournalId([1; 16]);
    assert_eq!(
        open(&j, &bad, &chain),
        Err(CryptoError::UnsupportedEnvelopeVersion(9))
    );
    bad.v = 1;
    bad.device_id = DeviceId([0x55; 16]);
    assert_eq!(open(&j, &bad, &chain), Err(CryptoError::WrongJournal));
    // Device before signature.
    bad.journal_id = j.id;
    assert_eq!(open(&j, &bad, &chain), Err(CryptoError::UnknownDevice));
    // Signature before epoch: an unknown epoch with a broken signature is a bad signature.
    let mut future = envs[1].clone();
    future.epoch = Epoch(7);
    assert_eq!(
        open(&j, &future, &chain),
        Err(CryptoError::BadEnvelopeSignature)
    );
    resign(&mut future, &j.a.identity);
    assert_eq!(open(&j, &future, &chain), Err(CryptoError::UnknownEpoch(7)));
    // AEAD before replay: a replayed copy with damaged ciphertext is tampered.
    let mut replayed = envs[1].clone();
    replayed.ciphertext[ENVELOPE_NONCE_LEN] ^= 1;
    resign(&mut replayed, &j.a.identity);
    assert_eq!(
        open(&j, &replayed, &chain),
        Err(CryptoError::EnvelopeTampered)
    );
    // The associated data binds the header even when the device re-signs it.
    let mut moved = envs[1].clone();
    moved.device_seq = DeviceSeq(3);
    moved.prev_hash = envs[1].hash();
    resign(&mut moved, &j.a.identity);
    assert_eq!(open(&j, &moved, &chain), Err(CryptoError::EnvelopeTampered));
    // Replay before gap.
    assert!(matches!(
        open(&j, &envs[0], &chain),
        Err(CryptoError::Replay { .. })
    ));
}

#[test]
fn revoked_device_keeps_its_history_but_nothing_after() {
    let mut j = Journal::new();
    let before = j.chain_of(&j.b, 2);
    // B goes on writing at epoch 1, whose key it keeps, after A removed it;
    // and it rewrites its own envelope 2.
    let after_old = j.seal_at(&j.b, Epoch(1), 3, before.last(), b"after, old epoch");
    let rewritten = j.seal_at(&j.b, Epoch(1), 2, Some(&before[0]), b"rewritten");
    // A, having applied B's first two envelopes, revokes B: version 3, epoch 2, new key.
    let (v3, key) = j.revocation(&j.a, j.b.id, before.last());
    j.adopt(v3, key);
    verify_roster_chain(&j.rosters, j.id).unwrap();
    let record = j.latest().revoked_device(j.b.id).unwrap();
    assert_eq!(
        (record.last_seq, record.last_hash),
        (DeviceSeq(2), before[1].hash())
    );

    // History replay on a fresh device: B's envelopes up to the record still open.
    let mut chain = ChainState::new();
    for env in &before {
        let plaintext = open(&j, env, &chain).unwrap();
        assert_eq!(plaintext, format!("batch {}", env.device_seq.0).as_bytes());
        chain.record(env);
    }
    let batch = open_envelopes(&before, &j.rosters, &j.keys, &ChainState::new(), j.id);
    assert!(batch.iter().all(Result::is_ok), "{batch:?}");

    // After the record, at the old epoch whose key B kept: refused, whatever
    // the receiving device has applied.
    for state in [&chain, &ChainState::new()] {
        assert_eq!(
            open(&j, &after_old, state),
            Err(CryptoError::SentAfterRevocation { seq: 3 })
        );
    }
    for seq in [4, 1_000, u64::MAX] {
        let later = j.seal_at(&j.b, Epoch(1), seq, Some(&after_old), b"later");
        assert_eq!(
            open(&j, &later, &chain),
            Err(CryptoError::SentAfterRevocation { seq })
        );
    }
    // The recorded sequence number with another envelope than the recorded one.
    let mut at_one = ChainState::new();
    at_one.record(&before[0]);
    assert_eq!(
        open(&j, &rewritten, &at_one),
        Err(CryptoError::SentAfterRevocation { seq: 2 })
    );
    assert!(open(&j, &before[1], &at_one).is_ok());

    // After the record, at the new epoch (say B learnt its key): the
    // revocation record refuses it first, with the error that says why.
    let after_new = j.seal_at(&j.b, Epoch(2), 3, before.last(), b"after, new epoch");
    assert_eq!(
        open(&j, &after_new, &chain),
        Err(CryptoError::SentAfterRevocation { seq: 3 })
    );
    // An old number at the new epoch: B is in no roster of that epoch.
    let after_new_past = j.seal_at(&j.b, Epoch(2), 1, None, b"old number, new epoch");
    assert_eq!(
        open(&j, &after_new_past, &ChainState::new()),
        Err(CryptoError::UnknownDevice)
    );

    // Opening as a batch refuses the same envelopes for the same reasons.
    let mixed = [
        before[0].clone(),
        before[1].clone(),
        after_old.clone(),
        after_new.clone(),
    ];
    let batch = open_envelopes(&mixed, &j.rosters, &j.keys, &ChainState::new(), j.id);
    let sequential: Vec<_> = {
        let mut scratch = ChainState::new();
        mixed
            .iter()
            .map(|env| {
                let result = open(&j, env, &scratch);
                if result.is_ok() {
                    scratch.record(env);
                }
                result
            })
            .collect()
    };
    assert_eq!(batch, sequential);
    assert_eq!(batch[2], Err(CryptoError::SentAfterRevocation { seq: 3 }));
    assert_eq!(batch[3], Err(CryptoError::SentAfterRevocation { seq: 3 }));

    // The remaining device is unaffected, at both epochs.
    let a_old = j.seal_at(&j.a, Epoch(1), 1, None, b"a at 1");
    let a_new = j.seal_at(&j.a, Epoch(2), 2, Some(&a_old), b"a at 2");
    let mut a_chain = ChainState::new();
    assert!(open(&j, &a_old, &a_chain).is_ok());
    a_chain.record(&a_old);
    assert_eq!(open(&j, &a_new, &a_chain).unwrap(), b"a at 2");

    // A current device at an epoch newer than any roster: the key is what is missing.
    let ahead = seal_envelope(
        j.key(Epoch(2)),
        &j.a.identity,
        j.id,
        j.a.id,
        Epoch(3),
        DeviceSeq(1),
        [0; 32],
        b"x",
    )
    .unwrap();
    assert_eq!(open(&j, &ahead, &chain), Err(CryptoError::UnknownEpoch(3)));
    // Checked against the latest roster only, B's history would be refused.
    let latest = &j.rosters[2..];
    assert_eq!(
        open_envelope(&before[0], latest, &j.keys, &ChainState::new(), j.id),
        Err(CryptoError::UnknownDevice)
    );
}

#[test]
fn a_device_revoked_before_writing_may_never_write() {
    let mut j = Journal::new();
    let (v3, key) = j.revocation(&j.a, j.b.id, None);
    j.adopt(v3, key);
    let record = j.latest().revoked_device(j.b.id).unwrap();
    assert_eq!((record.last_seq, record.last_hash), (DeviceSeq(0), [0; 32]));
    let first = j.seal_at(&j.b, Epoch(1), 1, None, b"first, but too late");
    assert_eq!(
        open(&j, &first, &ChainState::new()),
        Err(CryptoError::SentAfterRevocation { seq: 1 })
    );
}

#[test]
fn revocation_is_judged_by_the_newest_roster() {
    let mut j = Journal::new();
    let before = j.chain_of(&j.b, 1);
    let after = j.seal_at(&j.b, Epoch(1), 2, before.last(), b"after");
    let (v3, key) = j.revocation(&j.a, j.b.id, before.last());
    let known = j.rosters.clone();
    j.adopt(v3, key);
    let mut chain = ChainState::new();
    chain.record(&before[0]);
    // A device that has not learnt of the revocation yet opens it (it cannot know better)...
    assert_eq!(
        open_envelope(&after, &known, &j.keys, &chain, j.id).unwrap(),
        b"after"
    );
    // ...and once it knows the version that revokes B, it refuses the same envelope.
    assert_eq!(
        open(&j, &after, &chain),
        Err(CryptoError::SentAfterRevocation { seq: 2 })
    );
    // A later version that keeps the record keeps refusing it.
    let v4 = common::next(
        &j.a,
        j.latest(),
        j.latest().devices.clone(),
        Epoch(2),
        j.key(Epoch(2)),
    );
    j.rosters.push(v4);
    verify_roster_chain(&j.rosters, j.id).unwrap();
    assert_eq!(
        open(&j, &after, &chain),
        Err(CryptoError::SentAfterRevocation { seq: 2 })
    );
    assert!(open(&j, &before[0], &ChainState::new()).is_ok());
}

#[test]
fn member_with_non_canonical_padding_is_malformed() {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};

    let j = Journal::new();
    let mut env = j.seal(&j.a, 1, None, b"hi");
    let key = j.key(Epoch(1));
    let mut aad = b"attune-envelope-aad-v1".to_vec();
    aad.push(1);
    aad.extend_from_slice(&j.id.0);
    aad.extend_from_slice(&j.a.id.0);
    aad.extend_from_slice(&1u32.to_be_bytes());
    aad.extend_from_slice(&1u64.to_be_bytes());
    aad.extend_from_slice(&[0; 32]);
    let mut framed = vec![0u8; 300]; // Not a bucket size.
    framed[3] = 2;
    let nonce = [3u8; 24];
    let sealed = XChaCha20Poly1305::new(key.expose_bytes().into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &framed,
                aad: &aad,
            },
        )
        .unwrap();
    env.ciphertext = [&nonce[..], &sealed].concat();
    resign(&mut env, &j.a.identity);
    assert_eq!(
        open(&j, &env, &ChainState::new()),
        Err(CryptoError::MalformedEnvelopePlaintext)
    );
}

#[test]
fn sizes_fall_into_few_buckets() {
    let j = Journal::new();
    let overhead = ENVELOPE_NONCE_LEN + ENVELOPE_TAG_LEN;
    let len_of = |n: usize| j.seal(&j.a, 1, None, &vec![0x61; n]).ciphertext.len();
    // Small batches all look alike.
    assert_eq!(len_of(1), len_of(200));
    assert_eq!(len_of(0), 256 + overhead);
    // Every size up to 900 bytes maps to one of few lengths.
    let mut lengths: Vec<usize> = (1..=900).map(len_of).collect();
    lengths.dedup();
    assert!(lengths.len() <= 32, "{} distinct lengths", lengths.len());
    assert!(lengths.contains(&len_of(1)) && lengths.contains(&len_of(900)));
    // Above 1 KiB, padding and framing add at most 12%.
    for n in (1025..70_000).step_by(97) {
        let padded = len_of(n) - overhead;
        assert!(padded >= n + 4);
        assert!(padded * 100 <= n * 112, "{n} -> {padded}");
    }
}

#[test]
fn batch_opening_matches_one_by_one() {
    let j = Journal::new();
    let mut envs = j.chain_of(&j.a, 6);
    envs.extend(j.chain_of(&j.b, 3));
    let mut chain = ChainState::new();
    chain.record(&envs[0]);

    // All good: everything after A's first opens, in order across devices.
    let results = open_envelopes(&envs[1..], &j.rosters, &j.keys, &chain, j.id);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(results[0].as_ref().unwrap(), b"batch 2");

    // A forged signature in the middle, a duplicate and a foreign device.
    let mut mixed = envs.clone();
    resign(&mut mixed[3], &DeviceIdentity::generate());
    mixed.push(envs[7].clone());
    mixed.push(j.seal(&Device::new(0x77), 1, None, b"x"));
    let batch = open_envelopes(&mixed, &j.rosters, &j.keys, &ChainState::new(), j.id);
    let mut sequential = Vec::new();
    let mut scratch = ChainState::new();
    for env in &mixed {
        let result = open_envelope(env, &j.rosters, &j.keys, &scratch, j.id);
        if result.is_ok() {
            scratch.record(env);
        }
        sequential.push(result);
    }
    assert_eq!(batch, sequential);
    assert_eq!(batch[3], Err(CryptoError::BadEnvelopeSignature));
    assert!(matches!(
        batch[4],
        Err(CryptoError::Gap {
            expected: 4,
            got: 5,
            ..
        })
    ));
    assert!(matches!(batch[9], Err(CryptoError::Replay { seq: 2, .. })));
    assert_eq!(batch[10], Err(CryptoError::UnknownDevice));
    assert!(open_envelopes(&[], &j.rosters, &j.keys, &chain, j.id).is_empty());
}

/// One way to damage a valid envelope.
#[derive(Clone, Debug)]
enum Mutation {
    Version(u8),
    Journal(usize, u8),
    Device(usize, u8),
    Epoch(u32),
    Seq(u64),
    PrevHash(usize, u8),
    FlipCiphertext(usize, u8),
    Truncate(usize),
    Append(Vec<u8>),
    Signature(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0u8..=255)
            .prop_filter("changed", |v| *v != 1)
            .prop_map(Mutation::Version),
        (0..16usize, 1u8..=255).prop_map(|(i, x)| Mutation::Journal(i, x)),
        (0..16usize, 1u8..=255).prop_map(|(i, x)| Mutation::Device(i, x)),
        (0u32..)
            .prop_filter("changed", |e| *e != 1)
            .prop_map(Mutation::Epoch),
        any::<u64>()
            .prop_filter("changed", |s| *s != 2)
            .prop_map(Mutation::Seq),
        (0..32usize, 1u8..=255).prop_map(|(i, x)| Mutation::PrevHash(i, x)),
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::FlipCiphertext(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(Mutation::Append),
        (0..64usize, 1u8..=255).prop_map(|(i, x)| Mutation::Signature(i, x)),
    ]
}

fn apply(env: &mut Envelope, mutation: &Mutation) {
    let len = env.ciphertext.len();
    match mutation {
        Mutation::Version(v) => env.v = *v,
        Mutation::Journal(i, x) => env.journal_id.0[*i] ^= x,
        Mutation::Device(i, x) => env.device_id.0[*i] ^= x,
        Mutation::Epoch(e) => env.epoch = Epoch(*e),
        Mutation::Seq(s) => env.device_seq = DeviceSeq(*s),
        Mutation::PrevHash(i, x) => env.prev_hash[*i] ^= x,
        Mutation::FlipCiphertext(i, x) => env.ciphertext[i % len] ^= x,
        Mutation::Truncate(n) => env.ciphertext.truncate(n % len),
        Mutation::Append(bytes) => env.ciphertext.extend_from_slice(bytes),
        Mutation::Signature(i, x) => env.signature[*i] ^= x,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_envelopes_never_open(
        mutations in prop::collection::vec(mutation(), 1..4),
        resign_as_member in any::<bool>(),
    ) {
        let j = Journal::new();
        let envs = j.chain_of(&j.a, 2);
        let mut chain = ChainState::new();
        chain.record(&envs[0]);
        let mut env = envs[1].clone();
        for m in &mutations {
            apply(&mut env, m);
        }
        if resign_as_member {
            // Even the device's own signature cannot make altered bytes open.
            resign(&mut env, &j.a.identity);
        }
        prop_assume!(env != envs[1]);
        prop_assert!(open(&j, &env, &chain).is_err());
        let batch = open_envelopes(std::slice::from_ref(&env), &j.rosters, &j.keys, &chain, j.id);
        prop_assert!(batch[0].is_err());
    }

    #[test]
    fn arbitrary_bytes_never_open(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let j = Journal::new();
        if let Ok(env) = Envelope::decode(&bytes) {
            prop_assert!(open(&j, &env, &ChainState::new()).is_err());
        }
    }
}
