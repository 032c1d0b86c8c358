//! The push rules, decided the same way by every storage backend.
//!
//! A backend loads the journal's and device's tips (and the stored hashes of
//! any re-pushed sequence numbers) inside its transaction, asks
//! [`plan_push`] what to do, inserts the planned rows and keeps the updated
//! tips for the next push of the same group commit.

use std::collections::HashMap;

use attune_proto::{Ack, DeviceSeq, RelaySeq};

use super::{next_device_seq, Acked, PendingPush};

/// Where a journal stands: its latest relay sequence and bytes used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalTip {
    /// Latest relay sequence (0 when empty).
    pub head: RelaySeq,
    /// Bytes of stored envelopes.
    pub used_bytes: u64,
    /// The journal was re-seeded here: its history before lives only on the
    /// devices, so a device's first envelope here may continue its chain
    /// from wherever it stands.
    pub reseeded: bool,
}

/// Where a device stands in a journal: its latest stored sequence and that envelope's hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceTip {
    /// Latest stored device sequence (0 when none).
    pub seq: DeviceSeq,
    /// Hash of that envelope (zeros when none), which the next envelope must name as `prev_hash`.
    pub hash: [u8; 32],
}

impl DeviceTip {
    /// The tip of a device that has stored nothing yet.
    pub const EMPTY: DeviceTip = DeviceTip {
        seq: DeviceSeq(0),
        hash: [0; 32],
    };
}

/// Why a push was refused as a whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushRejection {
    /// The journal does not exist.
    #[error("the journal does not exist")]
    UnknownJournal,
    /// The pushing device is not in the journal's latest roster (it was removed).
    #[error(
        "this device is not in the journal's latest roster; it was removed and may no longer write"
    )]
    NotInRoster,
    /// The device sequence is not the next one for this device.
    #[error("envelope has device sequence {got}, but the next one for this device is {expected}")]
    OutOfOrder {
        /// The sequence pushed.
        got: DeviceSeq,
        /// The sequence expected.
        expected: DeviceSeq,
    },
    /// A different envelope is already stored under this device sequence.
    #[error("a different envelope is already stored under device sequence {seq}")]
    SeqConflict {
        /// The sequence pushed twice with different content.
        seq: DeviceSeq,
    },
    /// The envelope's `prev_hash` is not the hash of the device's previous envelope.
    #[error("envelope {seq} does not chain to the device's previous envelope (prev_hash differs)")]
    ChainMismatch {
        /// The sequence whose `prev_hash` is wrong.
        seq: DeviceSeq,
    },
    /// Storing the push would exceed the journal's quota.
    #[error("the journal uses {used} of {quota} bytes; {needed} more do not fit")]
    QuotaExceeded {
        /// Bytes used now.
        used: u64,
        /// The quota.
        quota: u64,
        /// Bytes the push needs.
        needed: u64,
    },
}

/// One planned action for one envelope of a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Already stored with the same hash: ack it again, store nothing.
    Existing(Ack),
    /// Store envelope `index` of the push under this relay sequence.
    Insert {
        /// Index into [`PendingPush::envelopes`].
        index: usize,
        /// The relay sequence it gets.
        relay_seq: RelaySeq,
    },
}

impl Step {
    /// The ack this step produces.
    pub fn acked(&self, push: &PendingPush) -> Acked {
        match *self {
            Step::Existing(ack) => Acked { ack, fresh: false },
            Step::Insert { index, relay_seq } => Acked {
                ack: Ack {
                    device_seq: push.envelopes[index].envelope.device_seq,
                    relay_seq,
                },
                fresh: true,
            },
        }
    }
}

/// Decides a push against the tips; on success the tips are advanced past it.
///
/// `stored` maps device sequences at or below the device's tip that appear in
/// the push to their stored (relay sequence, hash). On refusal the tips are
/// left unchanged and nothing of the push may be stored.
pub fn plan_push(
    journal: &mut JournalTip,
    device: &mut DeviceTip,
    push: &PendingPush,
    stored: &HashMap<DeviceSeq, (RelaySeq, [u8; 32])>,
) -> Result<Vec<Step>, PushRejection> {
    let mut j = *journal;
    let mut d = *device;
    let mut steps = Vec::with_capacity(push.envelopes.len());
    for (index, prepared) in push.envelopes.iter().enumerate() {
        let seq = prepared.envelope.device_seq;
        if seq <= d.seq {
            match stored.get(&seq) {
                Some((relay_seq, hash)) if *hash == prepared.hash => {
                    steps.push(Step::Existing(Ack {
                        device_seq: seq,
                        relay_seq: *relay_seq,
                    }));
                    continue;
                }
                Some(_) => return Err(PushRejection::SeqConflict { seq }),
                // Below the tip but not stored: only possible for sequence 0,
                // which no device may use (the first envelope is 1).
                None => {
                    return Err(PushRejection::OutOfOrder {
                        got: seq,
                        expected: next_device_seq(&d),
                    })
                }
            }
        }
        // A re-seeded journal: a device's first envelope here continues its
        // chain from wherever it stands (what came before was lost with the
        // old relay; devices bridge it and say so). Its chain holds from then on.
        let continues = j.reseeded && d == DeviceTip::EMPTY && seq.0 >= 1;
        let expected = next_device_seq(&d);
        if seq != expected && !continues {
            return Err(PushRejection::OutOfOrder { got: seq, expected });
        }
        if prepared.envelope.prev_hash != d.hash && !continues {
            return Err(PushRejection::ChainMismatch { seq });
        }
        let size = prepared.bytes.len() as u64;
        let used = j.used_bytes.saturating_add(size);
        if used > push.quota_bytes {
            let rest: u64 = push.envelopes[index..]
                .iter()
                .map(|p| p.bytes.len() as u64)
                .sum();
            // Bytes of this push: the part already planned plus the rest.
            let needed = j
                .used_bytes
                .saturating_sub(journal.used_bytes)
                .saturating_add(rest);
            return Err(PushRejection::QuotaExceeded {
                used: journal.used_bytes,
                quota: push.quota_bytes,
                needed,
            });
        }
        j.used_bytes = used;
        j.head = RelaySeq(j.head.0.saturating_add(1));
        d = DeviceTip {
            seq,
            hash: prepared.hash,
        };
        steps.push(Step::Insert {
            index,
            relay_seq: j.head,
        });
    }
    *journal = j;
    *device = d;
    Ok(steps)
}
