//! Journal keys wrapped (with age) to each device: opaque blobs to the relay.

use serde::{Deserialize, Serialize};

use crate::codec::wire_message;
use crate::{DeviceId, Epoch};

/// One journal key of one epoch, wrapped to one device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// The device the key is wrapped to.
    pub device_id: DeviceId,
    /// The epoch of the wrapped journal key.
    pub epoch: Epoch,
    /// The age file holding the key: opaque to the relay.
    #[serde(with = "serde_bytes")]
    pub blob: Vec<u8>,
}

/// A set of wrapped keys (uploaded by a device, or fetched by the device they are wrapped to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKeys {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The wrapped keys.
    pub keys: Vec<WrappedKey>,
}

wire_message!(WrappedKeys);
