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
//! - [`seal_envelope`] / [`open_envelope`] (and [`open_envelopes`] for many):
//!   change batches padded, sealed under the key of an epoch (a [`KeyRing`]),
//!   signed by the device, and opened only in each device's order ([`ChainState`]).
//! - [`genesis_roster`], [`next_roster`], [`verify_roster_chain`],
//!   [`verify_roster_extends`]: the signed device roster (checked with the
//!   relay's own rule, `attune-roster`) and its rule for revoked devices,
//!   [`roster_in_force`]; [`accept_wrapped_key`] takes a journal key only when
//!   the roster commits to it.
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
//!
//! Syncing a change batch between devices:
//!
//! ```
//! use attune_crypto::*;
//! use attune_proto::{DeviceId, DeviceSeq, Epoch, JournalId};
//!
//! # fn main() -> Result<(), CryptoError> {
//! let (journal, device) = (JournalId(random_bytes()), DeviceId(random_bytes()));
//! let identity = DeviceIdentity::generate();
//! let member = attune_proto::RosterDevice {
//!     device_id: device,
//!     verifying_key: identity.verifying_key(),
//!     age_recipient: identity.age_recipient(),
//! };
//! let journal_key = JournalKey::generate();
//! let rosters = vec![genesis_roster(&identity, device, journal, vec![member], Epoch(1), &journal_key)];
//! let roster = verify_roster_chain(&rosters, journal)?;
//!
//! // The key travels wrapped to the device and is accepted only if the roster commits to it.
//! let wrapped = wrap_journal_key(&journal_key, 1, &[identity.age_recipient()])?;
//! let mut keys = KeyRing::new();
//! keys.insert(Epoch(1), accept_wrapped_key(&wrapped, &identity, &rosters, Epoch(1))?);
//! let planted = wrap_journal_key(&JournalKey::generate(), 1, &[identity.age_recipient()])?;
//! assert!(accept_wrapped_key(&planted, &identity, &rosters, Epoch(1)).is_err());
//! let (epoch, key) = keys.for_roster(roster).expect("the roster's key is held");
//!
//! let first = seal_envelope(key, &identity, journal, device, epoch, DeviceSeq(1), [0; 32], b"batch 1")?;
//! let mut chain = ChainState::new();
//! assert_eq!(open_envelope(&first, &rosters, &keys, &chain, journal)?, b"batch 1");
//! chain.record(&first); // after the changes are applied durably
//! assert!(matches!(
//!     open_envelope(&first, &rosters, &keys, &chain, journal),
//!     Err(CryptoError::Replay { .. })
//! ));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blob;
mod chain;
mod envelope;
mod error;
mod identity;
mod key;
mod names;
mod padding;
mod pairing;
mod random;
mod recovery;
mod roster;
mod seal;
mod snapshot;
mod wrap;

pub use blob::{
    open_blob, seal_blob, seal_blob_with_nonce, BLOB_MAGIC, BLOB_NONCE_LEN, BLOB_OVERHEAD,
    BLOB_TAG_LEN, BLOB_VERSION,
};
pub use chain::ChainState;
pub use envelope::{
    open_envelope, open_envelopes, seal_envelope, seal_envelope_with_nonce, ENVELOPE_NONCE_LEN,
    ENVELOPE_TAG_LEN, ENVELOPE_VERSION,
};
pub use error::CryptoError;
pub use identity::{fingerprint_of, verify_signature, DeviceIdentity};
pub use key::{JournalKey, KeyRing, JOURNAL_KEY_LEN};
pub use names::private_name;
pub use pairing::{
    pairing_words, parse_pairing_code, start_pairing, CancelToken, PairingKey, PairingRole,
    PairingStart,
};
pub use random::random_bytes;
pub use recovery::RecoverySecret;
pub use roster::{
    accept_wrapped_key, check_roster_contains, genesis_roster, next_roster, roster_in_force,
    sign_roster, verify_roster_chain, verify_roster_extends, RosterChange,
};
pub use snapshot::{open_snapshot, seal_snapshot};
pub use wrap::{unwrap_at_rest_key, unwrap_journal_key, wrap_at_rest_key, wrap_journal_key};
