//! Signature checks, and the roster rule of `attune-roster` in the relay's refusals.
//!
//! The relay verifies Ed25519 signatures with public keys only; it has no
//! code that could decrypt anything. Which roster versions may start and
//! follow a journal is decided by [`attune_roster`], the same rule every
//! device applies, so relay and devices never disagree about a roster.

use attune_proto::{
    auth_message, DeviceId, ErrorCode, JournalId, Roster, RosterDevice, WrappedKey,
};
use attune_roster::RosterError;
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
            ErrorCode::BadSignature,
            "the challenge signature does not verify with this device's key",
        ))
    }
}

/// The refusal of a roster version the roster rule does not accept.
pub fn roster_refusal(error: RosterError) -> ApiError {
    let message = error.to_string();
    match error {
        RosterError::UnsupportedVersion(_) => {
            ApiError::bad_request(ErrorCode::UnsupportedVersion, message)
        }
        RosterError::WrongJournal => ApiError::bad_request(ErrorCode::WrongJournal, message),
        RosterError::NotNext { .. } => ApiError::conflict(
            ErrorCode::RosterConflict,
            format!("{message}; fetch the roster and retry"),
        ),
        RosterError::NotSignedByMember { .. } => {
            ApiError::forbidden(ErrorCode::RosterNotSignedByMember, message)
        }
        RosterError::Invalid { .. } => ApiError::bad_request(ErrorCode::InvalidRoster, message),
    }
}

/// Checks a genesis roster sent by `device` to create `journal`; returns the device's entry.
///
/// The genesis may be signed by any device it lists (a client has its
/// recovery-kit device sign it), but it must list the device creating the journal.
pub fn check_genesis(
    genesis: &Roster,
    journal: JournalId,
    device: DeviceId,
) -> Result<&RosterDevice, ApiError> {
    attune_roster::check_genesis(genesis, journal).map_err(roster_refusal)?;
    genesis.device(device).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidGenesis,
            "the genesis roster must contain the device creating the journal",
        )
    })
}

/// Checks that `next` may follow `latest` (the journal's latest stored version).
pub fn check_update(latest: &Roster, next: &Roster) -> Result<(), ApiError> {
    attune_roster::check_successor(latest, next).map_err(roster_refusal)
}

/// Checks that every key is wrapped to a device of `roster`, for an epoch up to its epoch.
pub fn check_keys_for(roster: &Roster, keys: &[WrappedKey]) -> Result<(), ApiError> {
    for key in keys {
        if roster.device(key.device_id).is_none() {
            return Err(ApiError::bad_request(
                ErrorCode::UnknownDevice,
                format!(
                    "device {} is not in the journal's roster version {}",
                    key.device_id, roster.version
                ),
            ));
        }
        if key.epoch > roster.epoch {
            return Err(ApiError::bad_request(
                ErrorCode::UnknownEpoch,
                format!(
                    "a key for epoch {} was sent, but roster version {} is at epoch {}",
                    key.epoch, roster.version, roster.epoch
                ),
            ));
        }
    }
    Ok(())
}
