//! The symmetric journal key.

use std::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;

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
