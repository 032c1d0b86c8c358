//! The symmetric journal key, and the ring of keys of every epoch.

use std::collections::BTreeMap;
use std::fmt;

use attune_proto::Epoch;

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
}

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

    /// The key of the highest epoch: the one to seal new envelopes with.
    pub fn current(&self) -> Option<(Epoch, &JournalKey)> {
        self.keys.last_key_value().map(|(epoch, key)| (*epoch, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ring_picks_the_highest_epoch() {
        let mut ring = KeyRing::new();
        assert!(ring.current().is_none());
        ring.insert(Epoch(2), JournalKey::from_bytes([2; 32]));
        ring.insert(Epoch(1), JournalKey::from_bytes([1; 32]));
        let (epoch, key) = ring.current().unwrap();
        assert_eq!((epoch, key.expose_bytes()), (Epoch(2), &[2; 32]));
        assert_eq!(ring.get(Epoch(1)).unwrap().expose_bytes(), &[1; 32]);
        assert!(ring.get(Epoch(3)).is_none());
        assert!(!format!("{ring:?}").contains("2, 2"));
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
