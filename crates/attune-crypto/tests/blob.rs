//! Sealing and opening blobs: round trips, binding to purpose and id, tampering.

use attune_crypto::{open_blob, seal_blob, CryptoError, JournalKey, BLOB_OVERHEAD};
use proptest::prelude::*;

#[test]
fn round_trip_various_sizes() {
    let key = JournalKey::generate();
    for len in [0usize, 1, 15, 16, 17, 1000, 100_000] {
        let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let sealed = seal_blob(&key, "entry", "abc", &plaintext).unwrap();
        assert_eq!(sealed.len(), len + BLOB_OVERHEAD);
        assert_eq!(open_blob(&key, "entry", "abc", &sealed).unwrap(), plaintext);
    }
}

#[test]
fn nonces_are_random() {
    let key = JournalKey::generate();
    let a = seal_blob(&key, "p", "i", b"same").unwrap();
    let b = seal_blob(&key, "p", "i", b"same").unwrap();
    assert_ne!(a, b);
}

#[test]
fn swapped_purpose_or_id_fails() {
    let key = JournalKey::generate();
    let sealed = seal_blob(&key, "entry", "e1", b"secret").unwrap();
    assert_eq!(
        open_blob(&key, "entry", "e2", &sealed),
        Err(CryptoError::BlobTampered)
    );
    assert_eq!(
        open_blob(&key, "batch", "e1", &sealed),
        Err(CryptoError::BlobTampered)
    );
    // Moving bytes between purpose and id must not help.
    let sealed = seal_blob(&key, "ab", "c", b"secret").unwrap();
    assert_eq!(
        open_blob(&key, "a", "bc", &sealed),
        Err(CryptoError::BlobTampered)
    );
}

#[test]
fn wrong_key_fails() {
    let sealed = seal_blob(&JournalKey::generate(), "p", "i", b"x").unwrap();
    assert_eq!(
        open_blob(&JournalKey::generate(), "p", "i", &sealed),
        Err(CryptoError::BlobTampered)
    );
}

#[test]
fn header_errors_are_distinct() {
    let key = JournalKey::generate();
    let mut sealed = seal_blob(&key, "p", "i", b"x").unwrap();
    sealed[3] = 2;
    assert_eq!(
        open_blob(&key, "p", "i", &sealed),
        Err(CryptoError::UnsupportedBlobVersion(2))
    );
    sealed[3] = 1;
    sealed[0] = b'X';
    assert_eq!(
        open_blob(&key, "p", "i", &sealed),
        Err(CryptoError::NotABlob)
    );
    assert_eq!(open_blob(&key, "p", "i", b""), Err(CryptoError::NotABlob));
}

#[test]
fn every_truncation_fails() {
    let key = JournalKey::generate();
    let sealed = seal_blob(&key, "p", "i", b"some journal text").unwrap();
    for len in 0..sealed.len() {
        let err = open_blob(&key, "p", "i", &sealed[..len]).unwrap_err();
        assert!(
            matches!(err, CryptoError::NotABlob | CryptoError::BlobTampered),
            "len {len}: {err:?}"
        );
    }
}

proptest! {
    #[test]
    fn round_trip_any(plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
                      purpose in ".{0,40}", id in ".{0,40}") {
        let key = JournalKey::generate();
        let sealed = seal_blob(&key, &purpose, &id, &plaintext).unwrap();
        prop_assert_eq!(open_blob(&key, &purpose, &id, &sealed).unwrap(), plaintext);
    }

    #[test]
    fn one_flipped_bit_anywhere_fails(plaintext in proptest::collection::vec(any::<u8>(), 0..256),
                                      bit in any::<proptest::sample::Index>()) {
        let key = JournalKey::generate();
        let mut sealed = seal_blob(&key, "entry", "id-1", &plaintext).unwrap();
        let bit = bit.index(sealed.len() * 8);
        sealed[bit / 8] ^= 1 << (bit % 8);
        let err = open_blob(&key, "entry", "id-1", &sealed).unwrap_err();
        match bit / 8 {
            0..=2 => prop_assert_eq!(err, CryptoError::NotABlob),
            3 => prop_assert!(matches!(err, CryptoError::UnsupportedBlobVersion(_))),
            _ => prop_assert_eq!(err, CryptoError::BlobTampered),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let key = JournalKey::generate();
        prop_assert!(open_blob(&key, "p", "i", &bytes).is_err());
        // Also with a valid header, so the cipher sees the garbage.
        let mut framed = b"ATB\x01".to_vec();
        framed.extend_from_slice(&bytes);
        prop_assert!(open_blob(&key, "p", "i", &framed).is_err());
    }
}
