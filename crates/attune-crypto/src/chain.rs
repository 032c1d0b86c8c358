//! Per-device chain state: which envelope of each device was applied last.

use std::collections::BTreeMap;

use attune_proto::{DeviceId, DeviceSeq, Envelope};
use serde::{Deserialize, Serialize};

use crate::error::CryptoError;

/// The head of one device's chain: its last applied sequence number and envelope hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ChainHead {
    seq: DeviceSeq,
    hash: [u8; 32],
}

/// For each device, the last applied envelope; persist it with serde next to the applied changes.
///
/// Opening never changes it: the caller calls [`ChainState::record`] once the
/// opened changes are durably applied, so a crash in between re-opens the same
/// envelope instead of skipping it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    heads: BTreeMap<DeviceId, ChainHead>,
}

impl ChainState {
    /// An empty state: no envelope of any device applied yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The last applied sequence number and envelope hash of `device`, if any.
    pub fn last(&self, device: DeviceId) -> Option<(DeviceSeq, [u8; 32])> {
        self.heads.get(&device).map(|head| (head.seq, head.hash))
    }

    /// Records `env` as the last applied envelope of its device; never moves a head backwards.
    pub fn record(&mut self, env: &Envelope) {
        self.set_head(env.device_id, env.device_seq, env.hash());
    }

    /// Sets a device's head directly, e.g. from a snapshot that covers its envelopes up to `seq`; never moves backwards.
    pub fn set_head(&mut self, device: DeviceId, seq: DeviceSeq, hash: [u8; 32]) {
        match self.heads.get(&device) {
            Some(head) if head.seq >= seq => {}
            _ => {
                self.heads.insert(device, ChainHead { seq, hash });
            }
        }
    }

    /// The devices with a recorded head and their last sequence numbers, by device id.
    pub fn heads(&self) -> impl Iterator<Item = (DeviceId, DeviceSeq)> + '_ {
        self.heads.iter().map(|(device, head)| (*device, head.seq))
    }

    /// Checks that `env` is the next envelope of its device: [`CryptoError::Replay`] or [`CryptoError::Gap`] otherwise.
    ///
    /// A device's first envelope has sequence 1 and a zero `prev_hash`; every
    /// later one has the next sequence number and names the hash of the last
    /// applied one. A right sequence number with a wrong `prev_hash` (a forked
    /// chain) is a `Gap` whose `expected` equals `got`.
    pub fn check_next(&self, env: &Envelope) -> Result<(), CryptoError> {
        let device = env.device_id;
        let got = env.device_seq.0;
        let (expected, expected_prev) = match self.heads.get(&device) {
            Some(head) if got <= head.seq.0 => {
                return Err(CryptoError::Replay { device, seq: got })
            }
            // got > head.seq, so head.seq + 1 cannot overflow.
            Some(head) => (head.seq.0 + 1, head.hash),
            None => (1, [0u8; 32]),
        };
        if got != expected || env.prev_hash != expected_prev {
            return Err(CryptoError::Gap {
                device,
                expected,
                got,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attune_proto::{Epoch, JournalId};

    fn envelope(device: u8, seq: u64, prev_hash: [u8; 32]) -> Envelope {
        Envelope {
            v: 1,
            journal_id: JournalId([1; 16]),
            device_id: DeviceId([device; 16]),
            epoch: Epoch(1),
            device_seq: DeviceSeq(seq),
            prev_hash,
            ciphertext: vec![seq as u8; 8],
            signature: [0; 64],
        }
    }

    #[test]
    fn chains_replays_and_gaps() {
        let mut chain = ChainState::new();
        let first = envelope(1, 1, [0; 32]);
        assert_eq!(chain.check_next(&first), Ok(()));
        assert_eq!(
            chain.check_next(&envelope(1, 0, [0; 32])),
            Err(CryptoError::Gap {
                device: DeviceId([1; 16]),
                expected: 1,
                got: 0
            })
        );
        chain.record(&first);
        assert_eq!(
            chain.last(DeviceId([1; 16])),
            Some((DeviceSeq(1), first.hash()))
        );
        assert!(matches!(
            chain.check_next(&first),
            Err(CryptoError::Replay { seq: 1, .. })
        ));
        assert_eq!(chain.check_next(&envelope(1, 2, first.hash())), Ok(()));
        assert!(matches!(
            chain.check_next(&envelope(1, 2, [9; 32])),
            Err(CryptoError::Gap {
                expected: 2,
                got: 2,
                ..
            })
        ));
        assert!(matches!(
            chain.check_next(&envelope(1, 3, first.hash())),
            Err(CryptoError::Gap {
                expected: 2,
                got: 3,
                ..
            })
        ));
        // Another device has its own chain.
        assert_eq!(chain.check_next(&envelope(2, 1, [0; 32])), Ok(()));
    }

    #[test]
    fn heads_never_move_backwards() {
        let mut chain = ChainState::new();
        let device = DeviceId([3; 16]);
        chain.set_head(device, DeviceSeq(5), [5; 32]);
        chain.record(&envelope(3, 2, [0; 32]));
        assert_eq!(chain.last(device), Some((DeviceSeq(5), [5; 32])));
        chain.set_head(device, DeviceSeq(u64::MAX), [7; 32]);
        assert!(matches!(
            chain.check_next(&envelope(3, u64::MAX, [7; 32])),
            Err(CryptoError::Replay { .. })
        ));
        assert_eq!(
            chain.heads().collect::<Vec<_>>(),
            [(device, DeviceSeq(u64::MAX))]
        );
    }

    #[test]
    fn persists_as_json_and_postcard() {
        let mut chain = ChainState::new();
        chain.record(&envelope(1, 1, [0; 32]));
        chain.record(&envelope(2, 1, [0; 32]));
        let json = serde_json::to_string(&chain).unwrap();
        assert!(json.contains(&"01".repeat(16)), "{json}");
        assert_eq!(serde_json::from_str::<ChainState>(&json).unwrap(), chain);
        let bytes = postcard::to_allocvec(&chain).unwrap();
        assert_eq!(postcard::from_bytes::<ChainState>(&bytes).unwrap(), chain);
    }
}
