//! The one error type of this crate.

/// Everything that can go wrong while sealing, opening, wrapping or loading keys.
///
/// Each message is written for the person who has to act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The bytes are not an Attune sealed blob (too short or wrong magic).
    #[error("this is not an Attune encrypted file: it is too short or does not start with the Attune header")]
    NotABlob,

    /// The blob was written by a newer (or unknown) format version.
    #[error("this encrypted file uses format version {0}, which this version of Attune cannot read; upgrade Attune")]
    UnsupportedBlobVersion(u8),

    /// Authentication failed: wrong key, wrong purpose/id, or modified bytes.
    #[error("could not decrypt: the file was changed, belongs elsewhere, or the key is wrong")]
    BlobTampered,

    /// A blob's purpose or id label does not fit its 16-bit length prefix.
    #[error("the blob {field} is {len} bytes long; at most 65535 bytes are allowed")]
    BlobLabelTooLong {
        /// Which label was too long: `"purpose"` or `"id"`.
        field: &'static str,
        /// The length that was given.
        len: usize,
    },

    /// The plaintext is larger than the cipher can seal in one blob.
    #[error("the data is too large to encrypt as one blob; split it into smaller pieces")]
    BlobTooLarge,

    /// The identity file is passphrase-protected and no passphrase was given.
    #[error("the device identity is protected by a passphrase; enter the passphrase to unlock it")]
    PassphraseRequired,

    /// An empty passphrase was given for protecting an identity.
    #[error("the passphrase is empty; choose a passphrase, or store the identity without one")]
    EmptyPassphrase,

    /// The passphrase does not open the identity file.
    #[error("wrong passphrase for the device identity; check the passphrase and try again")]
    WrongPassphrase,

    /// The identity file could not be parsed.
    #[error("the device identity file is damaged or not an Attune identity: {0}")]
    MalformedIdentity(String),

    /// The scrypt work factor given for passphrase protection is out of range.
    #[error("scrypt work factor {0} is out of range; use a value from 1 to 63 (or none for the default)")]
    InvalidWorkFactor(u8),

    /// The 32 bytes are not a valid Ed25519 public key.
    #[error("the device's public signing key is invalid; the device record is damaged")]
    InvalidVerifyingKey,

    /// The signature does not match the message and public key.
    #[error("the signature does not match: the message was changed or signed by another device")]
    InvalidSignature,

    /// None of the wrapped key's recipients is this device.
    #[error("this device cannot open the journal key: it was not wrapped to this device (was the device added or revoked?)")]
    NotARecipient,

    /// The wrapped journal key is not a valid Attune key file.
    #[error("the wrapped journal key is damaged or is not an Attune journal key file")]
    MalformedWrappedKey,

    /// A recipient string is not a valid age X25519 recipient.
    #[error("{0:?} is not a valid age recipient; expected a public key starting with \"age1\"")]
    InvalidRecipient(String),

    /// Wrapping was asked for with an empty recipient list.
    #[error(
        "no recipients were given, so nobody could open the journal key; pass at least one device"
    )]
    NoRecipients,

    /// The age library failed to encrypt (an internal error, not caused by input).
    #[error("encryption failed unexpectedly: {0}")]
    EncryptionFailed(String),
}
