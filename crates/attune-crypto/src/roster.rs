//! The signed device roster: making and signing versions, and verifying chains
//! with the one rule the relay also applies ([`attune_roster`]).
//!
//! On top of that rule, a device checks what only a key holder can: that a
//! wrapped journal key matches the commitment of the roster that introduced
//! its epoch ([`accept_wrapped_key`]), and that a served chain extends the one
//! it already trusts ([`verify_roster_extends`]).

use attune_proto::{
    DeviceId, DeviceSeq, Epoch, JournalId, RevokedDevice, Roster, RosterDevice, ROSTER_VERSION,
};
use attune_roster::RosterError;

use crate::error::CryptoError;
use crate::identity::DeviceIdentity;
use crate::key::JournalKey;
use crate::wrap::unwrap_journal_key;

/// Fills `roster.signature` with `identity`'s signature over [`Roster::signing_message`]; the caller sets `signer`.
pub fn sign_roster(identity: &DeviceIdentity, mut roster: Roster) -> Roster {
    roster.signature = identity.sign(&roster.signing_message());
    roster
}

/// The first roster of a new journal: `devices` at `epoch`, committing to `key`, signed by `identity` as `signer`.
pub fn genesis_roster(
    identity: &DeviceIdentity,
    signer: DeviceId,
    journal: JournalId,
    devices: Vec<RosterDevice>,
    epoch: Epoch,
    key: &JournalKey,
) -> Roster {
    let roster = Roster {
        v: ROSTER_VERSION,
        journal_id: journal,
        version: 1,
        prev_hash: [0; 32],
        epoch,
        key_commitment: key.commitment(journal, epoch),
        devices,
        revoked: Vec::new(),
        signer,
        signature: [0; 64],
    };
    sign_roster(identity, roster)
}

/// What the next roster version changes.
pub struct RosterChange<'a> {
    /// The devices of the next version.
    pub devices: Vec<RosterDevice>,
    /// The epoch of the next version and its key: the previous one's to keep
    /// it, or a fresh key at a higher epoch to rotate.
    pub epoch: Epoch,
    /// The key of `epoch`.
    pub key: &'a JournalKey,
    /// For each device removed by this version, its last envelope the signer
    /// has applied (`(0, zeros)` when none).
    pub last_envelopes: &'a dyn Fn(DeviceId) -> (DeviceSeq, [u8; 32]),
}

/// The version after `previous` with `change` applied, signed by `identity` as device `signer`.
///
/// Devices removed by `change` are recorded as revoked with their last
/// envelope; remove one only with a fresh key at a higher epoch, or
/// [`verify_roster_chain`] refuses the result.
pub fn next_roster(
    identity: &DeviceIdentity,
    signer: DeviceId,
    previous: &Roster,
    change: RosterChange<'_>,
) -> Roster {
    let mut revoked = previous.revoked.clone();
    for gone in previous
        .devices
        .iter()
        .filter(|d| !change.devices.iter().any(|n| n.device_id == d.device_id))
    {
        let (last_seq, last_hash) = (change.last_envelopes)(gone.device_id);
        revoked.push(RevokedDevice {
            device_id: gone.device_id,
            verifying_key: gone.verifying_key,
            last_seq,
            last_hash,
        });
    }
    let roster = Roster {
        v: ROSTER_VERSION,
        journal_id: previous.journal_id,
        version: previous.version.saturating_add(1),
        prev_hash: previous.hash(),
        epoch: change.epoch,
        key_commitment: change.key.commitment(previous.journal_id, change.epoch),
        devices: change.devices,
        revoked,
        signer,
        signature: [0; 64],
    };
    sign_roster(identity, roster)
}

/// Verifies every version of a journal's roster, oldest (the genesis) first, and returns the latest.
pub fn verify_roster_chain(rosters: &[Roster], journal: JournalId) -> Result<&Roster, CryptoError> {
    Ok(attune_roster::verify_chain(rosters, journal)?)
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
        attune_roster::check_successor(latest, roster)?;
        latest = roster;
    }
    Ok(latest)
}

/// Checks that a verified chain contains the version with hash `head`
/// (what a pairing code or `device add` told a new device to expect).
pub fn check_roster_contains(rosters: &[Roster], head: [u8; 32]) -> Result<(), CryptoError> {
    if rosters.iter().any(|r| r.hash() == head) {
        Ok(())
    } else {
        Err(CryptoError::RosterNotVouchedFor)
    }
}

/// The roster version in force at `epoch`: the latest one whose epoch is at most `epoch`.
///
/// **Rule for revoked devices.** An envelope of device D sealed at epoch E is
/// accepted only if D is in `roster_in_force(rosters, E)`, and is verified
/// with D's key there; and if the newest roster records D as revoked, only up
/// to the last envelope recorded there. Since a version that removes a device
/// must raise the epoch, a revoked device's envelopes from before its
/// revocation still open when history is replayed, while anything it signs
/// later (at any epoch) is refused.
///
/// `rosters` must be a chain checked by [`verify_roster_chain`], oldest first.
pub fn roster_in_force(rosters: &[Roster], epoch: Epoch) -> Option<&Roster> {
    rosters.iter().rev().find(|roster| roster.epoch <= epoch)
}

/// Opens a journal key wrapped to `identity` and accepts it only as the key
/// of `epoch` named and committed to by a version of the verified chain `rosters`.
///
/// A relay, or any member, can wrap a key of its choosing to a device's public
/// age recipient (age does not authenticate senders); this is the check that
/// makes such a planted key useless.
pub fn accept_wrapped_key(
    wrapped: &[u8],
    identity: &DeviceIdentity,
    rosters: &[Roster],
    epoch: Epoch,
) -> Result<JournalKey, CryptoError> {
    let (inner, key) = unwrap_journal_key(wrapped, identity)?;
    if inner != epoch.0 {
        return Err(CryptoError::KeyNotCommitted { epoch: epoch.0 });
    }
    let Some(introduced) = rosters.iter().find(|r| r.epoch == epoch) else {
        return Err(CryptoError::KeyNotCommitted { epoch: epoch.0 });
    };
    if key.commitment(introduced.journal_id, epoch) != introduced.key_commitment {
        return Err(CryptoError::KeyNotCommitted { epoch: epoch.0 });
    }
    Ok(key)
}

impl From<RosterError> for CryptoError {
    fn from(e: RosterError) -> Self {
        match e {
            RosterError::UnsupportedVersion(v) => CryptoError::UnsupportedRosterVersion(v),
            RosterError::WrongJournal => CryptoError::RosterWrongJournal,
            RosterError::NotSignedByMember { version } => {
                CryptoError::RosterNotSignedByMember { version }
            }
            RosterError::NotNext { version } => CryptoError::RosterChainBroken {
                version,
                reason: "it does not name the previous version and its hash",
            },
            RosterError::Invalid { version, reason } => {
                CryptoError::RosterChainBroken { version, reason }
            }
        }
    }
}
