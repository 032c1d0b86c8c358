//! Device authentication: a signed relay challenge buys a bearer session.

use serde::{Deserialize, Serialize};

use crate::codec::{bytes64, wire_message};
use crate::{DeviceId, JournalId, Roster, WrappedKey};

/// Domain separation prefix of [`auth_message`].
const AUTH_DOMAIN: &[u8] = b"attune-auth-v1";

/// The bytes a device signs (Ed25519, directly) to answer a challenge:
/// `b"attune-auth-v1" || journal || device || nonce`.
pub fn auth_message(journal: JournalId, device: DeviceId, nonce: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(AUTH_DOMAIN.len() + 16 + 16 + 32);
    out.extend_from_slice(AUTH_DOMAIN);
    out.extend_from_slice(&journal.0);
    out.extend_from_slice(&device.0);
    out.extend_from_slice(nonce);
    out
}

/// A device asks the relay for a challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRequest {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The device that will answer the challenge.
    pub device_id: DeviceId,
}

/// A fresh single-use nonce to sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The random nonce to sign with [`auth_message`].
    pub nonce: [u8; 32],
    /// When the challenge expires (Unix seconds).
    pub expires_unix: u64,
}

/// A device answers a challenge; the first device of a journal also sends the genesis roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The device answering.
    pub device_id: DeviceId,
    /// The nonce of the challenge being answered.
    pub nonce: [u8; 32],
    /// Ed25519 signature over [`auth_message`] of journal, device and nonce.
    #[serde(with = "bytes64")]
    pub signature: [u8; 64],
    /// The genesis roster, when this device creates the journal; ignored when the journal exists.
    pub genesis: Option<Roster>,
}

/// A bearer session granted to an authenticated device.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// When the token expires (Unix seconds).
    pub expires_unix: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("Session")
            .field("v", &self.v)
            .field("token", &"<redacted>")
            .field("expires_unix", &self.expires_unix)
            .finish()
    }
}

/// A device re-creates its journal on a relay that does not know it (one that
/// lost its data, or a new one): it answers a challenge like a
/// [`SessionRequest`] and brings the whole signed roster chain, oldest first,
/// and the journal keys wrapped to the devices of the latest version.
///
/// The relay checks the chain with the same rule every device applies and
/// that the answering device is in its latest version; it cannot check the
/// keys (they are sealed), which is why devices accept a key only when the
/// signed roster commits to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReseedRequest {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The device answering.
    pub device_id: DeviceId,
    /// The nonce of the challenge being answered.
    pub nonce: [u8; 32],
    /// Ed25519 signature over [`auth_message`] of journal, device and nonce.
    #[serde(with = "bytes64")]
    pub signature: [u8; 64],
    /// Every roster version, genesis first.
    pub rosters: Vec<Roster>,
    /// Journal keys wrapped to devices of the latest version.
    pub keys: Vec<WrappedKey>,
}

wire_message!(
    ChallengeRequest,
    Challenge,
    SessionRequest,
    Session,
    ReseedRequest
);
