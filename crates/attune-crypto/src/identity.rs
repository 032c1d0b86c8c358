//! A device's long-term keys: an age X25519 identity and an Ed25519 signing key.
//!
//! # Identity file format
//!
//! Without a passphrase the file is UTF-8 text that is also a valid age identity
//! file (age ignores lines starting with `#`), so `age -d -i FILE` can open
//! backups made for this device:
//!
//! ```text
//! # attune-identity-v1
//! # public key: age1…
//! # fingerprint: 1a2b-3c4d-5e6f-7a8b
//! AGE-SECRET-KEY-1…
//! # ed25519-secret-key: <64 hex digits>
//! ```
//!
//! The first line is the version and must match exactly; the Ed25519 line is
//! required even though age treats it as a comment. With a passphrase the same
//! text is encrypted to an age scrypt recipient (a standard age file).

use std::fmt;
use std::io::Read;
use std::iter;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::random::fill_random;

/// First line of a plain identity file.
const FILE_VERSION_LINE: &str = "# attune-identity-v1";
/// Prefix of the line holding the Ed25519 secret key in hex.
const ED25519_PREFIX: &str = "# ed25519-secret-key: ";
/// Prefix of the age secret key line.
const AGE_SECRET_PREFIX: &str = "AGE-SECRET-KEY-1";
/// Every binary age file starts with this line.
const AGE_HEADER_PREFIX: &[u8] = b"age-encryption.org/";
/// Domain separation for the fingerprint hash.
const FINGERPRINT_CONTEXT: &str = "attune 2025-01 device fingerprint v1";

/// One device's secret keys: age X25519 (to receive journal keys) and Ed25519 (to sign).
#[derive(Clone)]
pub struct DeviceIdentity {
    age: age::x25519::Identity,
    signing: SigningKey,
}

impl DeviceIdentity {
    /// Generates fresh keys from the operating system's RNG.
    ///
    /// # Panics
    ///
    /// Panics if the operating system cannot provide randomness.
    pub fn generate() -> DeviceIdentity {
        let mut seed = Zeroizing::new([0u8; 32]);
        fill_random(seed.as_mut());
        DeviceIdentity {
            age: age::x25519::Identity::generate(),
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Keys from their secret parts: an `AGE-SECRET-KEY-1…` string and an Ed25519 seed.
    pub(crate) fn from_parts(
        age_secret: &str,
        ed25519_seed: &[u8; 32],
    ) -> Result<DeviceIdentity, CryptoError> {
        let age = age::x25519::Identity::from_str(age_secret)
            .map_err(|e| CryptoError::MalformedIdentity(e.to_string()))?;
        Ok(DeviceIdentity {
            age,
            signing: SigningKey::from_bytes(ed25519_seed),
        })
    }

    /// The age recipient (`age1…`) that journal keys are wrapped to.
    pub fn age_recipient(&self) -> String {
        self.age.to_public().to_string()
    }

    /// The age identity, for decrypting standard age files (backups, exports).
    pub fn age_identity(&self) -> &age::x25519::Identity {
        &self.age
    }

    /// The Ed25519 public key that verifies this device's signatures.
    pub fn verifying_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// Signs `message` with the device's Ed25519 key.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// A short human-comparable fingerprint of both public keys, e.g. `1a2b-3c4d-5e6f-7a8b`.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.age_recipient(), &self.verifying_key())
    }

    /// Serialises for the identity file, encrypted to an age scrypt recipient if a passphrase is given.
    ///
    /// `work_factor` is scrypt's log2(N); `None` lets age pick about one second of work.
    pub fn to_file_bytes(
        &self,
        passphrase: Option<&SecretString>,
        work_factor: Option<u8>,
    ) -> Result<Vec<u8>, CryptoError> {
        let text = self.to_plain_text();
        let Some(passphrase) = passphrase else {
            return Ok(text.as_bytes().to_vec());
        };
        if passphrase.expose_secret().is_empty() {
            return Err(CryptoError::EmptyPassphrase);
        }
        let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
        if let Some(log_n) = work_factor {
            if !(1..64).contains(&log_n) {
                return Err(CryptoError::InvalidWorkFactor(log_n));
            }
            recipient.set_work_factor(log_n);
        }
        age_encrypt(&recipient, text.as_bytes())
    }

    /// Parses an identity file written by [`DeviceIdentity::to_file_bytes`].
    ///
    /// The passphrase is only used if the file is protected; it is ignored for plain files.
    pub fn from_file_bytes(
        bytes: &[u8],
        passphrase: Option<&SecretString>,
    ) -> Result<DeviceIdentity, CryptoError> {
        if !Self::is_passphrase_protected(bytes) {
            return Self::from_plain_text(bytes);
        }
        let passphrase = passphrase.ok_or(CryptoError::PassphraseRequired)?;
        let decryptor = age::Decryptor::new_buffered(bytes).map_err(|_| {
            CryptoError::MalformedIdentity("the encrypted file's header is damaged".into())
        })?;
        if !decryptor.is_scrypt() {
            return Err(CryptoError::MalformedIdentity(
                "the age file is not protected by a passphrase".into(),
            ));
        }
        let identity = age::scrypt::Identity::new(passphrase.clone());
        let mut reader = decryptor
            .decrypt(iter::once(&identity as &dyn age::Identity))
            .map_err(|err| match err {
                age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                    CryptoError::WrongPassphrase
                }
                age::DecryptError::ExcessiveWork { required, .. } => {
                    CryptoError::MalformedIdentity(format!(
                        "it demands too much passphrase work (2^{required}) for this machine"
                    ))
                }
                _ => CryptoError::MalformedIdentity("the encrypted file is damaged".into()),
            })?;
        let mut plain = Zeroizing::new(Vec::new());
        reader.read_to_end(&mut plain).map_err(|_| {
            CryptoError::MalformedIdentity("the encrypted content is damaged".into())
        })?;
        Self::from_plain_text(&plain)
    }

    /// Returns true if `bytes` look like an age-encrypted (passphrase-protected) identity file.
    pub fn is_passphrase_protected(bytes: &[u8]) -> bool {
        bytes.starts_with(AGE_HEADER_PREFIX)
    }

    /// Renders the plain (unencrypted) identity file text.
    fn to_plain_text(&self) -> Zeroizing<String> {
        let age_secret = self.age.to_string();
        let signing_secret = Zeroizing::new(self.signing.to_bytes());
        let signing_hex = Zeroizing::new(hex::encode(&signing_secret[..]));
        let mut text = Zeroizing::new(String::with_capacity(320));
        text.push_str(FILE_VERSION_LINE);
        text.push('\n');
        text.push_str("# public key: ");
        text.push_str(&self.age_recipient());
        text.push('\n');
        text.push_str("# fingerprint: ");
        text.push_str(&self.fingerprint());
        text.push('\n');
        text.push_str(age_secret.expose_secret());
        text.push('\n');
        text.push_str(ED25519_PREFIX);
        text.push_str(&signing_hex);
        text.push('\n');
        text
    }

    /// Parses the plain identity file text.
    fn from_plain_text(bytes: &[u8]) -> Result<DeviceIdentity, CryptoError> {
        let malformed = |why: &str| CryptoError::MalformedIdentity(why.to_owned());
        let text = std::str::from_utf8(bytes).map_err(|_| malformed("it is not UTF-8 text"))?;
        let mut lines = text.lines().map(|line| line.trim_end_matches('\r'));
        if lines.next() != Some(FILE_VERSION_LINE) {
            return Err(malformed(
                "the first line is not \"# attune-identity-v1\" (wrong file, or written by a newer Attune)",
            ));
        }

        let mut age_identity = None;
        let mut signing = None;
        for (index, line) in lines.enumerate() {
            // Report 1-based line numbers, counting the version line; never echo contents.
            let number = index + 2;
            if let Some(hex_key) = line.strip_prefix(ED25519_PREFIX) {
                if signing.is_some() {
                    return Err(malformed("it has more than one Ed25519 key"));
                }
                let mut seed = Zeroizing::new([0u8; 32]);
                hex::decode_to_slice(hex_key.trim(), seed.as_mut())
                    .map_err(|_| malformed("the Ed25519 key is not 64 hex digits"))?;
                signing = Some(SigningKey::from_bytes(&seed));
            } else if line.starts_with(AGE_SECRET_PREFIX) {
                if age_identity.is_some() {
                    return Err(malformed("it has more than one age secret key"));
                }
                let parsed = age::x25519::Identity::from_str(line.trim())
                    .map_err(|_| malformed("the age secret key is not valid"))?;
                age_identity = Some(parsed);
            } else if !(line.trim().is_empty() || line.starts_with('#')) {
                return Err(CryptoError::MalformedIdentity(format!(
                    "line {number} is not a key or a comment"
                )));
            }
        }
        match (age_identity, signing) {
            (Some(age), Some(signing)) => Ok(DeviceIdentity { age, signing }),
            (None, _) => Err(malformed("the age secret key line is missing")),
            (_, None) => Err(malformed("the Ed25519 key line is missing")),
        }
    }
}

impl fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("fingerprint", &self.fingerprint())
            .field("secret_keys", &format_args!("<redacted>"))
            .finish()
    }
}

/// Verifies an Ed25519 `signature` over `message` by the device with `verifying_key`.
///
/// Uses strict verification (rejects weak keys and malleable signatures).
pub fn verify_signature(
    verifying_key: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), CryptoError> {
    let key =
        VerifyingKey::from_bytes(verifying_key).map_err(|_| CryptoError::InvalidVerifyingKey)?;
    key.verify_strict(message, &Signature::from_bytes(signature))
        .map_err(|_| CryptoError::InvalidSignature)
}

/// Computes the fingerprint of a device from its two public keys.
///
/// Lets a device that only knows another device's public keys show the same
/// fingerprint that device shows for itself.
pub fn fingerprint_of(age_recipient: &str, verifying_key: &[u8; 32]) -> String {
    let mut hasher = blake3::Hasher::new_derive_key(FINGERPRINT_CONTEXT);
    // Length-prefix the variable-length recipient so the encoding is unambiguous.
    hasher.update(&(age_recipient.len() as u64).to_be_bytes());
    hasher.update(age_recipient.as_bytes());
    hasher.update(verifying_key);
    let digest = hasher.finalize();
    let hex = hex::encode(&digest.as_bytes()[..8]);
    format!(
        "{}-{}-{}-{}",
        &hex[0..4],
        &hex[4..8],
        &hex[8..12],
        &hex[12..16]
    )
}

/// Encrypts `plaintext` to one age recipient as a binary age file.
pub(crate) fn age_encrypt(
    recipient: &dyn age::Recipient,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    age_encrypt_to(iter::once(recipient), plaintext)
}

/// Encrypts `plaintext` to several age recipients as a binary age file.
pub(crate) fn age_encrypt_to<'a>(
    recipients: impl Iterator<Item = &'a dyn age::Recipient>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    use std::io::Write;

    let failed = |err: &dyn fmt::Display| CryptoError::EncryptionFailed(err.to_string());
    let encryptor = age::Encryptor::with_recipients(recipients).map_err(|e| failed(&e))?;
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    let mut writer = encryptor.wrap_output(&mut out).map_err(|e| failed(&e))?;
    writer.write_all(plaintext).map_err(|e| failed(&e))?;
    writer.finish().map_err(|e| failed(&e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_file_round_trip() {
        let id = DeviceIdentity::generate();
        let bytes = id.to_file_bytes(None, None).unwrap();
        assert!(bytes.starts_with(b"# attune-identity-v1\n"));
        let back = DeviceIdentity::from_file_bytes(&bytes, None).unwrap();
        assert_eq!(back.age_recipient(), id.age_recipient());
        assert_eq!(back.verifying_key(), id.verifying_key());
    }

    #[test]
    fn fingerprint_shape_and_stability() {
        let id = DeviceIdentity::generate();
        let fp = id.fingerprint();
        assert_eq!(fp.len(), 19);
        assert_eq!(fp.matches('-').count(), 3);
        assert_eq!(fp, fingerprint_of(&id.age_recipient(), &id.verifying_key()));
        assert_ne!(fp, DeviceIdentity::generate().fingerprint());
    }

    #[test]
    fn version_line_is_required() {
        let id = DeviceIdentity::generate();
        let text = String::from_utf8(id.to_file_bytes(None, None).unwrap()).unwrap();
        let changed = text.replace("attune-identity-v1", "attune-identity-v2");
        assert!(matches!(
            DeviceIdentity::from_file_bytes(changed.as_bytes(), None),
            Err(CryptoError::MalformedIdentity(_))
        ));
    }

    #[test]
    fn missing_or_duplicate_lines_are_rejected() {
        let id = DeviceIdentity::generate();
        let text = String::from_utf8(id.to_file_bytes(None, None).unwrap()).unwrap();
        let without_ed: String = text
            .lines()
            .filter(|l| !l.starts_with(ED25519_PREFIX))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(matches!(
            DeviceIdentity::from_file_bytes(without_ed.as_bytes(), None),
            Err(CryptoError::MalformedIdentity(m)) if m.contains("Ed25519")
        ));
        let doubled = format!("{text}{}", text.lines().nth(3).unwrap());
        assert!(matches!(
            DeviceIdentity::from_file_bytes(doubled.as_bytes(), None),
            Err(CryptoError::MalformedIdentity(m)) if m.contains("more than one")
        ));
        let junk = format!("{text}hello\n");
        assert!(matches!(
            DeviceIdentity::from_file_bytes(junk.as_bytes(), None),
            Err(CryptoError::MalformedIdentity(m)) if m.contains("line 6")
        ));
    }

    #[test]
    fn signatures_verify_strictly() {
        let id = DeviceIdentity::generate();
        let sig = id.sign(b"batch");
        assert_eq!(
            verify_signature(&id.verifying_key(), b"batch", &sig),
            Ok(())
        );
        assert_eq!(
            verify_signature(&id.verifying_key(), b"other", &sig),
            Err(CryptoError::InvalidSignature)
        );
        let other = DeviceIdentity::generate();
        assert_eq!(
            verify_signature(&other.verifying_key(), b"batch", &sig),
            Err(CryptoError::InvalidSignature)
        );
    }
}
