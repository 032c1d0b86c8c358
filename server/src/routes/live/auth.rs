//! How a live socket authenticates: `Authorization: Bearer` on the upgrade,
//! or (where headers cannot be set) a [`LiveAuth`] first frame; never a token
//! in the URL.

use std::time::Duration;

use attune_proto::{ErrorCode, JournalId, LiveAuth, ServerFrame, ServerMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::timeout;

use super::{run, subscribe};
use crate::auth::Grant;
use crate::error::ApiError;
use crate::extract::{authenticate, authenticate_token, header_token, token_in_url, JournalPath};
use crate::limits::LiveSlot;
use crate::state::AppState;

/// How long a socket opened without an `Authorization` header has to send its [`LiveAuth`] frame.
pub const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(5);
/// Close code of a socket that did not authenticate (policy violation).
const UNAUTHENTICATED_CLOSE_CODE: u16 = 1008;
/// Close code when the journal has too many live connections (try again later).
const BUSY_CLOSE_CODE: u16 = 1013;

/// How a live socket authenticates: the header of the upgrade, or its first frame.
pub enum LiveCredentials {
    /// `Authorization: Bearer` on the upgrade request, already checked.
    Header(Grant),
    /// No header: the first frame must be a [`LiveAuth`] for this journal.
    FirstFrame {
        /// The journal of the path.
        journal: JournalId,
        /// One of the `max_unauthenticated` slots, held until the socket authenticates.
        slot: OwnedSemaphorePermit,
    },
}

impl FromRequestParts<AppState> for LiveCredentials {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Refused even alongside a header: the URL, and the token in it, is already in some log.
        if token_in_url(parts) {
            return Err(ApiError::bad_request(
                ErrorCode::TokenInUrl,
                "a token in the URL is refused (proxies log URLs): send Authorization: Bearer TOKEN on the upgrade, or the token as the first frame",
            ));
        }
        if header_token(parts).is_some() {
            return authenticate(parts, state).await.map(Self::Header);
        }
        let JournalPath(journal) = JournalPath::from_request_parts(parts, state).await?;
        let slot = state.limits.unauthenticated_slot()?;
        Ok(Self::FirstFrame { journal, slot })
    }
}

/// Waits for the [`LiveAuth`] frame, then runs the session; refuses with a close frame otherwise.
pub(super) async fn open_by_first_frame(
    mut socket: WebSocket,
    state: AppState,
    journal: JournalId,
    waiting: OwnedSemaphorePermit,
    slot: LiveSlot,
) {
    let authenticated = match first_frame_grant(&mut socket, &state, journal).await {
        Ok(grant) => subscribe(&state, grant.journal).map(|receiver| (grant, receiver)),
        Err(error) => Err(error),
    };
    drop(waiting);
    match authenticated {
        Ok((grant, receiver)) => run(socket, state, grant, receiver, slot).await,
        Err(error) => {
            crate::metrics::refused(error.code);
            tracing::info!(journal_id = %journal, error = error.code.as_str(),
                "live connection did not authenticate; closing");
            let code = if error.code == ErrorCode::TooManyConnections {
                BUSY_CLOSE_CODE
            } else {
                UNAUTHENTICATED_CLOSE_CODE
            };
            let bytes = ServerMessage::new(ServerFrame::Error(error.body())).encode();
            let close = CloseFrame {
                code,
                reason: error.code.as_str().into(),
            };
            let goodbye = async {
                socket.send(Message::Binary(bytes.into())).await?;
                socket.send(Message::Close(Some(close))).await
            };
            let _ = timeout(state.config.ws_send_timeout, goodbye).await;
        }
    }
}

/// The grant of the socket's first data frame, which must be a [`LiveAuth`] sent within [`FIRST_FRAME_TIMEOUT`].
async fn first_frame_grant(
    socket: &mut WebSocket,
    state: &AppState,
    journal: JournalId,
) -> Result<Grant, ApiError> {
    let missing = |message: &str| ApiError::unauthorized(ErrorCode::MissingToken, message);
    let first = async {
        loop {
            match socket.recv().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Binary(bytes))) => return Some(bytes),
                _ => return None,
            }
        }
    };
    let bytes = match timeout(FIRST_FRAME_TIMEOUT, first).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(missing(
                "the first frame must be a binary LiveAuth frame with the session token",
            ))
        }
        Err(_) => {
            return Err(missing(&format!(
                "no LiveAuth frame within {} s: send Authorization: Bearer TOKEN on the upgrade, or the token as the first frame",
                FIRST_FRAME_TIMEOUT.as_secs()
            )))
        }
    };
    let auth = LiveAuth::decode(&bytes).map_err(|_| {
        missing("the first frame must be a binary LiveAuth frame with the session token")
    })?;
    authenticate_token(state, journal, &auth.token).await
}
