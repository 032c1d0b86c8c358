//! Snapshots: a device's sealed copy of the whole journal, so that a new device
//! need not replay every envelope, and so that the relay can compact.
//!
//! A snapshot's header is readable by the relay (it must check coverage before
//! it deletes anything): the journal, the author device, the key epoch, the
//! relay cursor it was taken at, and, per device, the sequence number and hash
//! of the last envelope whose changes it contains. The journal's documents are
//! in `ciphertext`, sealed with the journal key and bound to the header.

use serde::{Deserialize, Serialize};

use crate::codec::{bytes64, to_postcard, wire_message};
use crate::{DeviceId, DeviceSeq, Epoch, JournalId, RelaySeq};

/// Domain separation prefix of [`Snapshot::signed_bytes`].
const SNAPSHOT_DOMAIN: &[u8] = b"attune-snapshot-v1";

/// The last envelope of one device whose changes a snapshot contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cover {
    /// The device.
    pub device_id: DeviceId,
    /// Its sequence number: this envelope and every earlier one of the device are covered.
    pub device_seq: DeviceSeq,
    /// [`crate::Envelope::hash`] of that envelope (binds the snapshot to one chain).
    pub hash: [u8; 32],
}

/// The header of a snapshot: everything but the ciphertext and the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotHeader {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The journal.
    pub journal_id: JournalId,
    /// The device that took, sealed and signed it.
    pub device_id: DeviceId,
    /// The journal-key epoch it is sealed under.
    pub epoch: Epoch,
    /// Every envelope the relay numbered up to here is covered.
    pub cursor: RelaySeq,
    /// Per device, the last covered envelope; sorted by device id, one per device.
    pub covers: Vec<Cover>,
    /// When it was taken (Unix seconds, the author's clock).
    pub created_unix: u64,
}

impl SnapshotHeader {
    /// The covered sequence number of `device` (0: none of its envelopes).
    pub fn covered(&self, device: DeviceId) -> DeviceSeq {
        self.covers
            .iter()
            .find(|c| c.device_id == device)
            .map_or(DeviceSeq(0), |c| c.device_seq)
    }

    /// Whether the covers are sorted by device id without repeats, and none is sequence 0.
    pub fn covers_are_canonical(&self) -> bool {
        self.covers
            .windows(2)
            .all(|w| w[0].device_id < w[1].device_id)
            && self.covers.iter().all(|c| c.device_seq.0 > 0)
    }

    /// Whether this snapshot covers at least everything `older` covers, and more.
    ///
    /// Same-or-higher cursor, same-or-higher sequence for every device `older`
    /// covers, and strictly more somewhere; otherwise it is stale.
    pub fn supersedes(&self, older: &SnapshotHeader) -> bool {
        if self.cursor < older.cursor {
            return false;
        }
        if older
            .covers
            .iter()
            .any(|c| self.covered(c.device_id) < c.device_seq)
        {
            return false;
        }
        self.cursor > older.cursor
            || self
                .covers
                .iter()
                .any(|c| c.device_seq > older.covered(c.device_id))
    }

    /// The postcard of the header: the AEAD's associated data after a domain prefix.
    pub fn encode_fields(&self) -> Vec<u8> {
        to_postcard(self)
    }
}

/// A sealed, signed snapshot as uploaded to and served by the relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The header, readable by the relay.
    pub header: SnapshotHeader,
    /// The sealed documents: opaque to the relay.
    #[serde(with = "serde_bytes")]
    pub ciphertext: Vec<u8>,
    /// The author's Ed25519 signature over BLAKE3 of [`Snapshot::signed_bytes`].
    #[serde(with = "bytes64")]
    pub signature: [u8; 64],
}

/// Signed fields: the header and the ciphertext, serialised like the snapshot without its signature.
#[derive(Serialize)]
struct SignedFields<'a> {
    header: &'a SnapshotHeader,
    #[serde(with = "serde_bytes")]
    ciphertext: &'a [u8],
}

impl Snapshot {
    /// `b"attune-snapshot-v1"` followed by the postcard of every field but the signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = SNAPSHOT_DOMAIN.to_vec();
        out.extend_from_slice(&to_postcard(&SignedFields {
            header: &self.header,
            ciphertext: &self.ciphertext,
        }));
        out
    }

    /// BLAKE3 of [`Snapshot::signed_bytes`]: what the author signs.
    pub fn signed_digest(&self) -> [u8; 32] {
        *blake3::hash(&self.signed_bytes()).as_bytes()
    }

    /// BLAKE3 of [`Snapshot::encode`]: the snapshot's name in compaction requests.
    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.encode()).as_bytes()
    }
}

/// `GET /snapshot`: the newest verified snapshot (if any) and where the journal stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotResponse {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The newest snapshot the relay accepted.
    pub snapshot: Option<Snapshot>,
    /// The journal's latest relay sequence.
    pub head: RelaySeq,
    /// Envelopes up to here were deleted; a device behind it must start from the snapshot.
    pub compacted_through: RelaySeq,
}

/// `PUT /snapshot` answer: the snapshot was verified and is now the newest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotStored {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// [`Snapshot::hash`] of the stored snapshot.
    pub hash: [u8; 32],
}

/// `POST /compact`: delete the envelopes that this (stored, newest) snapshot covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactRequest {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// [`Snapshot::hash`] of the snapshot the device uploaded and verified.
    pub snapshot_hash: [u8; 32],
}

/// What a compaction did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactResponse {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// Envelopes deleted by this request.
    pub deleted: u64,
    /// Bytes of envelopes freed by this request.
    pub freed_bytes: u64,
    /// Every envelope up to here is now gone (covered by the snapshot).
    pub compacted_through: RelaySeq,
}

wire_message!(
    Snapshot,
    SnapshotResponse,
    SnapshotStored,
    CompactRequest,
    CompactResponse
);

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cursor: u64, covers: &[(u8, u64)]) -> SnapshotHeader {
        SnapshotHeader {
            v: 1,
            journal_id: JournalId([1; 16]),
            device_id: DeviceId([2; 16]),
            epoch: Epoch(1),
            cursor: RelaySeq(cursor),
            covers: covers
                .iter()
                .map(|&(d, s)| Cover {
                    device_id: DeviceId([d; 16]),
                    device_seq: DeviceSeq(s),
                    hash: [d; 32],
                })
                .collect(),
            created_unix: 0,
        }
    }

    #[test]
    fn supersedes_needs_more_and_never_less() {
        let old = header(10, &[(1, 5), (2, 5)]);
        assert!(header(11, &[(1, 5), (2, 5)]).supersedes(&old));
        assert!(header(10, &[(1, 6), (2, 5)]).supersedes(&old));
        assert!(header(12, &[(1, 6), (2, 5), (3, 1)]).supersedes(&old));
        // Equal: stale.
        assert!(!header(10, &[(1, 5), (2, 5)]).supersedes(&old));
        // Lower cursor, or a device covered less, or dropped: stale.
        assert!(!header(9, &[(1, 9), (2, 9)]).supersedes(&old));
        assert!(!header(20, &[(1, 4), (2, 9)]).supersedes(&old));
        assert!(!header(20, &[(1, 9)]).supersedes(&old));
    }

    #[test]
    fn canonical_covers_are_sorted_unique_and_nonzero() {
        assert!(header(1, &[(1, 1), (2, 1)]).covers_are_canonical());
        assert!(!header(1, &[(2, 1), (1, 1)]).covers_are_canonical());
        assert!(!header(1, &[(1, 1), (1, 2)]).covers_are_canonical());
        assert!(!header(1, &[(1, 0)]).covers_are_canonical());
    }

    #[test]
    fn round_trip_and_hash_covers_every_byte() {
        let snap = Snapshot {
            header: header(3, &[(1, 2)]),
            ciphertext: vec![9; 40],
            signature: [7; 64],
        };
        let bytes = snap.encode();
        assert_eq!(Snapshot::decode(&bytes).unwrap(), snap);
        let mut other = snap.clone();
        other.signature[0] ^= 1;
        assert_ne!(other.hash(), snap.hash());
        assert_eq!(other.signed_digest(), snap.signed_digest());
        other.header.cursor = RelaySeq(4);
        assert_ne!(other.signed_digest(), snap.signed_digest());
    }
}
