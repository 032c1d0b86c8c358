//! The rules a snapshot must pass before the relay stores it, shared by every backend.
//!
//! The relay cannot read a snapshot, but it can check what the header claims
//! against what it stores: every cover names an envelope the relay holds (or
//! one the previous snapshot already covered and compaction removed) with the
//! same hash, every envelope up to the cursor is covered, and the snapshot
//! covers more than the one it replaces. Only then may compaction delete
//! envelopes on its authority.

use attune_proto::{Cover, DeviceId, DeviceSeq, ErrorCode, RelaySeq, SnapshotHeader};

/// What storage knows that bears on a snapshot's covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoverFacts {
    /// For each cover, in order, the hash of the stored envelope with its device and sequence.
    pub hashes: Vec<Option<[u8; 32]>>,
    /// Per device, the highest device sequence among stored envelopes at or below the cursor.
    pub maxima: Vec<(DeviceId, DeviceSeq)>,
    /// The journal was re-seeded here and has no snapshot yet: this first
    /// one may cover envelopes the relay never held (they were lost with the
    /// old relay), on its signed author's word. Covers of envelopes it does
    /// hold must still match.
    pub seed: bool,
}

/// Why a snapshot was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotRejection {
    /// The cursor is past the journal's head.
    #[error("the snapshot's cursor #{cursor} is past the journal's head #{head}")]
    CursorAhead {
        /// The snapshot's cursor.
        cursor: RelaySeq,
        /// The journal's head.
        head: RelaySeq,
    },
    /// It does not cover more than the stored snapshot.
    #[error("the snapshot covers nothing newer than the stored one (cursor #{stored_cursor}); take a new one after syncing")]
    Stale {
        /// The stored snapshot's cursor.
        stored_cursor: RelaySeq,
    },
    /// A cover names an envelope this relay does not hold.
    #[error(
        "the snapshot covers envelope {seq} of device {device}, which this relay does not hold"
    )]
    UnknownEnvelope {
        /// The device.
        device: DeviceId,
        /// Its sequence number.
        seq: DeviceSeq,
    },
    /// A cover's hash differs from the stored envelope's.
    #[error("the snapshot's hash of envelope {seq} of device {device} differs from the stored envelope's")]
    HashMismatch {
        /// The device.
        device: DeviceId,
        /// Its sequence number.
        seq: DeviceSeq,
    },
    /// An envelope at or below the cursor is not covered.
    #[error("envelope {seq} of device {device} is at or below the cursor but the snapshot does not cover it")]
    Uncovered {
        /// The device.
        device: DeviceId,
        /// Its highest sequence number at or below the cursor.
        seq: DeviceSeq,
    },
}

impl SnapshotRejection {
    /// The stable error code sent to clients.
    pub fn code(&self) -> ErrorCode {
        match self {
            SnapshotRejection::CursorAhead { .. } => ErrorCode::SnapshotCursorAhead,
            SnapshotRejection::Stale { .. } => ErrorCode::StaleSnapshot,
            SnapshotRejection::UnknownEnvelope { .. } => ErrorCode::SnapshotUnknownEnvelope,
            SnapshotRejection::HashMismatch { .. } => ErrorCode::SnapshotHashMismatch,
            SnapshotRejection::Uncovered { .. } => ErrorCode::SnapshotUncovers,
        }
    }
}

/// Checks a snapshot's header against storage facts and the snapshot it would replace.
pub fn check_snapshot(
    header: &SnapshotHeader,
    previous: Option<&SnapshotHeader>,
    head: RelaySeq,
    facts: &CoverFacts,
) -> Result<(), SnapshotRejection> {
    if header.cursor > head {
        return Err(SnapshotRejection::CursorAhead {
            cursor: header.cursor,
            head,
        });
    }
    if let Some(previous) = previous {
        if !header.supersedes(previous) {
            return Err(SnapshotRejection::Stale {
                stored_cursor: previous.cursor,
            });
        }
    }
    for (index, cover) in header.covers.iter().enumerate() {
        match facts.hashes.get(index).copied().flatten() {
            Some(hash) if hash == cover.hash => {}
            Some(_) => {
                return Err(SnapshotRejection::HashMismatch {
                    device: cover.device_id,
                    seq: cover.device_seq,
                })
            }
            // Gone: acceptable only if compaction removed it on the previous snapshot's word.
            None if previous.is_some_and(|p| covers_same(p, cover)) => {}
            None if facts.seed && previous.is_none() => {}
            None => {
                return Err(SnapshotRejection::UnknownEnvelope {
                    device: cover.device_id,
                    seq: cover.device_seq,
                })
            }
        }
    }
    for &(device, seq) in &facts.maxima {
        if header.covered(device) < seq {
            return Err(SnapshotRejection::Uncovered { device, seq });
        }
    }
    Ok(())
}

fn covers_same(previous: &SnapshotHeader, cover: &Cover) -> bool {
    previous.covers.iter().any(|c| c == cover)
}

#[cfg(test)]
mod tests {
    use attune_proto::{Epoch, JournalId};

    use super::*;

    fn cover(d: u8, s: u64) -> Cover {
        Cover {
            device_id: DeviceId([d; 16]),
            device_seq: DeviceSeq(s),
            hash: [d ^ s as u8; 32],
        }
    }

    fn header(cursor: u64, covers: Vec<Cover>) -> SnapshotHeader {
        SnapshotHeader {
            v: 1,
            journal_id: JournalId([1; 16]),
            device_id: DeviceId([1; 16]),
            epoch: Epoch(1),
            cursor: RelaySeq(cursor),
            covers,
            created_unix: 0,
        }
    }

    #[test]
    fn a_true_snapshot_passes() {
        let h = header(4, vec![cover(1, 2), cover(2, 2)]);
        let facts = CoverFacts {
            hashes: vec![Some(cover(1, 2).hash), Some(cover(2, 2).hash)],
            maxima: vec![
                (DeviceId([1; 16]), DeviceSeq(2)),
                (DeviceId([2; 16]), DeviceSeq(2)),
            ],
            seed: false,
        };
        assert_eq!(check_snapshot(&h, None, RelaySeq(4), &facts), Ok(()));
        // Cursor past the head.
        assert!(matches!(
            check_snapshot(&h, None, RelaySeq(3), &facts),
            Err(SnapshotRejection::CursorAhead { .. })
        ));
        // An envelope below the cursor it does not cover.
        let mut more = facts.clone();
        more.maxima.push((DeviceId([3; 16]), DeviceSeq(1)));
        assert!(matches!(
            check_snapshot(&h, None, RelaySeq(4), &more),
            Err(SnapshotRejection::Uncovered { .. })
        ));
        // A lie about a hash, or an envelope that does not exist.
        let mut lie = facts.clone();
        lie.hashes[0] = Some([0; 32]);
        assert!(matches!(
            check_snapshot(&h, None, RelaySeq(4), &lie),
            Err(SnapshotRejection::HashMismatch { .. })
        ));
        let mut missing = facts;
        missing.hashes[1] = None;
        assert!(matches!(
            check_snapshot(&h, None, RelaySeq(4), &missing),
            Err(SnapshotRejection::UnknownEnvelope { .. })
        ));
    }

    #[test]
    fn compacted_covers_are_vouched_for_by_the_previous_snapshot_only() {
        let old = header(4, vec![cover(1, 2), cover(2, 2)]);
        let new = header(6, vec![cover(1, 2), cover(2, 3)]);
        // (1, 2) was compacted away; (2, 3) is stored.
        let facts = CoverFacts {
            hashes: vec![None, Some(cover(2, 3).hash)],
            maxima: vec![(DeviceId([2; 16]), DeviceSeq(3))],
            seed: false,
        };
        assert_eq!(
            check_snapshot(&new, Some(&old), RelaySeq(6), &facts),
            Ok(())
        );
        // Without the previous snapshot's word the missing envelope is unknown.
        assert!(check_snapshot(&new, None, RelaySeq(6), &facts).is_err());
        // The old snapshot again, or one covering less: stale.
        assert!(matches!(
            check_snapshot(&old, Some(&old), RelaySeq(6), &facts),
            Err(SnapshotRejection::Stale { .. })
        ));
    }

    #[test]
    fn only_the_first_snapshot_of_a_reseeded_journal_covers_unheld_envelopes() {
        // Device 2's envelope 7 was lost with the old relay; device 1's 3 is stored.
        let seed = header(1, vec![cover(1, 3), cover(2, 7)]);
        let facts = CoverFacts {
            hashes: vec![Some(cover(1, 3).hash), None],
            maxima: vec![(DeviceId([1; 16]), DeviceSeq(3))],
            seed: true,
        };
        assert_eq!(check_snapshot(&seed, None, RelaySeq(1), &facts), Ok(()));
        // Not in a journal that was not re-seeded.
        let plain = CoverFacts {
            seed: false,
            ..facts.clone()
        };
        assert!(matches!(
            check_snapshot(&seed, None, RelaySeq(1), &plain),
            Err(SnapshotRejection::UnknownEnvelope { .. })
        ));
        // Not once a snapshot is stored: a later one needs the previous one's word.
        let later = header(2, vec![cover(1, 3), cover(2, 8)]);
        assert!(matches!(
            check_snapshot(&later, Some(&seed), RelaySeq(2), &facts),
            Err(SnapshotRejection::UnknownEnvelope { .. })
        ));
        // A held envelope must still match.
        let mut lie = facts.clone();
        lie.hashes[0] = Some([0; 32]);
        assert!(matches!(
            check_snapshot(&seed, None, RelaySeq(1), &lie),
            Err(SnapshotRejection::HashMismatch { .. })
        ));
    }
}
