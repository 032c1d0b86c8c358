//! Wire types shared by the Attune client and the relay.
//!
//! Every top-level message is a postcard-encoded struct whose first field is
//! `v: u8`, the [`WIRE_VERSION`]. Its `encode` gives the bytes of an HTTP body,
//! a WebSocket frame or a stored blob; its `decode` checks the version byte
//! first ([`ProtoError::UnsupportedVersion`]), then the structure, and rejects
//! trailing bytes ([`ProtoError::Malformed`]). Decoding never panics.
//!
//! The relay sees only what these types show: random ids, sequence numbers,
//! epochs, sizes and opaque ciphertext. See `docs/adr/0002-wire-format.md`.
//!
//! ```
//! use attune_proto::*;
//!
//! let envelope = Envelope {
//!     v: WIRE_VERSION,
//!     journal_id: "00112233445566778899aabbccddeeff".parse()?,
//!     device_id: DeviceId([7; 16]),
//!     epoch: Epoch(1),
//!     device_seq: DeviceSeq(1),
//!     prev_hash: [0; 32],
//!     ciphertext: b"sealed elsewhere".to_vec(),
//!     signature: [0; 64],
//! };
//! let push = PushRequest { v: WIRE_VERSION, envelopes: vec![envelope] };
//! let bytes = push.encode();
//! assert_eq!(PushRequest::decode(&bytes)?, push);
//!
//! let mut future = bytes.clone();
//! future[0] = 2;
//! assert_eq!(PushRequest::decode(&future), Err(ProtoError::UnsupportedVersion(2)));
//! # Ok::<(), ProtoError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod codec;
mod envelope;
mod error;
mod error_code;
mod ids;
mod keys;
mod live;
mod pairing;
mod recovery;
mod roster;
pub mod routes;
mod snapshot;
mod sync;

pub use auth::{auth_message, Challenge, ChallengeRequest, ReseedRequest, Session, SessionRequest};
pub use codec::{decode_message, encode_message, WireMessage};
pub use envelope::Envelope;
pub use error::ProtoError;
pub use error_code::ErrorCode;
pub use ids::{DeviceId, DeviceSeq, Epoch, JournalId, RelaySeq};
pub use keys::{WrappedKey, WrappedKeys};
pub use live::{ClientFrame, ClientMessage, ErrorBody, LiveAuth, ServerFrame, ServerMessage};
pub use pairing::{
    PairingCancel, PairingMessages, PairingOpen, PairingSlot, PAIRING_CANCEL_CONTEXT,
};
pub use recovery::RecoveryJournal;
pub use roster::{RevokedDevice, Roster, RosterDevice, RosterList, RosterUpdate, ROSTER_VERSION};
pub use snapshot::{
    CompactRequest, CompactResponse, Cover, Snapshot, SnapshotHeader, SnapshotResponse,
    SnapshotStored,
};
pub use sync::{Ack, PullResponse, PushRequest, PushResponse, StoredEnvelope};

/// The wire version this build speaks: the first byte of every top-level message.
pub const WIRE_VERSION: u8 = 1;
