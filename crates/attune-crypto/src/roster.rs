//! The signed device roster: making, signing and verifying its chain of versions.
//!
//! Version 1 (the genesis) is signed by a device it lists and has a zero
//! `prev_hash`. Every later version has the next version number, names the
//! previous version's [`Roster::hash`], and is signed (Ed25519 over
//! [`Roster::signing_message`], exactly what the relay checks) by a device of
//! the **previous** version, so the relay can never add a device.
//!
//! Besides the links, a chain must keep these rules, which make the
//! revocation rule of [`roster_in_force`] sound:
//!
//! - the epoch never decreases, and a version that removes a device raises it
//!   (revocation rotates the journal key);
//! - a device that stays keeps its Ed25519 key (a re-keyed device is a new device);
//! - every version lists at least one device, each id once, each key a valid
//!   and non-weak Ed25519 key.

use std::collections::BTreeSet;

use attune_proto::{DeviceId, Epoch, JournalId, Roster, RosterDevice, WIRE_VERSION};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::CryptoError;
use crate::identity::DeviceIdentity;

/// Fills `roster.signature` with `identity`'s signature over [`Roster::signing_message`]; the caller sets `signer`.
pub fn sign_roster(identity: &DeviceIdentity, mut roster: Roster) -> Roster {
    roster.signature = identity.sign(&roster.signing_message());
    roster
}

/// The first roster of a new journal: this device alone, self-signed.
pub fn genesis_roster(
    identity: &DeviceIdentity,
    journal: JournalId,
    device: DeviceId,
    epoch: Epoch,
) -> Roster {
    let roster = Roster {
        v: WIRE_VERSION,
        journal_id: journal,
        version: 1,
        prev_hash: [0; 32],
        epoch,
        devices: vec![RosterDevice {
            device_id: device,
            verifying_key: identity.verifying_key(),
            age_recipient: identity.age_recipient(),
        }],
        signer: device,
        signature: [0; 64],
    };
    sign_roster(identity, roster)
}

/// The version after `previous` with `devices` at `epoch`, signed by `identity` as device `signer`.
///
/// Raise the epoch (and wrap a fresh journal key) whenever a device is removed,
/// or [`verify_roster_chain`] refuses the result.
pub fn next_roster(
    identity: &DeviceIdentity,
    signer: DeviceId,
    previous: &Roster,
    devices: Vec<RosterDevice>,
    epoch: Epoch,
) -> Roster {
    let roster = Roster {
        v: WIRE_VERSION,
        journal_id: previous.journal_id,
        version: previous.version.saturating_add(1),
        prev_hash: previous.hash(),
        epoch,
        devices,
        signer,
        signature: [0; 64],
    };
    sign_roster(identity, roster)
}

/// Verifies every version of a journal's roster, oldest (the genesis) first, and returns the latest.
pub fn verify_roster_chain(rosters: &[Roster], journal: JournalId) -> Result<&Roster, CryptoError> {
    let Some((genesis, rest)) = rosters.split_first() else {
        return Err(broken(1, "no roster version was given"));
    };
    check_format(genesis, journal)?;
    if genesis.version != 1 {
        return Err(broken(
            genesis.version,
            "the first version is not version 1",
        ));
    }
    if genesis.prev_hash != [0; 32] {
        return Err(broken(1, "the first version names a previous version"));
    }
    check_signed_by_member_of(genesis, genesis)?;
    check_devices(genesis)?;
    rest.iter().try_fold(genesis, |previous, next| {
        check_successor(previous, next)?;
        Ok(next)
    })
}

/// Verifies versions served after a `trusted` one and returns the latest; detects rollbacks and forks.
///
/// `newer` may be only the versions after `trusted` (empty when nothing changed)
/// or the whole chain: versions below `trusted` are skipped, a version equal to
/// `trusted`'s must be identical to it, and the rest must extend it one by one.
/// A list that ends below `trusted`, or that differs from or does not chain to
/// `trusted`, is [`CryptoError::RosterRollback`].
pub fn verify_roster_extends<'a>(
    trusted: &'a Roster,
    newer: &'a [Roster],
) -> Result<&'a Roster, CryptoError> {
    let journal = trusted.journal_id;
    if newer.iter().any(|r| r.journal_id != journal) {
        return Err(CryptoError::RosterWrongJournal);
    }
    let rollback = |served| CryptoError::RosterRollback {
        trusted: trusted.version,
        served,
    };
    if let Some(highest) = newer.iter().map(|r| r.version).max() {
        if highest < trusted.version {
            return Err(rollback(highest));
        }
    }
    let mut latest = trusted;
    for roster in newer {
        if roster.version < trusted.version {
            continue;
        }
        if roster.version == trusted.version {
            if roster != trusted {
                return Err(rollback(roster.version));
            }
            continue;
        }
        // The first version after `trusted` must build on it; otherwise it is a fork.
        if latest.version == trusted.version
            && roster.version == trusted.version.saturating_add(1)
            && roster.prev_hash != trusted.hash()
        {
            return Err(rollback(roster.version));
        }
        check_successor(latest, roster)?;
        latest = roster;
    }
    Ok(latest)
}

/// The roster version in force at `epoch`: the latest one whose epoch is at most `epoch`.
///
/// **Rule for revoked devices.** An envelope of device D sealed at epoch E is
/// accepted only if D is in `roster_in_force(rosters, E)`, and is verified
/// with D's key there. Since a version that removes a device must raise the
/// epoch, a revoked device's envelopes from before its revocation (lower
/// epochs) still open when history is replayed, while anything it signs at
/// the revoking epoch or later is refused. Envelopes of current devices at an
/// epoch newer than the newest roster are checked against the newest roster
/// (and then fail as an unknown epoch until the key arrives).
///
/// `rosters` must be a chain checked by [`verify_roster_chain`], oldest first.
pub fn roster_in_force(rosters: &[Roster], epoch: Epoch) -> Option<&Roster> {
    rosters.iter().rev().find(|roster| roster.epoch <= epoch)
}

/// Checks that `next` validly follows `previous` (both already past their own checks).
fn check_successor(previous: &Roster, next: &Roster) -> Result<(), CryptoError> {
    check_format(next, previous.journal_id)?;
    if Some(next.version) != previous.version.checked_add(1) {
        return Err(broken(next.version, "its version number does not follow"));
    }
    if next.prev_hash != previous.hash() {
        return Err(broken(
            next.version,
            "it does not name the hash of the previous version",
        ));
    }
    check_signed_by_member_of(next, previous)?;
    check_devices(next)?;
    if next.epoch < previous.epoch {
        return Err(broken(next.version, "its key epoch goes backwards"));
    }
    let removes_a_device = previous
        .devices
        .iter()
        .any(|d| next.device(d.device_id).is_none());
    if removes_a_device && next.epoch == previous.epoch {
        return Err(broken(
            next.version,
            "it removes a device without rotating the journal key to a new epoch",
        ));
    }
    let rekeys_a_device = next.devices.iter().any(|d| {
        previous
            .device(d.device_id)
            .is_some_and(|old| old.verifying_key != d.verifying_key)
    });
    if rekeys_a_device {
        return Err(broken(
            next.version,
            "it changes the signing key of a device",
        ));
    }
    Ok(())
}

/// Checks the format version and the journal of one roster version.
fn check_format(roster: &Roster, journal: JournalId) -> Result<(), CryptoError> {
    if roster.v != WIRE_VERSION {
        return Err(CryptoError::UnsupportedRosterVersion(roster.v));
    }
    if roster.journal_id != journal {
        return Err(CryptoError::RosterWrongJournal);
    }
    Ok(())
}

/// Checks that `roster` is signed by its `signer`, who must be a device of `signers`.
fn check_signed_by_member_of(roster: &Roster, signers: &Roster) -> Result<(), CryptoError> {
    let refused = CryptoError::RosterNotSignedByMember {
        version: roster.version,
    };
    let signer = signers.device(roster.signer).ok_or(refused.clone())?;
    let key = VerifyingKey::from_bytes(&signer.verifying_key).map_err(|_| refused.clone())?;
    key.verify_strict(
        &roster.signing_message(),
        &Signature::from_bytes(&roster.signature),
    )
    .map_err(|_| refused)
}

/// Checks the device list of one version: non-empty, unique ids, valid non-weak keys.
fn check_devices(roster: &Roster) -> Result<(), CryptoError> {
    if roster.devices.is_empty() {
        return Err(broken(roster.version, "it lists no device"));
    }
    let mut seen = BTreeSet::new();
    for device in &roster.devices {
        if !seen.insert(device.device_id) {
            return Err(broken(roster.version, "it lists a device twice"));
        }
        match VerifyingKey::from_bytes(&device.verifying_key) {
            Ok(key) if !key.is_weak() => {}
            _ => {
                return Err(broken(
                    roster.version,
                    "a device's signing key is not a valid Ed25519 key",
                ))
            }
        }
    }
    Ok(())
}

/// A [`CryptoError::RosterChainBroken`] for `version`.
fn broken(version: u64, reason: &'static str) -> CryptoError {
    CryptoError::RosterChainBroken { version, reason }
}
