//! The one construction behind envelopes and snapshots: pad, encrypt, sign; verify, decrypt, unpad.
//!
//! A sealed message (an [`Envelope`] or a [`Snapshot`]) carries
//!
//! - `ciphertext` = `nonce (24) || XChaCha20-Poly1305(key, nonce, framed, ad) || tag (16)`,
//!   where `framed` is the plaintext padded to a PADMÉ size bucket (see `padding.rs`)
//!   and `ad` binds it to the message's relay-readable header;
//! - `signature` = the author's Ed25519 signature over the message's
//!   [`SealedMessage::signed_digest`], which covers the ciphertext.
//!
//! Each message type chooses its own associated data and its own errors: this
//! module reports failures as [`SealError`] and [`OpenError`], which the
//! callers turn into the [`crate::CryptoError`] a person can act on.
//!
//! Opening keeps its steps apart on purpose. The signature is checked before
//! the epoch key is even looked up, so a forged message is refused for good
//! rather than left waiting for a key, and many envelopes can have their
//! signatures checked as one batch before each is decrypted.

use attune_proto::{Envelope, Snapshot};
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, VerifyingKey};
use zeroize::Zeroizing;

use crate::identity::DeviceIdentity;
use crate::key::JournalKey;
use crate::padding::{pad_into, padded_len, unpad};

/// Length of the random XChaCha20 nonce at the start of a sealed payload.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag at the end of a sealed payload.
pub(crate) const TAG_LEN: usize = 16;

/// A message that carries a sealed payload and its author's signature.
pub(crate) trait SealedMessage {
    /// The sealed payload: nonce, encrypted framed plaintext, tag.
    fn ciphertext(&self) -> &[u8];
    /// Puts the sealed payload into the message (before it is signed).
    fn set_ciphertext(&mut self, ciphertext: Vec<u8>);
    /// The author's Ed25519 signature.
    fn signature(&self) -> &[u8; 64];
    /// Puts the signature into the message.
    fn set_signature(&mut self, signature: [u8; 64]);
    /// What the author signs: a digest of every field but the signature.
    fn signed_digest(&self) -> [u8; 32];
}

impl SealedMessage for Envelope {
    fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }
    fn set_ciphertext(&mut self, ciphertext: Vec<u8>) {
        self.ciphertext = ciphertext;
    }
    fn signature(&self) -> &[u8; 64] {
        &self.signature
    }
    fn set_signature(&mut self, signature: [u8; 64]) {
        self.signature = signature;
    }
    fn signed_digest(&self) -> [u8; 32] {
        *blake3::hash(&self.signed_bytes()).as_bytes()
    }
}

impl SealedMessage for Snapshot {
    fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }
    fn set_ciphertext(&mut self, ciphertext: Vec<u8>) {
        self.ciphertext = ciphertext;
    }
    fn signature(&self) -> &[u8; 64] {
        &self.signature
    }
    fn set_signature(&mut self, signature: [u8; 64]) {
        self.signature = signature;
    }
    fn signed_digest(&self) -> [u8; 32] {
        Snapshot::signed_digest(self)
    }
}

/// Why a plaintext could not be sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SealError {
    /// The plaintext's length does not fit the 32-bit length prefix (or the cipher's limit).
    TooLarge {
        /// The plaintext length that was given.
        len: usize,
    },
}

/// Why a sealed message did not open, step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// The signature does not verify with the author's key.
    BadSignature,
    /// The signature verified, but no key of the message's epoch was given.
    NoKey,
    /// The payload is too short to hold a nonce and a tag.
    Truncated,
    /// Authenticated decryption failed: altered, or sealed under another key or header.
    Tampered,
    /// It decrypted, but the framing is not canonical.
    Malformed,
}

/// Pads `plaintext`, encrypts it under `key` bound to `aad`, puts it into `message` and signs it.
///
/// `message` comes with every header field set; its ciphertext and signature
/// are replaced. The nonce must never repeat under one key: callers pass
/// fresh random bytes (only golden test vectors fix it).
pub(crate) fn seal<M: SealedMessage>(
    mut message: M,
    key: &JournalKey,
    identity: &DeviceIdentity,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<M, SealError> {
    let too_large = SealError::TooLarge {
        len: plaintext.len(),
    };
    let padded = padded_len(plaintext.len()).map_err(|_| too_large)?;
    let mut ciphertext = Vec::with_capacity(NONCE_LEN + padded + TAG_LEN);
    ciphertext.extend_from_slice(&nonce);
    pad_into(&mut ciphertext, plaintext).map_err(|_| too_large)?;
    let tag = cipher(key)
        .encrypt_in_place_detached(
            XNonce::from_slice(&nonce),
            aad,
            &mut ciphertext[NONCE_LEN..],
        )
        .map_err(|_| too_large)?;
    ciphertext.extend_from_slice(&tag);
    message.set_ciphertext(ciphertext);
    let signature = identity.sign(&message.signed_digest());
    message.set_signature(signature);
    Ok(message)
}

/// Checks `message`'s signature against its author's key (strict: no malleable or weak-key signatures).
pub(crate) fn verify<M: SealedMessage>(
    message: &M,
    author: &VerifyingKey,
) -> Result<(), OpenError> {
    verify_digest(&message.signed_digest(), message.signature(), author)
}

/// [`verify`] for a message whose [`SealedMessage::signed_digest`] was already computed.
pub(crate) fn verify_digest(
    digest: &[u8; 32],
    signature: &[u8; 64],
    author: &VerifyingKey,
) -> Result<(), OpenError> {
    author
        .verify_strict(digest, &Signature::from_bytes(signature))
        .map_err(|_| OpenError::BadSignature)
}

/// Verifies `message`, then decrypts and unpads its payload with `key` (the key of its epoch, if held).
///
/// The steps run in this order, each its own [`OpenError`]: signature, key,
/// length, AEAD, framing.
pub(crate) fn open<M: SealedMessage>(
    message: &M,
    author: &VerifyingKey,
    key: Option<&JournalKey>,
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    verify(message, author)?;
    let key = key.ok_or(OpenError::NoKey)?;
    open_payload(message.ciphertext(), key, aad)
}

/// Decrypts and unpads a sealed payload whose message's signature was already checked.
pub(crate) fn open_payload(
    ciphertext: &[u8],
    key: &JournalKey,
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let Some((nonce, rest)) = ciphertext.split_first_chunk::<NONCE_LEN>() else {
        return Err(OpenError::Truncated);
    };
    let Some((body, tag)) = rest.split_last_chunk::<TAG_LEN>() else {
        return Err(OpenError::Truncated);
    };
    let mut framed = Zeroizing::new(body.to_vec());
    cipher(key)
        .decrypt_in_place_detached(
            XNonce::from_slice(nonce),
            aad,
            &mut framed,
            Tag::from_slice(tag),
        )
        .map_err(|_| OpenError::Tampered)?;
    let plaintext = unpad(&framed).map_err(|_| OpenError::Malformed)?;
    Ok(Zeroizing::new(plaintext.to_vec()))
}

/// The AEAD of a journal key.
fn cipher(key: &JournalKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(Key::from_slice(key.expose_bytes()))
}

#[cfg(test)]
mod tests {
    use attune_proto::{DeviceId, DeviceSeq, Epoch, JournalId};

    use super::*;

    fn unsigned() -> Envelope {
        Envelope {
            v: 1,
            journal_id: JournalId([1; 16]),
            device_id: DeviceId([2; 16]),
            epoch: Epoch(1),
            device_seq: DeviceSeq(1),
            prev_hash: [0; 32],
            ciphertext: Vec::new(),
            signature: [0; 64],
        }
    }

    #[test]
    fn sealed_payloads_open_and_each_step_fails_on_its_own() {
        let key = JournalKey::from_bytes([7; 32]);
        let identity = DeviceIdentity::generate();
        let author = VerifyingKey::from_bytes(&identity.verifying_key()).unwrap();
        let sealed = seal(unsigned(), &key, &identity, [9; NONCE_LEN], b"ad", b"hello").unwrap();
        assert_eq!(&sealed.ciphertext[..NONCE_LEN], &[9; NONCE_LEN]);
        assert_eq!(
            sealed.ciphertext.len(),
            NONCE_LEN + crate::padding::MIN_PADDED_LEN + TAG_LEN
        );
        let opened = open(&sealed, &author, Some(&key), b"ad").unwrap();
        assert_eq!(opened.as_slice(), b"hello");

        let stranger = DeviceIdentity::generate();
        let stranger = VerifyingKey::from_bytes(&stranger.verifying_key()).unwrap();
        assert_eq!(
            open(&sealed, &stranger, Some(&key), b"ad"),
            Err(OpenError::BadSignature)
        );
        assert_eq!(open(&sealed, &author, None, b"ad"), Err(OpenError::NoKey));
        assert_eq!(
            open(&sealed, &author, Some(&key), b"other ad"),
            Err(OpenError::Tampered)
        );
        let other_key = JournalKey::from_bytes([8; 32]);
        assert_eq!(
            open_payload(&sealed.ciphertext, &other_key, b"ad"),
            Err(OpenError::Tampered)
        );
        assert_eq!(
            open_payload(&sealed.ciphertext[..NONCE_LEN + TAG_LEN - 1], &key, b"ad"),
            Err(OpenError::Truncated)
        );
    }

    #[test]
    fn a_canonical_aead_over_bad_framing_is_malformed() {
        // Encrypt a framing whose length prefix lies, with the real AEAD.
        let key = JournalKey::from_bytes([7; 32]);
        let nonce = [3; NONCE_LEN];
        let mut framed = vec![0xff; crate::padding::MIN_PADDED_LEN];
        let tag = cipher(&key)
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), b"ad", &mut framed)
            .unwrap();
        let mut ciphertext = nonce.to_vec();
        ciphertext.extend_from_slice(&framed);
        ciphertext.extend_from_slice(&tag);
        assert_eq!(
            open_payload(&ciphertext, &key, b"ad"),
            Err(OpenError::Malformed)
        );
    }
}
