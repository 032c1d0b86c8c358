//! Request extractors: the journal id of the path, the authenticated device,
//! the client as limits see it, and a slot for an unauthenticated request.

use std::net::IpAddr;

use attune_proto::{ErrorCode, JournalId};
use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Response};
use axum::response::IntoResponse;
use tokio::sync::OwnedSemaphorePermit;

use crate::auth::Grant;
use crate::error::ApiError;
use crate::state::AppState;

/// The `{jid}` of the path, parsed.
pub struct JournalPath(pub JournalId);

impl<S: Send + Sync> FromRequestParts<S> for JournalPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(ErrorCode::InvalidJournalId, e.body_text()))?;
        let journal: JournalId = text.parse().map_err(|_| {
            ApiError::bad_request(
                ErrorCode::InvalidJournalId,
                "the journal id must be 32 lowercase hex characters",
            )
        })?;
        tracing::Span::current().record("journal_id", tracing::field::display(journal));
        Ok(JournalPath(journal))
    }
}

/// A device authenticated by `Authorization: Bearer TOKEN` for the journal of the path.
pub struct Authenticated(pub Grant);

/// The bearer token of the `Authorization` header, if any.
pub fn header_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether the query string carries a `token` parameter: refused, since
/// proxies and access logs keep URLs (the value is never read).
pub fn token_in_url(parts: &Parts) -> bool {
    parts.uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair == "token" || pair.starts_with("token="))
    })
}

/// Authenticates a request by its `Authorization: Bearer` header (a live token
/// of a device still in the latest roster).
pub async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Grant, ApiError> {
    let JournalPath(journal) = JournalPath::from_request_parts(parts, state).await?;
    let token = header_token(parts).ok_or_else(|| {
        ApiError::unauthorized(
            ErrorCode::MissingToken,
            "send Authorization: Bearer TOKEN from a session",
        )
    })?;
    authenticate_token(state, journal, token).await
}

/// Checks `token` for `journal`, and that its device is still in the latest roster.
pub async fn authenticate_token(
    state: &AppState,
    journal: JournalId,
    token: &str,
) -> Result<Grant, ApiError> {
    let grant = state.auth.check_token(journal, token)?;
    tracing::Span::current().record("device_id", tracing::field::display(grant.device));
    // The token may predate the device's removal, made through any relay
    // instance sharing the database: the latest roster decides (one indexed read).
    if !state.storage.is_member(journal, grant.device).await? {
        state.auth.end_session(token);
        return Err(ApiError::forbidden(
            ErrorCode::NotInRoster,
            format!(
                "device {} is no longer in the journal's roster",
                grant.device
            ),
        ));
    }
    Ok(grant)
}

impl<S> FromRequestParts<S> for Authenticated
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        authenticate(parts, &state).await.map(Authenticated)
    }
}

/// One of the `max_unauthenticated` slots, held while an unauthenticated handler runs.
///
/// As the first argument of a handler it is taken before the body is read,
/// so a client trickling its body holds its slot (until the request timeout).
pub struct UnauthenticatedSlot(#[allow(dead_code)] OwnedSemaphorePermit);

impl FromRequestParts<AppState> for UnauthenticatedSlot {
    type Rejection = Response<Body>;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Response<Body>> {
        state
            .limits
            .unauthenticated_slot()
            .map(UnauthenticatedSlot)
            .map_err(|refusal| {
                let mut response = refusal.into_response();
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(1));
                response
            })
    }
}

/// The client of a request, as limits see it (None without a peer address).
pub struct Client(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(
            state.limits.client_of(&parts.headers, &parts.extensions),
        ))
    }
}
