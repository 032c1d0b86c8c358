//! Keys and sealing for Attune: the cryptography of an end-to-end encrypted journal.
//!
//! This crate is synchronous and pure (no I/O, no clock) and builds only on
//! reviewed primitives:
//!
//! - [`JournalKey`]: the symmetric key of one journal epoch.
//! - [`seal_blob`] / [`open_blob`]: at-rest sealing with XChaCha20-Poly1305,
//!   bound to a purpose and an id so that sealed files cannot be swapped.
//! - [`DeviceIdentity`]: a device's age X25519 identity and Ed25519 signing key,
//!   stored with [`DeviceIdentity::to_file_bytes`] (optionally passphrase-protected).
//! - [`wrap_journal_key`] / [`unwrap_journal_key`]: the journal key wrapped to
//!   devices as a standard age file.
//!
//! All failures are a [`CryptoError`].
//!
//! # Example
//!
//! ```
//! use attune_crypto::{
//!     open_blob, seal_blob, unwrap_journal_key, wrap_journal_key, DeviceIdentity, JournalKey,
//! };
//!
//! # fn main() -> Result<(), attune_crypto::CryptoError> {
//! // A device and a journal key for epoch 1, wrapped to that device.
//! let device = DeviceIdentity::generate();
//! let key = JournalKey::generate();
//! let wrapped = wrap_journal_key(&key, 1, &[device.age_recipient()])?;
//!
//! // Later: unwrap the key and use it to seal and open an entry.
//! let (epoch, key) = unwrap_journal_key(&wrapped, &device)?;
//! assert_eq!(epoch, 1);
//! let sealed = seal_blob(&key, "entry", "2025-01-01", b"Dear diary")?;
//! assert_eq!(open_blob(&key, "entry", "2025-01-01", &sealed)?, b"Dear diary");
//!
//! // A blob does not open under another id.
//! assert!(open_blob(&key, "entry", "2025-01-02", &sealed).is_err());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blob;
mod error;
mod identity;
mod key;
mod names;
mod random;
mod wrap;

pub use blob::{
    open_blob, seal_blob, seal_blob_with_nonce, BLOB_MAGIC, BLOB_NONCE_LEN, BLOB_OVERHEAD,
    BLOB_TAG_LEN, BLOB_VERSION,
};
pub use error::CryptoError;
pub use identity::{fingerprint_of, verify_signature, DeviceIdentity};
pub use key::{JournalKey, JOURNAL_KEY_LEN};
pub use names::private_name;
pub use random::random_bytes;
pub use wrap::{unwrap_journal_key, wrap_journal_key};
