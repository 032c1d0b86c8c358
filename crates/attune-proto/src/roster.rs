//! The signed device roster: which device keys belong to a journal.

use serde::{Deserialize, Serialize};

use crate::codec::{bytes64, to_postcard, wire_message};
use crate::keys::WrappedKey;
use crate::{DeviceId, DeviceSeq, Epoch, JournalId};

/// Domain separation prefix of [`Roster::signing_message`].
const ROSTER_DOMAIN: &[u8] = b"attune-roster-v2";

/// The format version of a [`Roster`] (its first byte). Version 2 added the key
/// commitment and the revoked devices; version 1 rosters are refused.
pub const ROSTER_VERSION: u8 = 2;

/// One device of a roster: its id and public keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterDevice {
    /// The device's id.
    pub device_id: DeviceId,
    /// The device's Ed25519 verifying key (authenticates to the relay, signs envelopes).
    pub verifying_key: [u8; 32],
    /// The device's age X25519 recipient (`age1…`), to which journal keys are wrapped.
    pub age_recipient: String,
}

/// A device removed from the journal, and the last envelope it may ever have sent.
///
/// Every roster version carries every device removed so far, so the newest
/// version alone tells who may no longer write, and from which envelope on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedDevice {
    /// The removed device's id (never a member again).
    pub device_id: DeviceId,
    /// Its Ed25519 verifying key when it was removed.
    pub verifying_key: [u8; 32],
    /// The sequence number of its last envelope the revoking device had applied (0: none).
    pub last_seq: DeviceSeq,
    /// The hash of that envelope (zeros when `last_seq` is 0).
    pub last_hash: [u8; 32],
}

/// A version of a journal's device roster, signed by a device of the previous version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// Format version, [`ROSTER_VERSION`].
    pub v: u8,
    /// The journal this roster belongs to.
    pub journal_id: JournalId,
    /// Roster version: 1 is the genesis, each update adds one.
    pub version: u64,
    /// [`Roster::hash`] of the previous version; zeros for the genesis.
    pub prev_hash: [u8; 32],
    /// The current journal-key epoch.
    pub epoch: Epoch,
    /// Commitment to the journal key of `epoch` (a keyed hash computed with
    /// that key): a wrapped key is used only if it matches. Versions that keep
    /// the epoch keep the commitment.
    pub key_commitment: [u8; 32],
    /// The devices that belong to the journal.
    pub devices: Vec<RosterDevice>,
    /// Every device removed so far, oldest removal first.
    pub revoked: Vec<RevokedDevice>,
    /// The device that signed this version (a member of the previous version, or the genesis device).
    pub signer: DeviceId,
    /// Ed25519 signature of the signer over [`Roster::signing_message`].
    #[serde(with = "bytes64")]
    pub signature: [u8; 64],
}

/// The signed fields of a roster, serialised exactly like the roster without its signature.
#[derive(Serialize)]
struct SignedFields<'a> {
    v: u8,
    journal_id: JournalId,
    version: u64,
    prev_hash: &'a [u8; 32],
    epoch: Epoch,
    key_commitment: &'a [u8; 32],
    devices: &'a [RosterDevice],
    revoked: &'a [RevokedDevice],
    signer: DeviceId,
}

wire_message!(Roster = ROSTER_VERSION);

impl Roster {
    /// `b"attune-roster-v2"` followed by the postcard of every field but the signature; Ed25519 signs this directly.
    pub fn signing_message(&self) -> Vec<u8> {
        let fields = SignedFields {
            v: self.v,
            journal_id: self.journal_id,
            version: self.version,
            prev_hash: &self.prev_hash,
            epoch: self.epoch,
            key_commitment: &self.key_commitment,
            devices: &self.devices,
            revoked: &self.revoked,
            signer: self.signer,
        };
        let mut out = ROSTER_DOMAIN.to_vec();
        out.extend_from_slice(&to_postcard(&fields));
        out
    }

    /// BLAKE3 of [`Roster::encode`]: what the next version names as `prev_hash`.
    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.encode()).as_bytes()
    }

    /// The roster entry of a device, if it is a member.
    pub fn device(&self, id: DeviceId) -> Option<&RosterDevice> {
        self.devices.iter().find(|d| d.device_id == id)
    }

    /// The revocation record of a device, if it was removed.
    pub fn revoked_device(&self, id: DeviceId) -> Option<&RevokedDevice> {
        self.revoked.iter().find(|d| d.device_id == id)
    }
}

/// The next roster version together with the journal keys it needs, stored by the relay in one step.
///
/// A version that raises the epoch carries the new key wrapped to every
/// device it lists; one that adds a device carries every key wrapped to it.
/// Nobody can slip other keys in between the roster and its keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterUpdate {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The next roster version.
    pub roster: Roster,
    /// Keys wrapped to devices of `roster`, for epochs up to its epoch.
    pub keys: Vec<WrappedKey>,
}

wire_message!(RosterUpdate);

/// All versions of a journal's roster, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterList {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// Every roster version, oldest (the genesis) first.
    pub rosters: Vec<Roster>,
}

wire_message!(RosterList);
