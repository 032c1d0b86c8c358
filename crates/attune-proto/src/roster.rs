//! The signed device roster: which device keys belong to a journal.

use serde::{Deserialize, Serialize};

use crate::codec::{bytes64, to_postcard, wire_message};
use crate::{DeviceId, Epoch, JournalId};

/// Domain separation prefix of [`Roster::signing_message`].
const ROSTER_DOMAIN: &[u8] = b"attune-roster-v1";

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

/// A version of a journal's device roster, signed by a device of the previous version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The journal this roster belongs to.
    pub journal_id: JournalId,
    /// Roster version: 1 is the genesis, each update adds one.
    pub version: u64,
    /// [`Roster::hash`] of the previous version; zeros for the genesis.
    pub prev_hash: [u8; 32],
    /// The current journal-key epoch.
    pub epoch: Epoch,
    /// The devices that belong to the journal.
    pub devices: Vec<RosterDevice>,
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
    devices: &'a [RosterDevice],
    signer: DeviceId,
}

wire_message!(Roster);

impl Roster {
    /// `b"attune-roster-v1"` followed by the postcard of every field but the signature; Ed25519 signs this directly.
    pub fn signing_message(&self) -> Vec<u8> {
        let fields = SignedFields {
            v: self.v,
            journal_id: self.journal_id,
            version: self.version,
            prev_hash: &self.prev_hash,
            epoch: self.epoch,
            devices: &self.devices,
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
}

/// All versions of a journal's roster, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterList {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// Every roster version, oldest (the genesis) first.
    pub rosters: Vec<Roster>,
}

wire_message!(RosterList);
