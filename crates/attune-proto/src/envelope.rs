//! The envelope: one sealed change batch of one device, opaque to the relay.

use serde::{Deserialize, Serialize};

use crate::codec::{bytes64, to_postcard, wire_message};
use crate::{DeviceId, DeviceSeq, Epoch, JournalId};

/// Domain separation prefix of [`Envelope::signed_bytes`].
const ENVELOPE_DOMAIN: &[u8] = b"attune-envelope-v1";

/// A sealed change batch, bound to its journal, device, epoch and place in the device's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The journal this envelope belongs to.
    pub journal_id: JournalId,
    /// The device that sealed and signed it.
    pub device_id: DeviceId,
    /// The journal-key epoch it is sealed under.
    pub epoch: Epoch,
    /// The device's sequence number of this envelope (first is 1).
    pub device_seq: DeviceSeq,
    /// [`Envelope::hash`] of this device's previous envelope; zeros for sequence 1.
    pub prev_hash: [u8; 32],
    /// The sealed batch: opaque to the relay.
    #[serde(with = "serde_bytes")]
    pub ciphertext: Vec<u8>,
    /// The device's Ed25519 signature over BLAKE3 of [`Envelope::signed_bytes`].
    #[serde(with = "bytes64")]
    pub signature: [u8; 64],
}

/// The fields of an envelope that are signed, serialised exactly like the envelope without its signature.
#[derive(Serialize)]
struct SignedFields<'a> {
    v: u8,
    journal_id: JournalId,
    device_id: DeviceId,
    epoch: Epoch,
    device_seq: DeviceSeq,
    prev_hash: &'a [u8; 32],
    #[serde(with = "serde_bytes")]
    ciphertext: &'a [u8],
}

wire_message!(Envelope);

impl Envelope {
    /// `b"attune-envelope-v1"` followed by the postcard of every field but the signature.
    ///
    /// The device signs BLAKE3 of these bytes.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let fields = SignedFields {
            v: self.v,
            journal_id: self.journal_id,
            device_id: self.device_id,
            epoch: self.epoch,
            device_seq: self.device_seq,
            prev_hash: &self.prev_hash,
            ciphertext: &self.ciphertext,
        };
        let mut out = ENVELOPE_DOMAIN.to_vec();
        out.extend_from_slice(&to_postcard(&fields));
        out
    }

    /// BLAKE3 of [`Envelope::encode`]: what the device's next envelope names as `prev_hash`.
    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.encode()).as_bytes()
    }
}
