//! The pairing rendezvous endpoints: a member opens one; both devices post
//! and read opaque PAKE messages through it; either closes it with the cancel
//! token. Rendezvous are in the database, so any relay instance answers.

use std::net::{IpAddr, Ipv6Addr};

use attune_proto::{
    ErrorCode, PairingCancel, PairingMessages, PairingOpen, PairingSlot, WIRE_VERSION,
};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{Authenticated, Client, UnauthenticatedSlot};
use crate::pairing::{
    random_nameplates, PairingError, Side, MAX_OPEN, MAX_PAIRING_MESSAGE, NAMEPLATE_TRIES,
};
use crate::state::AppState;
use crate::storage::{OpenPairing, PairingResult};
use crate::time::now_unix;
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
            PairingError::CancelRefused => (StatusCode::FORBIDDEN, ErrorCode::PairingCancelRefused),
            PairingError::TooManyFromAddress => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyPairingsFromIp,
            ),
            PairingError::TooManyLookups => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyPairingLookups,
            ),
        };
        ApiError::new(status, code, e.to_string())
    }
}

fn side(s: &str) -> Result<Side, ApiError> {
    Side::parse(s)
        .ok_or_else(|| ApiError::bad_request(ErrorCode::BadSide, "the side is `existing` or `new`"))
}

/// The key of a client in the limits (requests without a peer address share one).
fn client_key(client: &Client) -> IpAddr {
    client.0.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
}

/// Runs an unauthenticated lookup of `nameplate` for `client`: refused while
/// the client is over its allowance of lookups that found nothing, and
/// counted against it when this one finds nothing.
async fn lookup<T, F>(state: &AppState, client: IpAddr, run: F) -> Result<T, ApiError>
where
    F: std::future::Future<Output = PairingResult<T>>,
{
    state.pairing.check_lookups(client)?;
    match run.await? {
        Ok(value) => Ok(value),
        Err(PairingError::Unknown) => {
            state.pairing.missed(client);
            Err(PairingError::Unknown.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /v1/journals/{jid}/pairing`: a member opens a rendezvous, committing to its cancel token.
pub async fn open(
    State(state): State<AppState>,
    client: Client,
    Authenticated(grant): Authenticated,
    Wire(request): Wire<PairingOpen>,
) -> Result<Wire<PairingSlot>, ApiError> {
    let candidates = random_nameplates(NAMEPLATE_TRIES).map_err(|e| {
        ApiError::unavailable(
            ErrorCode::NoRandomness,
            format!("the relay could not draw a pairing number: {e}"),
        )
    })?;
    let expires_unix = now_unix().saturating_add(state.pairing.ttl.as_secs());
    let open = OpenPairing {
        journal: grant.journal,
        opener: client_key(&client).to_string(),
        cancel_commitment: request.cancel_commitment,
        expires_unix,
        candidates,
        max_open: MAX_OPEN,
        max_per_opener: state.pairing.max_per_client,
    };
    let nameplate = state.storage.open_pairing(&open, now_unix()).await??;
    tracing::info!(journal = %grant.journal, device = %grant.device, "pairing opened");
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
    client: Client,
    Path((nameplate, who)): Path<(u32, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let side = side(&who)?;
    if body.len() > MAX_PAIRING_MESSAGE {
        return Err(PairingError::TooLarge.into());
    }
    let stored = state
        .storage
        .post_pairing(nameplate, side, &body, now_unix());
    lookup(&state, client_key(&client), stored).await?;
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
    client: Client,
    Path((nameplate, who)): Path<(u32, String)>,
    Query(After { after }): Query<After>,
) -> Result<Wire<PairingMessages>, ApiError> {
    let reader = side(&who)?;
    let stored = state
        .storage
        .read_pairing(nameplate, reader, after, now_unix());
    let mail = lookup(&state, client_key(&client), stored).await?;
    Ok(Wire(PairingMessages {
        v: WIRE_VERSION,
        messages: mail
            .messages
            .into_iter()
            .map(serde_bytes::ByteBuf::from)
            .collect(),
        closed: mail.closed,
    }))
}

/// `DELETE /v1/pairing/{nameplate}`: close after success or failure, with the cancel token.
pub async fn close(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    client: Client,
    Path(nameplate): Path<u32>,
    Wire(cancel): Wire<PairingCancel>,
) -> Result<StatusCode, ApiError> {
    let stored = state
        .storage
        .close_pairing(nameplate, &cancel.cancel_token, now_unix());
    lookup(&state, client_key(&client), stored).await?;
    Ok(StatusCode::NO_CONTENT)
}
