//! WebSocket frames of the live connection, and the error body shared with HTTP.

use serde::{Deserialize, Serialize};

use crate::codec::wire_message;
use crate::{ErrorCode, PushRequest, PushResponse, RelaySeq, StoredEnvelope};

/// What a client sends over the WebSocket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientFrame {
    /// Store these envelopes; answered by [`ServerFrame::Acked`] or [`ServerFrame::Error`].
    Push(PushRequest),
    /// Send everything after this cursor, as [`ServerFrame::Envelopes`] pages.
    Pull {
        /// The last relay sequence the client has (0 for none).
        after: RelaySeq,
    },
}

/// What the relay sends over the WebSocket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerFrame {
    /// Stored envelopes: a backlog page or newly committed ones, in relay-sequence order.
    Envelopes(Vec<StoredEnvelope>),
    /// The answer to a push.
    Acked(PushResponse),
    /// A refusal of the last request (the connection stays open unless said otherwise).
    Error(ErrorBody),
}

/// A versioned WebSocket binary frame from a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The frame.
    pub frame: ClientFrame,
}

/// A versioned WebSocket binary frame from the relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMessage {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The frame.
    pub frame: ServerFrame,
}

/// The first frame of a live connection opened without an `Authorization`
/// header (a browser cannot set one on a WebSocket): the session's bearer token.
///
/// The relay closes a connection that sends anything else first, or nothing
/// within a few seconds, with code 1008 and the error code as reason
/// (`missing_token`, `invalid_token`, `not_in_roster`). A token is never
/// accepted in the URL, where proxies would log it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveAuth {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The bearer token of a session ([`crate::Session::token`]).
    pub token: String,
}

impl std::fmt::Debug for LiveAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("LiveAuth")
            .field("v", &self.v)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl LiveAuth {
    /// The first frame carrying `token`, in the current wire version.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            v: crate::WIRE_VERSION,
            token: token.into(),
        }
    }
}

/// A refusal: JSON in HTTP error responses, postcard inside [`ServerFrame::Error`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable snake_case code for programs (`out_of_order`, `bad_signature`, …); see [`ErrorBody::code`].
    pub error: String,
    /// A sentence for people.
    pub message: String,
}

wire_message!(ClientMessage, ServerMessage, LiveAuth);

impl ClientMessage {
    /// Wraps a frame in the current wire version.
    pub fn new(frame: ClientFrame) -> Self {
        Self {
            v: crate::WIRE_VERSION,
            frame,
        }
    }
}

impl ServerMessage {
    /// Wraps a frame in the current wire version.
    pub fn new(frame: ServerFrame) -> Self {
        Self {
            v: crate::WIRE_VERSION,
            frame,
        }
    }
}

impl ErrorBody {
    /// An error body from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: code.as_str().to_owned(),
            message: message.into(),
        }
    }

    /// The code of [`ErrorBody::error`]; [`ErrorCode::Unknown`] for one this build does not know.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::parse(&self.error)
    }
}
