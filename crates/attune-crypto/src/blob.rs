//! At-rest sealing of blobs with the journal key (XChaCha20-Poly1305).
//!
//! Format v1: `b"ATB" || 0x01 || nonce (24 bytes) || ciphertext || tag (16 bytes)`.
//!
//! The associated data binds each blob to where it belongs:
//! `b"attune-blob-v1" || u16-BE len(purpose) || purpose || u16-BE len(id) || id`,
//! so a blob moved to another file, or used for another purpose, does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::error::CryptoError;
use crate::key::JournalKey;
use crate::random::random_bytes;

/// The magic bytes that start every sealed blob.
pub const BLOB_MAGIC: &[u8; 3] = b"ATB";
/// The blob format version this crate writes.
pub const BLOB_VERSION: u8 = 1;
/// Length of the random XChaCha20 nonce in bytes.
pub const BLOB_NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag in bytes.
pub const BLOB_TAG_LEN: usize = 16;
/// Bytes a sealed blob adds to its plaintext.
pub const BLOB_OVERHEAD: usize = HEADER_LEN + BLOB_TAG_LEN;

const HEADER_LEN: usize = BLOB_MAGIC.len() + 1 + BLOB_NONCE_LEN;
const AD_DOMAIN: &[u8] = b"attune-blob-v1";

/// Seals `plaintext` under `key` for the file identified by `purpose` and `id`, with a random nonce.
///
/// # Panics
///
/// Panics if the operating system cannot provide randomness.
pub fn seal_blob(
    key: &JournalKey,
    purpose: &str,
    id: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    seal_blob_with_nonce(key, purpose, id, plaintext, random_bytes())
}

/// Seals with a caller-chosen nonce; only for golden test vectors, never reuse a nonce.
#[doc(hidden)]
pub fn seal_blob_with_nonce(
    key: &JournalKey,
    purpose: &str,
    id: &str,
    plaintext: &[u8],
    nonce: [u8; BLOB_NONCE_LEN],
) -> Result<Vec<u8>, CryptoError> {
    let aad = associated_data(purpose, id)?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.expose_bytes()));
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::BlobTooLarge)?;

    let mut sealed = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    sealed.extend_from_slice(BLOB_MAGIC);
    sealed.push(BLOB_VERSION);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// Opens a blob sealed by [`seal_blob`] with the same key, purpose and id.
pub fn open_blob(
    key: &JournalKey,
    purpose: &str,
    id: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let Some((magic, rest)) = sealed.split_first_chunk::<3>() else {
        return Err(CryptoError::NotABlob);
    };
    if magic != BLOB_MAGIC {
        return Err(CryptoError::NotABlob);
    }
    let Some((&version, rest)) = rest.split_first() else {
        return Err(CryptoError::NotABlob);
    };
    if version != BLOB_VERSION {
        return Err(CryptoError::UnsupportedBlobVersion(version));
    }
    let Some((nonce, ciphertext)) = rest.split_first_chunk::<BLOB_NONCE_LEN>() else {
        return Err(CryptoError::NotABlob);
    };
    if ciphertext.len() < BLOB_TAG_LEN {
        return Err(CryptoError::NotABlob);
    }

    let aad = associated_data(purpose, id)?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.expose_bytes()));
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::BlobTampered)
}

/// Builds the associated data that binds a blob to its purpose and id.
fn associated_data(purpose: &str, id: &str) -> Result<Vec<u8>, CryptoError> {
    let mut aad = Vec::with_capacity(AD_DOMAIN.len() + 4 + purpose.len() + id.len());
    aad.extend_from_slice(AD_DOMAIN);
    push_label(&mut aad, "purpose", purpose)?;
    push_label(&mut aad, "id", id)?;
    Ok(aad)
}

/// Appends `u16-BE len || label`, refusing labels that do not fit.
fn push_label(aad: &mut Vec<u8>, field: &'static str, label: &str) -> Result<(), CryptoError> {
    let len = u16::try_from(label.len()).map_err(|_| CryptoError::BlobLabelTooLong {
        field,
        len: label.len(),
    })?;
    aad.extend_from_slice(&len.to_be_bytes());
    aad.extend_from_slice(label.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let key = JournalKey::generate();
        let sealed = seal_blob(&key, "entry", "e1", b"hello").unwrap();
        assert_eq!(&sealed[..3], b"ATB");
        assert_eq!(sealed[3], 1);
        assert_eq!(sealed.len(), 5 + BLOB_OVERHEAD);
        assert_eq!(open_blob(&key, "entry", "e1", &sealed).unwrap(), b"hello");
    }

    #[test]
    fn labels_are_length_prefixed() {
        // Without length prefixes ("ab","c") and ("a","bc") would give the same AD.
        assert_ne!(
            associated_data("ab", "c").unwrap(),
            associated_data("a", "bc").unwrap()
        );
    }

    #[test]
    fn overlong_labels_are_refused() {
        let key = JournalKey::generate();
        let long = "x".repeat(usize::from(u16::MAX) + 1);
        assert_eq!(
            seal_blob(&key, &long, "id", b""),
            Err(CryptoError::BlobLabelTooLong {
                field: "purpose",
                len: long.len()
            })
        );
        assert!(matches!(
            open_blob(&key, "p", &long, &[0; 64]),
            Err(CryptoError::NotABlob)
        ));
        let sealed = seal_blob(&key, "p", "i", b"").unwrap();
        assert!(matches!(
            open_blob(&key, "p", &long, &sealed),
            Err(CryptoError::BlobLabelTooLong { field: "id", .. })
        ));
        let max = "y".repeat(usize::from(u16::MAX));
        let sealed = seal_blob(&key, &max, &max, b"ok").unwrap();
        assert_eq!(open_blob(&key, &max, &max, &sealed).unwrap(), b"ok");
    }

    #[test]
    fn short_inputs_are_not_blobs() {
        let key = JournalKey::generate();
        for len in 0..BLOB_OVERHEAD {
            let mut bytes = vec![0u8; len];
            if len >= 4 {
                bytes[..3].copy_from_slice(BLOB_MAGIC);
                bytes[3] = BLOB_VERSION;
            }
            assert_eq!(
                open_blob(&key, "p", "i", &bytes),
                Err(CryptoError::NotABlob),
                "len {len}"
            );
        }
    }
}
