//! Sealing change batches into signed envelopes, and opening them in order.
//!
//! # Envelope format v1
//!
//! - `ciphertext` = `nonce (24) || XChaCha20-Poly1305(key of epoch, nonce, framed, ad) || tag (16)`,
//!   where `framed` = `u32-BE len || plaintext || zeros`, padded to a PADMÉ size
//!   bucket of at least 256 bytes (see `padding.rs`), so the relay learns
//!   little from sizes.
//! - `ad` = `b"attune-envelope-aad-v1" || v (1) || journal id (16) || device id (16)
//!   || epoch (u32 BE) || device seq (u64 BE) || prev_hash (32)`.
//! - `signature` = Ed25519 of the device over `BLAKE3(Envelope::signed_bytes())`,
//!   which covers every field but the signature.
//!
//! Padding, encryption and signing are `seal.rs`'s, shared with snapshots;
//! this module owns the header, its associated data and the chain rules.
//!
//! # Opening
//!
//! [`open_envelope`] checks, in this order, each failure a distinct
//! [`CryptoError`]: format version, journal, device membership (see
//! [`roster_in_force`]), signature, epoch key, AEAD, plaintext framing,
//! replay, gap. It never panics and never changes the [`ChainState`].

use attune_proto::{DeviceId, DeviceSeq, Envelope, Epoch, JournalId, Roster, WIRE_VERSION};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::chain::ChainState;
use crate::error::CryptoError;
use crate::identity::DeviceIdentity;
use crate::key::{JournalKey, KeyRing};
use crate::random::random_bytes;
use crate::roster::roster_in_force;
use crate::seal::{self, OpenError, SealError, SealedMessage};

/// The envelope format version this crate seals and opens.
pub const ENVELOPE_VERSION: u8 = WIRE_VERSION;
/// Length of the random XChaCha20 nonce at the start of an envelope's ciphertext.
pub const ENVELOPE_NONCE_LEN: usize = seal::NONCE_LEN;
/// Length of the Poly1305 tag at the end of an envelope's ciphertext.
pub const ENVELOPE_TAG_LEN: usize = seal::TAG_LEN;

const AAD_DOMAIN: &[u8; 22] = b"attune-envelope-aad-v1";
const AAD_LEN: usize = AAD_DOMAIN.len() + 1 + 16 + 16 + 4 + 8 + 32;
/// Below this many signatures, one-by-one verification is as fast as a batch.
const BATCH_THRESHOLD: usize = 4;

/// Seals `plaintext` (a change batch) for `journal` as envelope `seq` of `device`, with a random nonce.
///
/// `prev_hash` is [`Envelope::hash`] of this device's previous envelope, zeros for sequence 1.
///
/// # Panics
///
/// Panics if the operating system cannot provide randomness.
#[allow(clippy::too_many_arguments)] // The header fields are distinct types; a struct would only rename them.
pub fn seal_envelope(
    key: &JournalKey,
    identity: &DeviceIdentity,
    journal: JournalId,
    device: DeviceId,
    epoch: Epoch,
    seq: DeviceSeq,
    prev_hash: [u8; 32],
    plaintext: &[u8],
) -> Result<Envelope, CryptoError> {
    let nonce = random_bytes();
    seal_envelope_with_nonce(
        key, identity, journal, device, epoch, seq, prev_hash, plaintext, nonce,
    )
}

/// Seals with a caller-chosen nonce; only for golden test vectors, never reuse a nonce.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn seal_envelope_with_nonce(
    key: &JournalKey,
    identity: &DeviceIdentity,
    journal: JournalId,
    device: DeviceId,
    epoch: Epoch,
    seq: DeviceSeq,
    prev_hash: [u8; 32],
    plaintext: &[u8],
    nonce: [u8; ENVELOPE_NONCE_LEN],
) -> Result<Envelope, CryptoError> {
    let aad = associated_data(ENVELOPE_VERSION, journal, device, epoch, seq, &prev_hash);
    let unsigned = Envelope {
        v: ENVELOPE_VERSION,
        journal_id: journal,
        device_id: device,
        epoch,
        device_seq: seq,
        prev_hash,
        ciphertext: Vec::new(),
        signature: [0; 64],
    };
    seal::seal(unsigned, key, identity, nonce, &aad, plaintext).map_err(|e| match e {
        SealError::TooLarge { len } => CryptoError::EnvelopeTooLarge { len },
    })
}

/// Verifies and opens `env`, returning its plaintext; does not change `chain`.
///
/// `rosters` is the journal's roster chain verified by
/// [`crate::verify_roster_chain`] (oldest first; one roster alone also works),
/// and the sender is checked against [`roster_in_force`] at the envelope's
/// epoch. Record the envelope in `chain` only after its plaintext is durably applied.
pub fn open_envelope(
    env: &Envelope,
    rosters: &[Roster],
    keys: &KeyRing,
    chain: &ChainState,
    expected_journal: JournalId,
) -> Result<Vec<u8>, CryptoError> {
    let sender = sender_key(env, rosters, expected_journal)?;
    seal::verify(env, &sender).map_err(|e| open_error(env, e))?;
    open_signed(env, keys, chain)
}

/// Opens many envelopes in order, verifying their signatures as one batch; one result per envelope.
///
/// The results are those of calling [`open_envelope`] on each envelope in turn
/// and recording every success in a copy of `chain`, so a later envelope of the
/// same device may follow an earlier one of the same slice; `chain` itself is
/// not changed. Batch verification is randomised and cofactorless like
/// single verification, but unlike `verify_strict` it does not reject a
/// signature whose R point has a small-order component: only the signing
/// device itself could make such a signature, and it could write garbage anyway.
pub fn open_envelopes(
    envs: &[Envelope],
    rosters: &[Roster],
    keys: &KeyRing,
    chain: &ChainState,
    expected_journal: JournalId,
) -> Vec<Result<Vec<u8>, CryptoError>> {
    // Checks before the signature, keeping the sender key and the digest to sign.
    let mut signed: Vec<Result<(VerifyingKey, [u8; 32]), CryptoError>> = envs
        .iter()
        .map(|env| {
            Ok((
                sender_key(env, rosters, expected_journal)?,
                env.signed_digest(),
            ))
        })
        .collect();

    let batchable: Vec<usize> = signed
        .iter()
        .enumerate()
        .filter(|(_, checked)| matches!(checked, Ok((key, _)) if !key.is_weak()))
        .map(|(index, _)| index)
        .collect();
    let batch_ok = batchable.len() >= BATCH_THRESHOLD && {
        let mut messages = Vec::with_capacity(batchable.len());
        let mut signatures = Vec::with_capacity(batchable.len());
        let mut verifying_keys = Vec::with_capacity(batchable.len());
        for &index in &batchable {
            if let (Some(Ok((key, digest))), Some(env)) = (signed.get(index), envs.get(index)) {
                messages.push(&digest[..]);
                signatures.push(Signature::from_bytes(&env.signature));
                verifying_keys.push(*key);
            }
        }
        ed25519_dalek::verify_batch(&messages, &signatures, &verifying_keys).is_ok()
    };
    // One by one: everything if the batch failed (to find the culprits) or was
    // too small, and always the weak keys left out of it (verify_strict refuses them).
    for (checked, env) in signed.iter_mut().zip(envs) {
        if let Ok((key, digest)) = checked {
            if batch_ok && !key.is_weak() {
                continue;
            }
            if let Err(e) = seal::verify_digest(digest, &env.signature, key) {
                *checked = Err(open_error(env, e));
            }
        }
    }

    let mut scratch = chain.clone();
    envs.iter()
        .zip(signed)
        .map(|(env, checked)| {
            checked?;
            let plaintext = open_signed(env, keys, &scratch)?;
            scratch.record(env);
            Ok(plaintext)
        })
        .collect()
}

/// Checks version, journal and membership, and returns the sender's verifying key.
fn sender_key(
    env: &Envelope,
    rosters: &[Roster],
    expected_journal: JournalId,
) -> Result<VerifyingKey, CryptoError> {
    if env.v != ENVELOPE_VERSION {
        return Err(CryptoError::UnsupportedEnvelopeVersion(env.v));
    }
    if env.journal_id != expected_journal {
        return Err(CryptoError::WrongJournal);
    }
    // A revoked device may have kept every key it had: whatever it signs after
    // the last envelope its revocation recorded is refused, at any epoch.
    if let Some(revoked) = rosters
        .last()
        .and_then(|latest| latest.revoked_device(env.device_id))
    {
        let after = env.device_seq > revoked.last_seq;
        let replaced = env.device_seq == revoked.last_seq && env.hash() != revoked.last_hash;
        if after || replaced {
            return Err(CryptoError::SentAfterRevocation {
                seq: env.device_seq.0,
            });
        }
    }
    let member = roster_in_force(rosters, env.epoch)
        .filter(|roster| roster.journal_id == expected_journal)
        .and_then(|roster| roster.device(env.device_id))
        .ok_or(CryptoError::UnknownDevice)?;
    // A verified roster holds only valid keys; an invalid one cannot have signed anything.
    VerifyingKey::from_bytes(&member.verifying_key).map_err(|_| CryptoError::BadEnvelopeSignature)
}

/// The checks after the signature: epoch key, AEAD, framing, replay, gap.
fn open_signed(env: &Envelope, keys: &KeyRing, chain: &ChainState) -> Result<Vec<u8>, CryptoError> {
    let key = keys
        .get(env.epoch)
        .ok_or(CryptoError::UnknownEpoch(env.epoch.0))?;
    let plaintext = decrypt(env, key)?;
    chain.check_next(env)?;
    Ok(plaintext)
}

/// Authenticates and decrypts the ciphertext, then removes the padding.
fn decrypt(env: &Envelope, key: &JournalKey) -> Result<Vec<u8>, CryptoError> {
    let aad = associated_data(
        env.v,
        env.journal_id,
        env.device_id,
        env.epoch,
        env.device_seq,
        &env.prev_hash,
    );
    let mut plaintext =
        seal::open_payload(&env.ciphertext, key, &aad).map_err(|e| open_error(env, e))?;
    // Hand the buffer over instead of copying it; what stays behind is empty.
    Ok(std::mem::take(&mut *plaintext))
}

/// The error a person acts on for each step of opening an envelope that failed.
fn open_error(env: &Envelope, error: OpenError) -> CryptoError {
    match error {
        OpenError::BadSignature => CryptoError::BadEnvelopeSignature,
        OpenError::NoKey => CryptoError::UnknownEpoch(env.epoch.0),
        OpenError::Truncated | OpenError::Tampered => CryptoError::EnvelopeTampered,
        OpenError::Malformed => CryptoError::MalformedEnvelopePlaintext,
    }
}

/// The associated data binding the ciphertext to its header (fixed layout, big-endian).
fn associated_data(
    v: u8,
    journal: JournalId,
    device: DeviceId,
    epoch: Epoch,
    seq: DeviceSeq,
    prev_hash: &[u8; 32],
) -> [u8; AAD_LEN] {
    let mut aad = [0u8; AAD_LEN];
    let parts: [&[u8]; 7] = [
        AAD_DOMAIN,
        &[v],
        journal.as_bytes(),
        device.as_bytes(),
        &epoch.0.to_be_bytes(),
        &seq.0.to_be_bytes(),
        prev_hash,
    ];
    let mut at = 0;
    for part in parts {
        aad[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associated_data_layout() {
        let aad = associated_data(
            1,
            JournalId([0xaa; 16]),
            DeviceId([0xbb; 16]),
            Epoch(0x0102_0304),
            DeviceSeq(0x0506_0708_090a_0b0c),
            &[0xcc; 32],
        );
        assert_eq!(aad.len(), 99);
        assert_eq!(&aad[..22], b"attune-envelope-aad-v1");
        assert_eq!(aad[22], 1);
        assert_eq!(&aad[23..39], &[0xaa; 16]);
        assert_eq!(&aad[39..55], &[0xbb; 16]);
        assert_eq!(&aad[55..59], &[1, 2, 3, 4]);
        assert_eq!(&aad[59..67], &[5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(&aad[67..], &[0xcc; 32]);
    }

    #[test]
    fn short_ciphertexts_are_tampered_not_panics() {
        let key = JournalKey::from_bytes([7; 32]);
        for len in 0..ENVELOPE_NONCE_LEN + ENVELOPE_TAG_LEN + 2 {
            let env = Envelope {
                v: 1,
                journal_id: JournalId([1; 16]),
                device_id: DeviceId([2; 16]),
                epoch: Epoch(1),
                device_seq: DeviceSeq(1),
                prev_hash: [0; 32],
                ciphertext: vec![0; len],
                signature: [0; 64],
            };
            assert_eq!(decrypt(&env, &key), Err(CryptoError::EnvelopeTampered));
        }
    }
}
