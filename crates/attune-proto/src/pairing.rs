//! The pairing rendezvous: a short-lived mailbox on the relay that two devices
//! use to run a PAKE. Its contents are opaque to the relay.

use serde::{Deserialize, Serialize};

use crate::codec::wire_message;

/// A rendezvous allocated for a journal member that wants to add a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingSlot {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The number that starts the pairing code (`7` in `7-crystal-harbor`):
    /// random, at most six digits, unique among the relay's open rendezvous.
    pub nameplate: u32,
    /// When the rendezvous closes (Unix seconds).
    pub expires_unix: u64,
}

/// The BLAKE3 `derive_key` context of a cancel commitment: the commitment is
/// `blake3::derive_key(PAIRING_CANCEL_CONTEXT, &cancel_token)`.
pub const PAIRING_CANCEL_CONTEXT: &str = "attune 2026-12 pairing cancel token v1";

/// The body of `POST /v1/journals/{jid}/pairing`: what opening a rendezvous commits to.
///
/// The opener draws a random 32-byte cancel token and sends only its
/// commitment; closing the rendezvous later needs the token itself
/// ([`PairingCancel`]), which the two devices alone hold (the new device gets
/// it sealed under the pairing key). It is random rather than derived from
/// the code so that the relay gets no offline test of the code's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingOpen {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// `blake3::derive_key(PAIRING_CANCEL_CONTEXT, &cancel_token)`.
    pub cancel_commitment: [u8; 32],
}

/// The body of `DELETE /v1/pairing/{nameplate}`: the proof that the caller is one of the two devices.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingCancel {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The token whose commitment opened the rendezvous.
    pub cancel_token: [u8; 32],
}

impl std::fmt::Debug for PairingCancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingCancel")
            .field("v", &self.v)
            .finish_non_exhaustive()
    }
}

/// Messages one side of a rendezvous has posted, after an index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingMessages {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The messages, oldest first (opaque bytes).
    pub messages: Vec<serde_bytes::ByteBuf>,
    /// The rendezvous was closed by a side (after success or failure).
    pub closed: bool,
}

wire_message!(PairingSlot, PairingMessages, PairingOpen, PairingCancel);
