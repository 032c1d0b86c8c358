//! The recovery kit: 24 words from which a lost journal and its authority come back.
//!
//! The words encode 256 random bits (BIP39, English word list, with its
//! checksum so a mistyped word is caught). Everything else is derived from
//! them with BLAKE3's key derivation: the journal id, and a *recovery device*
//! (id, age X25519 key, Ed25519 key) that is a member of the journal's roster
//! and receives every journal key like any other device. With the words, a
//! fresh machine can authenticate as that member, read the keys, and add
//! itself to the journal; without them, nothing about the journal is guessable.

use zeroize::Zeroizing;

use crate::{CryptoError, DeviceIdentity};

const JOURNAL_ID_CONTEXT: &str = "attune 2026-12 recovery journal id v1";
const DEVICE_ID_CONTEXT: &str = "attune 2026-12 recovery device id v1";
const X25519_CONTEXT: &str = "attune 2026-12 recovery x25519 v1";
const ED25519_CONTEXT: &str = "attune 2026-12 recovery ed25519 v1";

/// The recovery secret behind the 24 words. Zeroized on drop; never printed by `Debug`.
#[derive(Clone)]
pub struct RecoverySecret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for RecoverySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoverySecret(<redacted>)")
    }
}

impl RecoverySecret {
    /// A fresh secret from the operating system's RNG.
    pub fn generate() -> RecoverySecret {
        RecoverySecret(Zeroizing::new(crate::random_bytes::<32>()))
    }

    /// The 24 words, separated by single spaces.
    pub fn to_words(&self) -> String {
        match bip39::Mnemonic::from_entropy(self.0.as_ref()) {
            Ok(m) => m.to_string(),
            // 32 bytes is always a valid BIP39 entropy length.
            Err(_) => String::new(),
        }
    }

    /// Read the words back (case, extra spaces and line breaks do not matter).
    pub fn from_words(words: &str) -> Result<RecoverySecret, CryptoError> {
        let normalized = words
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ");
        let count = normalized.split(' ').filter(|w| !w.is_empty()).count();
        if count != 24 {
            return Err(CryptoError::BadRecoveryWords(format!(
                "expected 24 words, got {count}"
            )));
        }
        let mnemonic = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normalized)
            .map_err(|e| CryptoError::BadRecoveryWords(e.to_string()))?;
        let entropy = Zeroizing::new(mnemonic.to_entropy());
        let bytes: [u8; 32] = entropy
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::BadRecoveryWords("expected 24 words".into()))?;
        Ok(RecoverySecret(Zeroizing::new(bytes)))
    }

    fn derive(&self, context: &str) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(blake3::derive_key(context, self.0.as_ref()))
    }

    /// The id of the journal these words belong to.
    pub fn journal_id(&self) -> [u8; 16] {
        let mut id = [0u8; 16];
        id.copy_from_slice(&self.derive(JOURNAL_ID_CONTEXT)[..16]);
        id
    }

    /// The id of the recovery device in the journal's roster.
    pub fn device_id(&self) -> [u8; 16] {
        let mut id = [0u8; 16];
        id.copy_from_slice(&self.derive(DEVICE_ID_CONTEXT)[..16]);
        id
    }

    /// The recovery device's keys.
    pub fn identity(&self) -> Result<DeviceIdentity, CryptoError> {
        let x25519 = self.derive(X25519_CONTEXT);
        let hrp = bech32::Hrp::parse_unchecked("age-secret-key-");
        let encoded = Zeroizing::new(
            bech32::encode_lower::<bech32::Bech32>(hrp, x25519.as_ref())
                .map_err(|e| CryptoError::MalformedIdentity(e.to_string()))?
                .to_uppercase(),
        );
        DeviceIdentity::from_parts(&encoded, &self.derive(ED25519_CONTEXT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_derivations_are_stable() {
        let secret = RecoverySecret::generate();
        let words = secret.to_words();
        assert_eq!(words.split(' ').count(), 24);
        let back = RecoverySecret::from_words(&format!("  {}\n", words.to_uppercase())).unwrap();
        assert_eq!(back.journal_id(), secret.journal_id());
        assert_eq!(back.device_id(), secret.device_id());
        let (a, b) = (secret.identity().unwrap(), back.identity().unwrap());
        assert_eq!(a.age_recipient(), b.age_recipient());
        assert_eq!(a.verifying_key(), b.verifying_key());
        assert!(a.age_recipient().starts_with("age1"));
        assert_ne!(secret.journal_id(), secret.device_id());
        assert!(!format!("{secret:?}").contains(&words[..8]));
    }

    #[test]
    fn wrong_words_are_refused_clearly() {
        let words = RecoverySecret::generate().to_words();
        let mut list: Vec<&str> = words.split(' ').collect();
        // Swapping two words breaks the checksum (almost always; try until it does).
        list.swap(0, 23);
        let swapped = list.join(" ");
        if swapped != words {
            assert!(RecoverySecret::from_words(&swapped).is_err() || list[0] == list[23]);
        }
        assert!(matches!(
            RecoverySecret::from_words("too few words"),
            Err(CryptoError::BadRecoveryWords(_))
        ));
        let not_words = ["zzzz"; 24].join(" ");
        assert!(RecoverySecret::from_words(&not_words).is_err());
    }

    #[test]
    fn a_known_secret_gives_known_words() {
        let secret = RecoverySecret(Zeroizing::new([0u8; 32]));
        // BIP39's published vector for 32 zero bytes.
        assert_eq!(
            secret.to_words(),
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"
        );
    }
}
