//! Signature checks and the roster rules the relay enforces.
//!
//! The relay verifies Ed25519 signatures with public keys only; it has no
//! code that could decrypt anything.

use std::collections::HashSet;

use attune_proto::{auth_message, DeviceId, JournalId, Roster, RosterDevice, WIRE_VERSION};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::ApiError;

/// Strict Ed25519 verification; false for an invalid key or signature.
pub fn verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(key) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

/// Checks a device's answer to a challenge.
pub fn check_auth_signature(
    key: &[u8; 32],
    journal: JournalId,
    device: DeviceId,
    nonce: &[u8; 32],
    signature: &[u8; 64],
) -> Result<(), ApiError> {
    if verify(key, &auth_message(journal, device, nonce), signature) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "bad_signature",
            "the challenge signature does not verify with this device's key",
        ))
    }
}

/// The checks every roster must pass whatever its version.
fn check_shape(roster: &Roster, journal: JournalId) -> Result<(), ApiError> {
    if roster.v != WIRE_VERSION {
        return Err(ApiError::bad_request(
            "unsupported_version",
            format!(
                "roster has wire version {}, this relay speaks {WIRE_VERSION}",
                roster.v
            ),
        ));
    }
    if roster.journal_id != journal {
        return Err(ApiError::bad_request(
            "wrong_journal",
            format!(
                "the roster is for journal {}, not {journal}",
                roster.journal_id
            ),
        ));
    }
    if roster.devices.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_roster",
            "a roster must list at least one device",
        ));
    }
    let mut seen = HashSet::new();
    for device in &roster.devices {
        if !seen.insert(device.device_id) {
            return Err(ApiError::bad_request(
                "invalid_roster",
                format!("device {} is listed twice", device.device_id),
            ));
        }
        if VerifyingKey::from_bytes(&device.verifying_key).is_err() {
            return Err(ApiError::bad_request(
                "invalid_roster",
                format!("device {} has an invalid Ed25519 key", device.device_id),
            ));
        }
    }
    Ok(())
}

/// Checks a genesis roster sent by `device` to create `journal`; returns the device's entry.
pub fn check_genesis(
    genesis: &Roster,
    journal: JournalId,
    device: DeviceId,
) -> Result<&RosterDevice, ApiError> {
    check_shape(genesis, journal)?;
    if genesis.version != 1 || genesis.prev_hash != [0; 32] {
        return Err(ApiError::bad_request(
            "invalid_genesis",
            "a genesis roster has version 1 and an all-zero prev_hash",
        ));
    }
    let member = genesis.device(device).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_genesis",
            "the genesis roster must contain the device creating the journal",
        )
    })?;
    if genesis.signer != device
        || !verify(
            &member.verifying_key,
            &genesis.signing_message(),
            &genesis.signature,
        )
    {
        return Err(ApiError::forbidden(
            "roster_not_signed_by_member",
            "the genesis roster must be signed by the device creating the journal",
        ));
    }
    Ok(member)
}

/// Checks that `next` may follow `latest`: next version, chained, signed by a current member.
pub fn check_update(latest: &Roster, next: &Roster, journal: JournalId) -> Result<(), ApiError> {
    check_shape(next, journal)?;
    if next.version != latest.version.saturating_add(1) || next.prev_hash != latest.hash() {
        return Err(ApiError::conflict(
            "roster_conflict",
            format!(
                "the roster must be version {} chained to the hash of version {}; fetch the roster and retry",
                latest.version.saturating_add(1),
                latest.version
            ),
        ));
    }
    let signed = latest.device(next.signer).is_some_and(|signer| {
        verify(
            &signer.verifying_key,
            &next.signing_message(),
            &next.signature,
        )
    });
    if !signed {
        return Err(ApiError::forbidden(
            "roster_not_signed_by_member",
            "the roster must be signed by a device of the current roster",
        ));
    }
    if next.epoch < latest.epoch {
        return Err(ApiError::bad_request(
            "invalid_roster",
            format!(
                "the key epoch may not go back from {} to {}",
                latest.epoch, next.epoch
            ),
        ));
    }
    Ok(())
}
