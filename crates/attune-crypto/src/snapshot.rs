//! Sealing the journal's documents into a signed snapshot, and opening one.
//!
//! # Snapshot format v1
//!
//! - `ciphertext` = `nonce (24) || XChaCha20-Poly1305(key of epoch, nonce, framed, ad) || tag (16)`,
//!   `framed` padded to a PADMÉ size bucket like an envelope's.
//! - `ad` = `b"attune-snapshot-aad-v1" || postcard(header)`: the relay-readable
//!   header (journal, author, epoch, cursor, covers, time) is bound to the contents.
//! - `signature` = Ed25519 of the author over `BLAKE3(Snapshot::signed_bytes())`,
//!   which covers the header and the ciphertext.
//!
//! Padding, encryption and signing are `seal.rs`'s, shared with envelopes.
//!
//! A device opens a snapshot only if its author is in the roster in force at
//! its epoch, the signature verifies, its covers are canonical, and it decrypts.

use attune_proto::{Roster, Snapshot, SnapshotHeader, WIRE_VERSION};
use ed25519_dalek::VerifyingKey;
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::identity::DeviceIdentity;
use crate::key::{JournalKey, KeyRing};
use crate::random::random_bytes;
use crate::roster::roster_in_force;
use crate::seal::{self, OpenError, SealError};

const AAD_DOMAIN: &[u8] = b"attune-snapshot-aad-v1";

/// Seals `plaintext` (the journal's documents) under `key` with `header`, signed by `identity`.
///
/// The header must name `identity`'s device and the epoch of `key`; its covers
/// must be canonical (sorted, one per device).
pub fn seal_snapshot(
    key: &JournalKey,
    identity: &DeviceIdentity,
    header: SnapshotHeader,
    plaintext: &[u8],
) -> Result<Snapshot, CryptoError> {
    if !header.covers_are_canonical() {
        return Err(CryptoError::BadSnapshot(
            "its covers are not sorted by device",
        ));
    }
    let aad = associated_data(&header);
    let unsigned = Snapshot {
        header,
        ciphertext: Vec::new(),
        signature: [0; 64],
    };
    seal::seal(unsigned, key, identity, random_bytes(), &aad, plaintext).map_err(|e| match e {
        SealError::TooLarge { len } => CryptoError::SnapshotTooLarge { len },
    })
}

/// Verifies a snapshot served for `journal` and returns its plaintext.
///
/// `rosters` is the verified roster chain (oldest first). Checks, in order:
/// version, journal, canonical covers, author in the roster in force at the
/// snapshot's epoch, signature, epoch key, AEAD, framing.
pub fn open_snapshot(
    snapshot: &Snapshot,
    rosters: &[Roster],
    keys: &KeyRing,
    journal: attune_proto::JournalId,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let header = &snapshot.header;
    if header.v != WIRE_VERSION {
        return Err(CryptoError::BadSnapshot("unsupported format version"));
    }
    if header.journal_id != journal {
        return Err(CryptoError::BadSnapshot("it belongs to another journal"));
    }
    if !header.covers_are_canonical() {
        return Err(CryptoError::BadSnapshot(
            "its covers are not sorted by device",
        ));
    }
    let member = roster_in_force(rosters, header.epoch)
        .filter(|roster| roster.journal_id == journal)
        .and_then(|roster| roster.device(header.device_id))
        .ok_or(CryptoError::BadSnapshot(
            "its author is not a device of this journal",
        ))?;
    // Revocation: a removed device's snapshot is not trusted (it may have
    // been made after its removal with the keys it kept), and no snapshot
    // may cover a removed device beyond the last envelope its removal recorded.
    if let Some(latest) = rosters.last() {
        if latest.revoked_device(header.device_id).is_some() {
            return Err(CryptoError::BadSnapshot(
                "its author was removed from the journal",
            ));
        }
        let beyond = header.covers.iter().any(|cover| {
            latest.revoked_device(cover.device_id).is_some_and(|r| {
                cover.device_seq > r.last_seq
                    || (cover.device_seq == r.last_seq && cover.hash != r.last_hash)
            })
        });
        if beyond {
            return Err(CryptoError::BadSnapshot(
                "it holds changes a removed device made after its removal",
            ));
        }
    }
    let author = VerifyingKey::from_bytes(&member.verifying_key)
        .map_err(|_| CryptoError::BadSnapshot("its author's key is invalid"))?;
    seal::open(
        snapshot,
        &author,
        keys.get(header.epoch),
        &associated_data(header),
    )
    .map_err(|e| match e {
        OpenError::BadSignature => CryptoError::BadSnapshot("its signature does not verify"),
        OpenError::NoKey => CryptoError::UnknownEpoch(header.epoch.0),
        OpenError::Truncated => CryptoError::BadSnapshot("it is truncated"),
        OpenError::Tampered => CryptoError::BadSnapshot("it does not decrypt"),
        OpenError::Malformed => CryptoError::BadSnapshot("its contents are malformed"),
    })
}

fn associated_data(header: &SnapshotHeader) -> Vec<u8> {
    let mut aad = AAD_DOMAIN.to_vec();
    aad.extend_from_slice(&header.encode_fields());
    aad
}

#[cfg(test)]
mod tests {
    use attune_proto::{Cover, DeviceId, DeviceSeq, Epoch, JournalId, RelaySeq};

    use super::*;
    use crate::roster::{genesis_roster, verify_roster_chain};

    fn setup() -> (DeviceIdentity, Roster, KeyRing, JournalId, DeviceId) {
        let identity = DeviceIdentity::generate();
        let journal = JournalId([3; 16]);
        let device = DeviceId([4; 16]);
        let key = JournalKey::from_bytes([5; 32]);
        let member = attune_proto::RosterDevice {
            device_id: device,
            verifying_key: identity.verifying_key(),
            age_recipient: identity.age_recipient(),
        };
        let roster = genesis_roster(&identity, device, journal, vec![member], Epoch(1), &key);
        let mut ring = KeyRing::new();
        ring.insert(Epoch(1), key);
        (identity, roster, ring, journal, device)
    }

    fn header(journal: JournalId, device: DeviceId) -> SnapshotHeader {
        SnapshotHeader {
            v: WIRE_VERSION,
            journal_id: journal,
            device_id: device,
            epoch: Epoch(1),
            cursor: RelaySeq(7),
            covers: vec![Cover {
                device_id: device,
                device_seq: DeviceSeq(7),
                hash: [8; 32],
            }],
            created_unix: 1,
        }
    }

    #[test]
    fn sealed_snapshots_open_and_every_forgery_is_refused() {
        let (identity, roster, ring, journal, device) = setup();
        let rosters = vec![roster];
        verify_roster_chain(&rosters, journal).unwrap();
        let key = ring.get(Epoch(1)).unwrap();
        let snap = seal_snapshot(key, &identity, header(journal, device), b"documents").unwrap();
        assert_eq!(
            open_snapshot(&snap, &rosters, &ring, journal)
                .unwrap()
                .as_slice(),
            b"documents"
        );

        let refused = |s: &Snapshot| open_snapshot(s, &rosters, &ring, journal).is_err();
        // The relay-readable header is bound: a moved cursor or cover is refused.
        let mut moved = snap.clone();
        moved.header.cursor = RelaySeq(100);
        assert!(refused(&moved));
        let mut recovered = snap.clone();
        recovered.header.covers[0].device_seq = DeviceSeq(100);
        assert!(refused(&recovered));
        // Flipped ciphertext, flipped signature, another journal.
        let mut flipped = snap.clone();
        flipped.ciphertext[30] ^= 1;
        assert!(refused(&flipped));
        let mut unsigned = snap.clone();
        unsigned.signature[0] ^= 1;
        assert!(refused(&unsigned));
        assert!(open_snapshot(&snap, &rosters, &ring, JournalId([9; 16])).is_err());
        // Signed by a stranger who claims to be the member.
        let stranger = DeviceIdentity::generate();
        let forged = seal_snapshot(key, &stranger, header(journal, device), b"evil").unwrap();
        assert!(matches!(
            open_snapshot(&forged, &rosters, &ring, journal),
            Err(CryptoError::BadSnapshot(_))
        ));
        // A member's signature over a snapshot sealed with the wrong key.
        let wrong_key = JournalKey::from_bytes([6; 32]);
        let wrong = seal_snapshot(&wrong_key, &identity, header(journal, device), b"x").unwrap();
        assert!(refused(&wrong));
        // Truncated.
        let mut short = snap.clone();
        short.ciphertext.truncate(10);
        assert!(refused(&short));
    }

    #[test]
    fn unsorted_covers_are_refused_on_both_sides() {
        let (identity, _, ring, journal, device) = setup();
        let mut h = header(journal, device);
        h.covers.push(Cover {
            device_id: DeviceId([0; 16]),
            device_seq: DeviceSeq(1),
            hash: [0; 32],
        });
        let key = ring.get(Epoch(1)).unwrap();
        assert!(seal_snapshot(key, &identity, h, b"x").is_err());
    }
}
