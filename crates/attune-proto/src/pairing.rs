//! The pairing rendezvous: a short-lived mailbox on the relay that two devices
//! use to run a PAKE. Its contents are opaque to the relay.

use serde::{Deserialize, Serialize};

use crate::codec::wire_message;

/// A rendezvous allocated for a journal member that wants to add a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingSlot {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The number that starts the pairing code (`7` in `7-crystal-harbor`).
    pub nameplate: u32,
    /// When the rendezvous closes (Unix seconds).
    pub expires_unix: u64,
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

wire_message!(PairingSlot, PairingMessages);
