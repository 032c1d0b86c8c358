//! Wrapping the journal key to devices, as standard age files.
//!
//! The age payload is `b"attune-journal-key-v1" || epoch (u32 BE) || key (32 bytes)`,
//! so the `age` tool can open a wrapped key with a device's identity file.

use std::io::Read;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::identity::{age_encrypt_to, DeviceIdentity};
use crate::key::{JournalKey, JOURNAL_KEY_LEN};

/// Magic bytes that open the payload of a wrapped journal key.
const PAYLOAD_MAGIC: &[u8] = b"attune-journal-key-v1";
/// Length of the whole payload: magic, epoch and key.
const PAYLOAD_LEN: usize = PAYLOAD_MAGIC.len() + 4 + JOURNAL_KEY_LEN;

/// Magic bytes that open the payload of a wrapped at-rest key (a device's own disk key).
const AT_REST_MAGIC: &[u8] = b"attune-at-rest-key-v1";

/// Wraps a device's at-rest key to the device's own identity, as a standard age file.
///
/// The at-rest key seals the device's files; it is random per device, never
/// leaves it, and its payload differs from a journal key's, so no journal key
/// (planted or not) can ever be taken for it.
pub fn wrap_at_rest_key(
    key: &JournalKey,
    identity: &DeviceIdentity,
) -> Result<Vec<u8>, CryptoError> {
    let recipient = identity.age_identity().to_public();
    let mut payload = Zeroizing::new(Vec::with_capacity(AT_REST_MAGIC.len() + JOURNAL_KEY_LEN));
    payload.extend_from_slice(AT_REST_MAGIC);
    payload.extend_from_slice(key.expose_bytes());
    age_encrypt_to(std::iter::once(&recipient as &dyn age::Recipient), &payload)
}

/// Opens a device's at-rest key wrapped by [`wrap_at_rest_key`].
pub fn unwrap_at_rest_key(
    wrapped: &[u8],
    identity: &DeviceIdentity,
) -> Result<JournalKey, CryptoError> {
    let payload = age_decrypt_small(wrapped, identity, AT_REST_MAGIC.len() + JOURNAL_KEY_LEN)?;
    let key_bytes: &[u8; JOURNAL_KEY_LEN] = payload
        .strip_prefix(AT_REST_MAGIC)
        .and_then(|rest| rest.try_into().ok())
        .ok_or(CryptoError::MalformedWrappedKey)?;
    Ok(JournalKey::from_bytes(*key_bytes))
}

/// Decrypts a small age file to `identity`, refusing payloads longer than `max`.
fn age_decrypt_small(
    wrapped: &[u8],
    identity: &DeviceIdentity,
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let decryptor =
        age::Decryptor::new_buffered(wrapped).map_err(|_| CryptoError::MalformedWrappedKey)?;
    let mut reader = decryptor
        .decrypt(std::iter::once(
            identity.age_identity() as &dyn age::Identity
        ))
        .map_err(|err| match err {
            age::DecryptError::NoMatchingKeys => CryptoError::NotARecipient,
            _ => CryptoError::MalformedWrappedKey,
        })?;
    // Read one byte more than allowed so that trailing data is noticed.
    let mut payload = Zeroizing::new(Vec::with_capacity(max + 1));
    reader
        .by_ref()
        .take(max as u64 + 1)
        .read_to_end(&mut payload)
        .map_err(|_| CryptoError::MalformedWrappedKey)?;
    if payload.len() > max {
        return Err(CryptoError::MalformedWrappedKey);
    }
    Ok(payload)
}

/// Wraps the journal key of `epoch` to every age recipient (`age1…`) in `recipients`.
pub fn wrap_journal_key(
    key: &JournalKey,
    epoch: u32,
    recipients: &[String],
) -> Result<Vec<u8>, CryptoError> {
    if recipients.is_empty() {
        return Err(CryptoError::NoRecipients);
    }
    let parsed = recipients
        .iter()
        .map(|r| {
            age::x25519::Recipient::from_str(r.trim())
                .map_err(|_| CryptoError::InvalidRecipient(r.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut payload = Zeroizing::new(Vec::with_capacity(PAYLOAD_LEN));
    payload.extend_from_slice(PAYLOAD_MAGIC);
    payload.extend_from_slice(&epoch.to_be_bytes());
    payload.extend_from_slice(key.expose_bytes());

    age_encrypt_to(parsed.iter().map(|r| r as &dyn age::Recipient), &payload)
}

/// Opens a wrapped journal key with this device's identity, returning its epoch and key.
pub fn unwrap_journal_key(
    wrapped: &[u8],
    identity: &DeviceIdentity,
) -> Result<(u32, JournalKey), CryptoError> {
    let payload = age_decrypt_small(wrapped, identity, PAYLOAD_LEN)?;
    let rest = payload
        .strip_prefix(PAYLOAD_MAGIC)
        .ok_or(CryptoError::MalformedWrappedKey)?;
    let (epoch, rest) = rest
        .split_first_chunk::<4>()
        .ok_or(CryptoError::MalformedWrappedKey)?;
    let key_bytes: &[u8; JOURNAL_KEY_LEN] = rest
        .try_into()
        .map_err(|_| CryptoError::MalformedWrappedKey)?;
    Ok((
        u32::from_be_bytes(*epoch),
        JournalKey::from_bytes(*key_bytes),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_to_two_devices() {
        let a = DeviceIdentity::generate();
        let b = DeviceIdentity::generate();
        let key = JournalKey::generate();
        let wrapped = wrap_journal_key(&key, 7, &[a.age_recipient(), b.age_recipient()]).unwrap();
        for device in [&a, &b] {
            let (epoch, opened) = unwrap_journal_key(&wrapped, device).unwrap();
            assert_eq!(epoch, 7);
            assert_eq!(opened.expose_bytes(), key.expose_bytes());
        }
    }

    #[test]
    fn other_device_is_not_a_recipient() {
        let a = DeviceIdentity::generate();
        let wrapped = wrap_journal_key(&JournalKey::generate(), 1, &[a.age_recipient()]).unwrap();
        assert!(matches!(
            unwrap_journal_key(&wrapped, &DeviceIdentity::generate()),
            Err(CryptoError::NotARecipient)
        ));
    }

    #[test]
    fn bad_recipient_lists_are_refused() {
        let key = JournalKey::generate();
        assert_eq!(
            wrap_journal_key(&key, 1, &[]),
            Err(CryptoError::NoRecipients)
        );
        assert_eq!(
            wrap_journal_key(&key, 1, &["age1nope".to_owned()]),
            Err(CryptoError::InvalidRecipient("age1nope".to_owned()))
        );
    }

    #[test]
    fn foreign_payload_is_malformed() {
        let a = DeviceIdentity::generate();
        let recipient = a.age_identity().to_public();
        for payload in [&b"hello"[..], &[0u8; PAYLOAD_LEN][..]] {
            let file = age::encrypt(&recipient, payload).unwrap();
            assert!(matches!(
                unwrap_journal_key(&file, &a),
                Err(CryptoError::MalformedWrappedKey)
            ));
        }
        // A journal key is never an at-rest key, and the other way round.
        let wrapped = wrap_journal_key(&JournalKey::generate(), 0, &[a.age_recipient()]).unwrap();
        assert!(unwrap_at_rest_key(&wrapped, &a).is_err());
        let local = JournalKey::generate();
        let wrapped = wrap_at_rest_key(&local, &a).unwrap();
        assert!(unwrap_journal_key(&wrapped, &a).is_err());
        assert_eq!(
            unwrap_at_rest_key(&wrapped, &a).unwrap().expose_bytes(),
            local.expose_bytes()
        );
        let mut long = PAYLOAD_MAGIC.to_vec();
        long.extend_from_slice(&[0u8; 37]);
        let file = age::encrypt(&recipient, &long).unwrap();
        assert!(matches!(
            unwrap_journal_key(&file, &a),
            Err(CryptoError::MalformedWrappedKey)
        ));
    }
}
