//! `GET`/`PUT …/keys`: journal keys wrapped to devices, opaque to the relay.

use attune_proto::{WrappedKeys, WIRE_VERSION};
use axum::extract::State;
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::state::AppState;
use crate::storage::StorageError;
use crate::wire::Wire;

/// Stores (or replaces) wrapped keys for devices of the latest roster.
pub async fn put_keys(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
    Wire(keys): Wire<WrappedKeys>,
) -> Result<StatusCode, ApiError> {
    let roster = state
        .storage
        .latest_roster(grant.journal)
        .await?
        .ok_or(StorageError::UnknownJournal(grant.journal))?;
    if let Some(stranger) = keys
        .keys
        .iter()
        .find(|k| roster.device(k.device_id).is_none())
    {
        return Err(ApiError::bad_request(
            "unknown_device",
            format!(
                "device {} is not in the journal's latest roster",
                stranger.device_id
            ),
        ));
    }
    state
        .storage
        .put_wrapped_keys(grant.journal, &keys.keys)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The wrapped keys of the authenticated device.
pub async fn get_keys(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
) -> Result<Wire<WrappedKeys>, ApiError> {
    let keys = state
        .storage
        .wrapped_keys(grant.journal, grant.device)
        .await?;
    Ok(Wire(WrappedKeys {
        v: WIRE_VERSION,
        keys,
    }))
}
