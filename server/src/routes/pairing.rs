//! The pairing rendezvous endpoints: a member opens one; both devices post
//! and read opaque PAKE messages through it.

use attune_proto::{ErrorCode, PairingMessages, PairingSlot, WIRE_VERSION};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{Authenticated, UnauthenticatedSlot};
use crate::pairing::{PairingError, Side};
use crate::state::AppState;
use crate::wire::Wire;

impl From<PairingError> for ApiError {
    fn from(e: PairingError) -> Self {
        let (status, code) = match e {
            PairingError::Unknown => (StatusCode::NOT_FOUND, ErrorCode::UnknownPairing),
            PairingError::Expired => (StatusCode::GONE, ErrorCode::PairingExpired),
            PairingError::Closed => (StatusCode::CONFLICT, ErrorCode::PairingClosed),
            PairingError::TooManyMessages => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::PairingTooManyMessages,
            ),
            PairingError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PairingMessageTooLarge,
            ),
            PairingError::Full => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::PairingFull),
        };
        ApiError::new(status, code, e.to_string())
    }
}

fn side(s: &str) -> Result<Side, ApiError> {
    Side::parse(s)
        .ok_or_else(|| ApiError::bad_request(ErrorCode::BadSide, "the side is `existing` or `new`"))
}

/// `POST /v1/journals/{jid}/pairing`: a member opens a rendezvous.
pub async fn open(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
) -> Result<Wire<PairingSlot>, ApiError> {
    let (nameplate, expires_unix) = state.pairing.allocate(grant.journal)?;
    tracing::info!(journal = %grant.journal, device = %grant.device, nameplate, "pairing opened");
    Ok(Wire(PairingSlot {
        v: WIRE_VERSION,
        nameplate,
        expires_unix,
    }))
}

/// `POST /v1/pairing/{nameplate}/{side}`: post one opaque message.
pub async fn post(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    Path((nameplate, who)): Path<(u32, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    state.pairing.post(nameplate, side(&who)?, body.to_vec())?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of a read.
#[derive(Deserialize)]
pub struct After {
    /// How many of the other side's messages the reader already has.
    #[serde(default)]
    after: usize,
}

/// `GET /v1/pairing/{nameplate}/{side}?after=N`: the other side's messages.
pub async fn read(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    Path((nameplate, who)): Path<(u32, String)>,
    Query(After { after }): Query<After>,
) -> Result<Wire<PairingMessages>, ApiError> {
    let (messages, closed) = state.pairing.read(nameplate, side(&who)?, after)?;
    Ok(Wire(PairingMessages {
        v: WIRE_VERSION,
        messages: messages
            .into_iter()
            .map(serde_bytes::ByteBuf::from)
            .collect(),
        closed,
    }))
}

/// `DELETE /v1/pairing/{nameplate}`: close after success or failure.
pub async fn close(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    Path(nameplate): Path<u32>,
) -> Result<StatusCode, ApiError> {
    state.pairing.close(nameplate)?;
    Ok(StatusCode::NO_CONTENT)
}
