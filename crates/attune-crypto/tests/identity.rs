//! Device identities: files, passphrases, signatures, redaction.

use attune_crypto::{
    genesis_roster, verify_roster_chain, verify_signature, CryptoError, DeviceIdentity, JournalKey,
};
use attune_proto::{DeviceId, Epoch, JournalId, RosterDevice};
use proptest::prelude::*;
use secrecy::SecretString;

/// Low scrypt work factor so tests stay fast.
const TEST_WORK_FACTOR: Option<u8> = Some(10);

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// The two secret key strings as they appear in a plain identity file.
fn secret_strings(id: &DeviceIdentity) -> (String, String) {
    let text = String::from_utf8(id.to_file_bytes(None, None).unwrap()).unwrap();
    let age = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let ed = text
        .lines()
        .find_map(|l| l.strip_prefix("# ed25519-secret-key: "))
        .unwrap()
        .to_owned();
    (age, ed)
}

#[test]
fn generate_gives_age_recipient_and_signing_key() {
    let id = DeviceIdentity::generate();
    assert!(id.age_recipient().starts_with("age1"));
    let sig = id.sign(b"hello");
    verify_signature(&id.verifying_key(), b"hello", &sig).unwrap();
}

#[test]
fn age_recipients_have_the_form_rosters_require() {
    // A roster lists only `age1` and 58 lowercase bech32 characters, and pins
    // the exact string: a reloaded identity must give the same one.
    const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    for tag in 0..8u8 {
        let id = DeviceIdentity::generate();
        let recipient = id.age_recipient();
        assert_eq!(recipient.len(), 62, "{recipient}");
        assert!(recipient.starts_with("age1"));
        assert!(recipient[4..].chars().all(|c| BECH32.contains(c)));
        let reloaded =
            DeviceIdentity::from_file_bytes(&id.to_file_bytes(None, None).unwrap(), None).unwrap();
        assert_eq!(reloaded.age_recipient(), recipient);

        let (journal, device) = (JournalId([tag; 16]), DeviceId([tag; 16]));
        let member = RosterDevice {
            device_id: device,
            verifying_key: id.verifying_key(),
            age_recipient: recipient,
        };
        let genesis = genesis_roster(
            &id,
            device,
            journal,
            vec![member],
            Epoch(1),
            &JournalKey::generate(),
        );
        assert_eq!(verify_roster_chain(&[genesis], journal).unwrap().version, 1);
    }
}

#[test]
fn passphrase_round_trip() {
    let id = DeviceIdentity::generate();
    let bytes = id
        .to_file_bytes(Some(&pass("correct horse")), TEST_WORK_FACTOR)
        .unwrap();
    assert!(DeviceIdentity::is_passphrase_protected(&bytes));
    let back = DeviceIdentity::from_file_bytes(&bytes, Some(&pass("correct horse"))).unwrap();
    assert_eq!(back.age_recipient(), id.age_recipient());
    assert_eq!(back.verifying_key(), id.verifying_key());
    assert_eq!(back.fingerprint(), id.fingerprint());
}

#[test]
fn wrong_or_missing_passphrase() {
    let id = DeviceIdentity::generate();
    let bytes = id
        .to_file_bytes(Some(&pass("right")), TEST_WORK_FACTOR)
        .unwrap();
    assert_eq!(
        DeviceIdentity::from_file_bytes(&bytes, Some(&pass("wrong"))).unwrap_err(),
        CryptoError::WrongPassphrase
    );
    assert_eq!(
        DeviceIdentity::from_file_bytes(&bytes, None).unwrap_err(),
        CryptoError::PassphraseRequired
    );
}

#[test]
fn protected_file_is_age_and_hides_secrets() {
    let id = DeviceIdentity::generate();
    let (age_secret, ed_hex) = secret_strings(&id);
    let bytes = id
        .to_file_bytes(Some(&pass("pw")), TEST_WORK_FACTOR)
        .unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    let lossy = String::from_utf8_lossy(&bytes).to_uppercase();
    assert!(!lossy.contains("AGE-SECRET-KEY"));
    assert!(!lossy.contains(&age_secret));
    assert!(!lossy.contains(&ed_hex.to_uppercase()));
    assert!(!lossy.contains("ATTUNE-IDENTITY"));
}

#[test]
fn plain_file_is_not_protected_and_ignores_passphrase() {
    let id = DeviceIdentity::generate();
    let bytes = id.to_file_bytes(None, None).unwrap();
    assert!(!DeviceIdentity::is_passphrase_protected(&bytes));
    let back = DeviceIdentity::from_file_bytes(&bytes, Some(&pass("unused"))).unwrap();
    assert_eq!(back.verifying_key(), id.verifying_key());
}

#[test]
fn plain_file_is_an_age_identity_file() {
    // The `age` CLI reads identity files with this parser: comments are skipped.
    let id = DeviceIdentity::generate();
    let bytes = id.to_file_bytes(None, None).unwrap();
    let identities = age::IdentityFile::from_buffer(&bytes[..])
        .unwrap()
        .into_identities()
        .unwrap();
    assert_eq!(identities.len(), 1);
    let file = age::encrypt(&id.age_identity().to_public(), b"backup").unwrap();
    let mut reader = age::Decryptor::new(&file[..])
        .unwrap()
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut plain).unwrap();
    assert_eq!(plain, b"backup");
}

#[test]
fn passphrase_and_work_factor_are_validated() {
    let id = DeviceIdentity::generate();
    assert_eq!(
        id.to_file_bytes(Some(&pass("")), TEST_WORK_FACTOR)
            .unwrap_err(),
        CryptoError::EmptyPassphrase
    );
    for bad in [0u8, 64, 255] {
        assert_eq!(
            id.to_file_bytes(Some(&pass("pw")), Some(bad)).unwrap_err(),
            CryptoError::InvalidWorkFactor(bad)
        );
    }
}

#[test]
fn age_file_without_scrypt_is_malformed_identity() {
    let other = DeviceIdentity::generate();
    let file = age::encrypt(&other.age_identity().to_public(), b"not an identity").unwrap();
    assert!(DeviceIdentity::is_passphrase_protected(&file));
    assert!(matches!(
        DeviceIdentity::from_file_bytes(&file, Some(&pass("pw"))),
        Err(CryptoError::MalformedIdentity(_))
    ));
}

#[test]
fn debug_never_shows_secrets() {
    let id = DeviceIdentity::generate();
    let (age_secret, ed_hex) = secret_strings(&id);
    let shown = format!("{id:?} {id:#?}");
    assert!(shown.contains("<redacted>"));
    assert!(shown.contains(&id.fingerprint()));
    assert!(!shown.to_uppercase().contains(&age_secret));
    assert!(!shown.to_lowercase().contains(&ed_hex));
    assert!(!shown.contains("AGE-SECRET-KEY"));
}

#[test]
fn signature_checks() {
    let id = DeviceIdentity::generate();
    let mut sig = id.sign(b"message");
    assert_eq!(
        verify_signature(&id.verifying_key(), b"messagE", &sig),
        Err(CryptoError::InvalidSignature)
    );
    sig[10] ^= 1;
    assert_eq!(
        verify_signature(&id.verifying_key(), b"message", &sig),
        Err(CryptoError::InvalidSignature)
    );
    // Not a point on the curve.
    let mut bad_key = [0u8; 32];
    bad_key[0] = 2;
    assert_eq!(
        verify_signature(&bad_key, b"message", &id.sign(b"message")),
        Err(CryptoError::InvalidVerifyingKey)
    );
}

#[test]
fn truncated_files_never_panic() {
    let id = DeviceIdentity::generate();
    let plain = id.to_file_bytes(None, None).unwrap();
    for len in 0..plain.len() - 1 {
        // Dropping only the final newline still parses; anything shorter must not.
        assert!(DeviceIdentity::from_file_bytes(&plain[..len], None).is_err());
    }
    let protected = id
        .to_file_bytes(Some(&pass("pw")), TEST_WORK_FACTOR)
        .unwrap();
    for len in (0..protected.len()).step_by(7) {
        assert!(DeviceIdentity::from_file_bytes(&protected[..len], Some(&pass("pw"))).is_err());
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = DeviceIdentity::from_file_bytes(&bytes, None);
        let mut framed = b"# attune-identity-v1\n".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = DeviceIdentity::from_file_bytes(&framed, None);
        let mut aged = b"age-encryption.org/v1\n".to_vec();
        aged.extend_from_slice(&bytes);
        prop_assert!(DeviceIdentity::from_file_bytes(&aged, None).is_err());
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec("[ -~]{0,80}", 0..8)) {
        let text = format!("# attune-identity-v1\n{}", lines.join("\n"));
        let _ = DeviceIdentity::from_file_bytes(text.as_bytes(), None);
    }
}
