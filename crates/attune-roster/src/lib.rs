//! The one roster rule of Attune, shared by the relay and every device.
//!
//! A journal's device roster is a chain of signed versions. This crate decides
//! which versions may start a chain ([`check_genesis`]) and which may follow
//! which ([`check_successor`]), using public keys only: the relay links it to
//! refuse bad versions before storing them, and devices link it (through
//! `attune-crypto`) to refuse them again when they are served. It has no code
//! that could decrypt anything.
//!
//! The rule, in words:
//!
//! - every version has format [`ROSTER_VERSION`], names its journal, lists at
//!   least one device, each id once, each with a valid non-weak Ed25519 key and
//!   an `age1…` recipient;
//! - the genesis is version 1 with a zero `prev_hash`, no revoked device, and
//!   is signed by a device it lists;
//! - every later version has the next number, names the previous version's
//!   hash, and is signed by a device of the **previous** version;
//! - **keys are pinned**: a device that stays keeps both its signing key and
//!   its age recipient (a re-keyed device is a new device);
//! - **the epoch never goes back and rises one at a time**; a version that
//!   keeps the epoch keeps the key commitment, and one that raises it commits
//!   to a different key (so no member can use up the epochs and leave nobody
//!   able to revoke it);
//! - **removal is revocation**: a version that removes a device raises the
//!   epoch and appends the device to `revoked` with its signing key; the
//!   revoked list only grows, and a revoked id never returns.
//!
//! # Example
//!
//! ```
//! use attune_proto::{DeviceId, Epoch, JournalId, Roster, RosterDevice, ROSTER_VERSION};
//! use attune_roster::{check_genesis, check_successor, RosterError};
//! use ed25519_dalek::{Signer, SigningKey};
//!
//! let journal = JournalId([9; 16]);
//! let laptop = (DeviceId([1; 16]), SigningKey::from_bytes(&[1; 32]));
//! let sign = |mut roster: Roster, (id, key): &(DeviceId, SigningKey)| {
//!     roster.signer = *id;
//!     roster.signature = key.sign(&roster.signing_message()).to_bytes();
//!     roster
//! };
//! let genesis = sign(
//!     Roster {
//!         v: ROSTER_VERSION,
//!         journal_id: journal,
//!         version: 1,
//!         prev_hash: [0; 32],
//!         epoch: Epoch(1),
//!         key_commitment: [7; 32],
//!         devices: vec![RosterDevice {
//!             device_id: laptop.0,
//!             verifying_key: laptop.1.verifying_key().to_bytes(),
//!             age_recipient: format!("age1{}", "q".repeat(58)),
//!         }],
//!         revoked: Vec::new(),
//!         signer: laptop.0,
//!         signature: [0; 64],
//!     },
//!     &laptop,
//! );
//! check_genesis(&genesis, journal)?;
//!
//! // A device outside the journal cannot sign the next version.
//! let stranger = (DeviceId([2; 16]), SigningKey::from_bytes(&[2; 32]));
//! let next = Roster { version: 2, prev_hash: genesis.hash(), ..genesis.clone() };
//! assert!(check_successor(&genesis, &sign(next.clone(), &stranger)).is_err());
//! check_successor(&genesis, &sign(next, &laptop))?;
//! # Ok::<(), RosterError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::BTreeSet;

use attune_proto::{JournalId, Roster, ROSTER_VERSION};
use ed25519_dalek::{Signature, VerifyingKey};

/// Why a roster version was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The version has a format this build does not know.
    #[error(
        "roster format version {0} is not supported (this build reads version {ROSTER_VERSION})"
    )]
    UnsupportedVersion(u8),
    /// The version belongs to another journal.
    #[error("the roster belongs to another journal")]
    WrongJournal,
    /// The version does not take the next number or does not name the previous version's hash.
    #[error(
        "roster version {version} does not follow the latest version (another change came first)"
    )]
    NotNext {
        /// The refused version number.
        version: u64,
    },
    /// The version is not signed by a device allowed to sign it.
    #[error("roster version {version} is not signed by a device of the journal")]
    NotSignedByMember {
        /// The refused version number.
        version: u64,
    },
    /// The version breaks a rule of the chain.
    #[error("roster version {version} is invalid: {reason}")]
    Invalid {
        /// The refused version number.
        version: u64,
        /// Which rule it breaks, in plain words.
        reason: &'static str,
    },
}

/// Checks a genesis roster (version 1) of `journal`.
pub fn check_genesis(genesis: &Roster, journal: JournalId) -> Result<(), RosterError> {
    check_format(genesis, journal)?;
    if genesis.version != 1 {
        return Err(invalid(
            genesis.version,
            "the first version is not version 1",
        ));
    }
    if genesis.prev_hash != [0; 32] {
        return Err(invalid(1, "the first version names a previous version"));
    }
    if !genesis.revoked.is_empty() {
        return Err(invalid(1, "the first version lists revoked devices"));
    }
    check_devices(genesis)?;
    check_signed_by_member_of(genesis, genesis)
}

/// Checks that `next` may follow `previous` (which already passed these checks).
pub fn check_successor(previous: &Roster, next: &Roster) -> Result<(), RosterError> {
    check_format(next, previous.journal_id)?;
    if Some(next.version) != previous.version.checked_add(1) || next.prev_hash != previous.hash() {
        return Err(RosterError::NotNext {
            version: next.version,
        });
    }
    check_signed_by_member_of(next, previous)?;
    check_devices(next)?;
    let version = next.version;
    if next.epoch < previous.epoch {
        return Err(invalid(version, "its key epoch goes backwards"));
    }
    if next.epoch.0 > previous.epoch.0.saturating_add(1) {
        return Err(invalid(version, "its key epoch skips epochs"));
    }
    if next.epoch == previous.epoch && next.key_commitment != previous.key_commitment {
        return Err(invalid(
            version,
            "it changes the journal key without raising the epoch",
        ));
    }
    if next.epoch > previous.epoch && next.key_commitment == previous.key_commitment {
        return Err(invalid(
            version,
            "it raises the epoch but keeps the old key",
        ));
    }
    for device in &next.devices {
        if let Some(old) = previous.device(device.device_id) {
            if old.verifying_key != device.verifying_key {
                return Err(invalid(version, "it changes the signing key of a device"));
            }
            if old.age_recipient != device.age_recipient {
                return Err(invalid(
                    version,
                    "it changes the key a device receives journal keys with",
                ));
            }
        }
        if next.revoked_device(device.device_id).is_some() {
            return Err(invalid(version, "it lists a revoked device as a member"));
        }
    }
    check_revocations(previous, next)
}

/// Verifies a whole chain, genesis first, and returns its latest version.
pub fn verify_chain(rosters: &[Roster], journal: JournalId) -> Result<&Roster, RosterError> {
    let Some((genesis, rest)) = rosters.split_first() else {
        return Err(invalid(1, "no roster version was given"));
    };
    check_genesis(genesis, journal)?;
    rest.iter().try_fold(genesis, |previous, next| {
        check_successor(previous, next)?;
        Ok(next)
    })
}

/// The revoked list only grows, by exactly the devices this version removes.
fn check_revocations(previous: &Roster, next: &Roster) -> Result<(), RosterError> {
    let version = next.version;
    let Some(added) = next.revoked.strip_prefix(previous.revoked.as_slice()) else {
        return Err(invalid(version, "it changes the list of revoked devices"));
    };
    let removed: Vec<_> = previous
        .devices
        .iter()
        .filter(|d| next.device(d.device_id).is_none())
        .collect();
    if !removed.is_empty() && next.epoch == previous.epoch {
        return Err(invalid(
            version,
            "it removes a device without rotating the journal key to a new epoch",
        ));
    }
    if added.len() != removed.len() {
        return Err(invalid(
            version,
            "it does not record exactly the devices it removes as revoked",
        ));
    }
    for record in added {
        let Some(member) = removed.iter().find(|d| d.device_id == record.device_id) else {
            return Err(invalid(
                version,
                "it revokes a device that was not a member",
            ));
        };
        if member.verifying_key != record.verifying_key {
            return Err(invalid(
                version,
                "it records a revoked device with another key",
            ));
        }
    }
    Ok(())
}

/// Checks the format version and the journal of one version.
fn check_format(roster: &Roster, journal: JournalId) -> Result<(), RosterError> {
    if roster.v != ROSTER_VERSION {
        return Err(RosterError::UnsupportedVersion(roster.v));
    }
    if roster.journal_id != journal {
        return Err(RosterError::WrongJournal);
    }
    Ok(())
}

/// Checks that `roster` is signed by its `signer`, who must be a device of `signers`.
fn check_signed_by_member_of(roster: &Roster, signers: &Roster) -> Result<(), RosterError> {
    let refused = RosterError::NotSignedByMember {
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

/// Checks the device list of one version: non-empty, unique ids, valid keys and recipients.
fn check_devices(roster: &Roster) -> Result<(), RosterError> {
    if roster.devices.is_empty() {
        return Err(invalid(roster.version, "it lists no device"));
    }
    let mut seen = BTreeSet::new();
    for device in &roster.devices {
        if !seen.insert(device.device_id) {
            return Err(invalid(roster.version, "it lists a device twice"));
        }
        match VerifyingKey::from_bytes(&device.verifying_key) {
            Ok(key) if !key.is_weak() => {}
            _ => {
                return Err(invalid(
                    roster.version,
                    "a device's signing key is not a valid Ed25519 key",
                ))
            }
        }
        if !looks_like_age_recipient(&device.age_recipient) {
            return Err(invalid(
                roster.version,
                "a device's age recipient is not an age1… key",
            ));
        }
    }
    Ok(())
}

/// An X25519 age recipient: `age1` and 58 lowercase bech32 characters.
fn looks_like_age_recipient(text: &str) -> bool {
    const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    text.len() == 62 && text.starts_with("age1") && text[4..].chars().all(|c| BECH32.contains(c))
}

fn invalid(version: u64, reason: &'static str) -> RosterError {
    RosterError::Invalid { version, reason }
}
