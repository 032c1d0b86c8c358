//! The symmetric journal key, and the ring of keys of every epoch.

use std::collections::BTreeMap;
use std::fmt;

use attune_proto::{Epoch, JournalId, Roster};

use zeroize::Zeroizing;

use crate::random::fill_random;

/// Length of a [`JournalKey`] in bytes.
pub const JOURNAL_KEY_LEN: usize = 32;

/// A 256-bit symmetric key for one epoch of a journal; zeroized on drop, never printed.
#[derive(Clone)]
pub struct JournalKey(Zeroizing<[u8; JOURNAL_KEY_LEN]>);

impl JournalKey {
    /// Generates a fresh random key from the operating system's RNG.
    ///
    /// # Panics
    ///
    /// Panics if the operating system cannot provide randomness.
    pub fn generate() -> JournalKey {
        let mut bytes = Zeroizing::new([0u8; JOURNAL_KEY_LEN]);
        fill_random(bytes.as_mut());
        JournalKey(bytes)
    }

    /// Builds a key from raw bytes (e.g. after unwrapping it).
    pub fn from_bytes(bytes: [u8; JOURNAL_KEY_LEN]) -> JournalKey {
        JournalKey(Zeroizing::new(bytes))
    }

    /// Exposes the raw key bytes; only for wrapping and sealing.
    pub fn expose_bytes(&self) -> &[u8; JOURNAL_KEY_LEN] {
        &self.0
    }

    /// The commitment a roster carries for this key as the key of `epoch` of `journal`.
    ///
    /// BLAKE3 keyed with the key itself over a domain-separated label, the
    /// journal id and the epoch: it tells nothing about the key, and no other
    /// key (or epoch, or journal) gives the same value. A wrapped key is used
    /// only when its commitment matches the signed roster's.
    pub fn commitment(&self, journal: JournalId, epoch: Epoch) -> [u8; 32] {
        let mut message = Vec::with_capacity(COMMITMENT_DOMAIN.len() + 20);
        message.extend_from_slice(COMMITMENT_DOMAIN);
        message.extend_from_slice(&journal.0);
        message.extend_from_slice(&epoch.0.to_be_bytes());
        *blake3::keyed_hash(&self.0, &message).as_bytes()
    }
}

/// Domain separation label of [`JournalKey::commitment`].
const COMMITMENT_DOMAIN: &[u8] = b"attune-journal-key-commitment-v1";

impl fmt::Debug for JournalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JournalKey(<redacted>)")
    }
}

/// The journal keys this device holds, one per epoch; old epochs stay to open history.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: BTreeMap<Epoch, JournalKey>,
}

impl KeyRing {
    /// An empty key ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the key of `epoch`.
    pub fn insert(&mut self, epoch: Epoch, key: JournalKey) {
        self.keys.insert(epoch, key);
    }

    /// The key of `epoch`, if this device has it.
    pub fn get(&self, epoch: Epoch) -> Option<&JournalKey> {
        self.keys.get(&epoch)
    }

    /// The key to seal with under `roster`: the key of the roster's own epoch,
    /// never simply the highest epoch held (a key for a later epoch that no
    /// roster names is not a key of this journal).
    pub fn for_roster(&self, roster: &Roster) -> Option<(Epoch, &JournalKey)> {
        self.get(roster.epoch).map(|key| (roster.epoch, key))
    }

    /// The epochs held, lowest first.
    pub fn epochs(&self) -> impl Iterator<Item = Epoch> + '_ {
        self.keys.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ring_seals_under_the_roster_epoch_not_the_highest() {
        let mut ring = KeyRing::new();
        ring.insert(Epoch(7), JournalKey::from_bytes([7; 32]));
        ring.insert(Epoch(1), JournalKey::from_bytes([1; 32]));
        let roster = Roster {
            v: attune_proto::ROSTER_VERSION,
            journal_id: JournalId([0; 16]),
            version: 1,
            prev_hash: [0; 32],
            epoch: Epoch(1),
            key_commitment: [0; 32],
            devices: vec![],
            revoked: vec![],
            signer: attune_proto::DeviceId([0; 16]),
            signature: [0; 64],
        };
        let (epoch, key) = ring.for_roster(&roster).unwrap();
        assert_eq!((epoch, key.expose_bytes()), (Epoch(1), &[1; 32]));
        let later = Roster {
            epoch: Epoch(2),
            ..roster
        };
        assert!(ring.for_roster(&later).is_none());
        assert_eq!(ring.epochs().collect::<Vec<_>>(), [Epoch(1), Epoch(7)]);
        assert!(ring.get(Epoch(3)).is_none());
        assert!(!format!("{ring:?}").contains("7, 7"));
    }

    #[test]
    fn commitments_bind_key_journal_and_epoch() {
        let key = JournalKey::from_bytes([1; 32]);
        let c = key.commitment(JournalId([2; 16]), Epoch(3));
        assert_eq!(c, key.commitment(JournalId([2; 16]), Epoch(3)));
        assert_ne!(c, key.commitment(JournalId([2; 16]), Epoch(4)));
        assert_ne!(c, key.commitment(JournalId([3; 16]), Epoch(3)));
        assert_ne!(
            c,
            JournalKey::from_bytes([9; 32]).commitment(JournalId([2; 16]), Epoch(3))
        );
    }

    /// The commitment is signed into every roster: its layout must not change silently.
    #[test]
    fn commitment_layout_is_as_documented() {
        let key = JournalKey::from_bytes(std::array::from_fn(|i| i as u8));
        let journal = JournalId([0xaa; 16]);
        let mut message = b"attune-journal-key-commitment-v1".to_vec();
        message.extend_from_slice(&[0xaa; 16]);
        message.extend_from_slice(&[0x01, 0x02, 0x03, 0x04]);
        let expected = blake3::keyed_hash(key.expose_bytes(), &message);
        assert_eq!(
            key.commitment(journal, Epoch(0x0102_0304)),
            *expected.as_bytes()
        );
        // It is not a plain hash of the key: without the key it cannot be checked.
        assert_ne!(
            key.commitment(journal, Epoch(0x0102_0304)),
            *blake3::hash(key.expose_bytes()).as_bytes()
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = JournalKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "JournalKey(<redacted>)");
        assert!(!shown.contains("ab"));
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            JournalKey::generate().expose_bytes(),
            JournalKey::generate().expose_bytes()
        );
    }
}
