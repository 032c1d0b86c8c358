//! Wrapping the journal key to devices as age files.

use attune_crypto::{
    unwrap_journal_key, wrap_journal_key, CryptoError, DeviceIdentity, JournalKey,
};
use proptest::prelude::*;
use std::io::Read;

#[test]
fn round_trip_keeps_epoch_and_key() {
    let device = DeviceIdentity::generate();
    let key = JournalKey::generate();
    for epoch in [0, 1, u32::MAX] {
        let wrapped = wrap_journal_key(&key, epoch, &[device.age_recipient()]).unwrap();
        let (got_epoch, got_key) = unwrap_journal_key(&wrapped, &device).unwrap();
        assert_eq!(got_epoch, epoch);
        assert_eq!(got_key.expose_bytes(), key.expose_bytes());
    }
}

#[test]
fn revoked_device_cannot_unwrap() {
    let kept = DeviceIdentity::generate();
    let revoked = DeviceIdentity::generate();
    let wrapped = wrap_journal_key(&JournalKey::generate(), 2, &[kept.age_recipient()]).unwrap();
    assert!(matches!(
        unwrap_journal_key(&wrapped, &revoked),
        Err(CryptoError::NotARecipient)
    ));
}

#[test]
fn opens_with_the_age_crate_as_a_plain_age_file() {
    // Simulates `age -d -i identity-file wrapped.age`.
    let device = DeviceIdentity::generate();
    let key = JournalKey::from_bytes([0x42; 32]);
    let wrapped = wrap_journal_key(&key, 0x0102_0304, &[device.age_recipient()]).unwrap();
    assert!(wrapped.starts_with(b"age-encryption.org/v1\n-> X25519 "));

    let identity_file = device.to_file_bytes(None, None).unwrap();
    let identities = age::IdentityFile::from_buffer(&identity_file[..])
        .unwrap()
        .into_identities()
        .unwrap();
    let decryptor = age::Decryptor::new(&wrapped[..]).unwrap();
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .unwrap();
    let mut payload = Vec::new();
    reader.read_to_end(&mut payload).unwrap();

    let mut expected = b"attune-journal-key-v1".to_vec();
    expected.extend_from_slice(&[1, 2, 3, 4]);
    expected.extend_from_slice(&[0x42; 32]);
    assert_eq!(payload, expected);
}

#[test]
fn recipients_with_surrounding_whitespace_are_accepted() {
    let device = DeviceIdentity::generate();
    let wrapped = wrap_journal_key(
        &JournalKey::generate(),
        1,
        &[format!(" {}\n", device.age_recipient())],
    )
    .unwrap();
    assert!(unwrap_journal_key(&wrapped, &device).is_ok());
}

#[test]
fn invalid_recipients_are_named() {
    let device = DeviceIdentity::generate();
    let err = wrap_journal_key(
        &JournalKey::generate(),
        1,
        &[device.age_recipient(), "ssh-ed25519 AAAA".to_owned()],
    )
    .unwrap_err();
    assert_eq!(
        err,
        CryptoError::InvalidRecipient("ssh-ed25519 AAAA".to_owned())
    );
    assert!(err.to_string().contains("ssh-ed25519 AAAA"));
}

#[test]
fn every_truncation_and_bit_flip_fails() {
    let device = DeviceIdentity::generate();
    let wrapped = wrap_journal_key(&JournalKey::generate(), 3, &[device.age_recipient()]).unwrap();
    for len in 0..wrapped.len() {
        assert!(
            unwrap_journal_key(&wrapped[..len], &device).is_err(),
            "len {len}"
        );
    }
    for bit in 0..wrapped.len() * 8 {
        let mut flipped = wrapped.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        match unwrap_journal_key(&flipped, &device) {
            Err(CryptoError::NotARecipient | CryptoError::MalformedWrappedKey) => {}
            other => panic!("bit {bit}: {other:?}"),
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let device = DeviceIdentity::generate();
        prop_assert!(unwrap_journal_key(&bytes, &device).is_err());
        let mut framed = b"age-encryption.org/v1\n-> X25519 ".to_vec();
        framed.extend_from_slice(&bytes);
        prop_assert!(unwrap_journal_key(&framed, &device).is_err());
    }
}
