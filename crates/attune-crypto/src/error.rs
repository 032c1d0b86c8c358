//! The one error type of this crate.

use attune_proto::DeviceId;

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
    /// A pairing code is not of the form `7-crystal-harbor`.
    #[error("that is not a pairing code ({0})")]
    BadPairingCode(String),
    /// The pairing exchange did not confirm: a wrong code, or someone in between.
    #[error("pairing failed: the code did not match on both devices (or someone tampered with the exchange); nothing was changed; start again with a new code")]
    PairingFailed,
    /// The recovery words are not the 24 words of a recovery kit.
    #[error(
        "those are not valid recovery words ({0}); check each word against your kit, in order"
    )]
    BadRecoveryWords(String),

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

    /// The envelope was written in a format version this build cannot read.
    #[error("a change arrived in envelope format version {0}, which this version of Attune cannot read; upgrade Attune on this device")]
    UnsupportedEnvelopeVersion(u8),

    /// The envelope names another journal than the one being synced.
    #[error("a change belongs to another journal than this one; check that this device syncs with the right relay and journal")]
    WrongJournal,

    /// The signing device is not in the roster in force at the envelope's epoch (unknown or revoked).
    #[error("a change was signed by a device that is not (or no longer) part of this journal, so it was ignored; if you just added a device, sync again to fetch the new device list")]
    UnknownDevice,

    /// The envelope's signature does not verify with its device's key: header or ciphertext was altered, or another key signed it.
    #[error("a change's signature does not match its device: it was altered or forged on the way, so it was ignored; sync again to fetch an intact copy")]
    BadEnvelopeSignature,

    /// No journal key of this epoch is known to this device.
    #[error("a change is encrypted with journal key epoch {0}, which this device does not have yet; sync again to fetch the newer key")]
    UnknownEpoch(u32),

    /// Authenticated decryption failed: the ciphertext was altered or sealed with another key.
    #[error("a change could not be decrypted: it was damaged or sealed with a different key than its epoch's; sync again to fetch an intact copy")]
    EnvelopeTampered,

    /// The envelope decrypted, but its padded plaintext is not in the canonical layout.
    #[error("a change decrypted but its contents are malformed (written by a faulty or newer Attune); upgrade Attune on every device")]
    MalformedEnvelopePlaintext,

    /// The plaintext is too large for one envelope (its length must fit in 32 bits).
    #[error("the change batch is {len} bytes, too large for one envelope; split it into smaller batches")]
    EnvelopeTooLarge {
        /// The plaintext length that was given.
        len: usize,
    },

    /// The journal's documents are too large to seal into one snapshot (their length must fit in 32 bits).
    #[error(
        "the journal is {len} bytes once packed, too large to seal as one snapshot (at most 4 GiB)"
    )]
    SnapshotTooLarge {
        /// The plaintext length that was given.
        len: usize,
    },

    /// A snapshot failed a check: signer, signature, journal, header or decryption.
    #[error("the journal snapshot the relay served is not trustworthy ({0}), so it was not used")]
    BadSnapshot(&'static str),

    /// This envelope (or an older one of its device) was already applied.
    #[error("change {seq} of device {device} was already applied; the copy was ignored")]
    Replay {
        /// The device whose envelope was replayed.
        device: DeviceId,
        /// The replayed device sequence number.
        seq: u64,
    },

    /// The envelope does not follow the device's last applied one (missing envelopes, or a forked chain).
    #[error("changes of device {device} are missing: expected change {expected}, got {got} (or it does not chain to the previous one); sync again to fetch the missing changes")]
    Gap {
        /// The device whose chain has a gap.
        device: DeviceId,
        /// The device sequence number that should come next.
        expected: u64,
        /// The device sequence number that came (equal to `expected` when only the previous-hash link is wrong).
        got: u64,
    },

    /// A roster was written in a format version this build cannot read.
    #[error("the journal's device list uses format version {0}, which this version of Attune cannot read; upgrade Attune on this device")]
    UnsupportedRosterVersion(u8),

    /// A roster version belongs to another journal.
    #[error("the device list served for this journal belongs to another journal; check the relay address and journal")]
    RosterWrongJournal,

    /// A roster version is not signed by a device of the previous version (or the genesis by a device it lists).
    #[error("version {version} of the journal's device list is not signed by a device already in the journal, so it was refused; the relay may be trying to add a device")]
    RosterNotSignedByMember {
        /// The roster version that failed.
        version: u64,
    },

    /// The roster versions do not form one valid chain.
    #[error("version {version} of the journal's device list does not follow the previous one ({reason}); it was refused, sync again or ask the device that changed the list to redo it")]
    RosterChainBroken {
        /// The roster version that failed.
        version: u64,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A revoked device signed an envelope after the last one its revocation recorded.
    #[error("change {seq} was signed by a device after it was removed from the journal, so it was refused")]
    SentAfterRevocation {
        /// The device sequence number of the refused envelope.
        seq: u64,
    },

    /// A wrapped journal key is not the key the signed roster committed to for its epoch.
    #[error("a journal key for epoch {epoch} was refused: no signed device list commits to it (it was planted by the relay or another device); it was not used")]
    KeyNotCommitted {
        /// The epoch the key claimed.
        epoch: u32,
    },

    /// The roster chain served does not contain the version this device was told to expect.
    #[error("the device list the relay served is not the one the existing device vouched for (the relay may be showing a fabricated journal), so nothing was joined")]
    RosterNotVouchedFor,

    /// The relay served a roster older than, or forked from, the one this device already trusts.
    #[error("the relay served an older or different device list (version {served}) than the one this device trusts (version {trusted}); it may be hiding a revocation, so nothing was changed")]
    RosterRollback {
        /// The version this device already trusts.
        trusted: u64,
        /// The highest (or conflicting) version the relay served.
        served: u64,
    },
}
