//! Pushing envelopes to the relay and pulling them back.

use serde::{Deserialize, Serialize};

use crate::codec::wire_message;
use crate::{DeviceSeq, Envelope, RelaySeq};

/// Envelopes of one device, in device-sequence order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The envelopes to store.
    pub envelopes: Vec<Envelope>,
}

/// The relay committed the envelope with this device sequence under this relay sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The device's sequence number of the envelope.
    pub device_seq: DeviceSeq,
    /// The relay sequence number it is stored under.
    pub relay_seq: RelaySeq,
}

/// One ack per pushed envelope, in the order they were pushed; sent only after commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The acks.
    pub acks: Vec<Ack>,
}

/// An envelope as the relay stored it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEnvelope {
    /// Its relay sequence number in the journal.
    pub relay_seq: RelaySeq,
    /// When the relay received it (Unix seconds).
    pub received_unix: u64,
    /// The envelope, byte for byte as pushed.
    pub envelope: Envelope,
}

/// A page of envelopes after a cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// Envelopes in relay-sequence order.
    pub envelopes: Vec<StoredEnvelope>,
    /// The latest relay sequence of the journal: pull again while the last envelope is below it.
    pub head: RelaySeq,
}

wire_message!(PushRequest, PushResponse, PullResponse);
