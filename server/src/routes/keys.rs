//! `GET`/`PUT …/keys`: journal keys wrapped to devices, opaque to the relay.

use attune_proto::{WrappedKeys, WIRE_VERSION};
use axum::extract::State;
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::rules::{check_key_bounds, check_keys_for};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::wire::Wire;

/// Stores wrapped keys for devices of the latest roster, for epochs up to its epoch.
///
/// Bounded: at most `max_keys_per_request` keys of at most
/// `max_wrapped_key_bytes` each, and new keys count against the journal's
/// quota in the transaction that stores them (over it: `507 quota_exceeded`).
///
/// Insert-only: a key identical to the stored one is accepted again, a
/// different one is refused (`409 key_exists`), so no member can replace
/// another device's key and lock it out. Keys of a new epoch come with the
/// roster version that raises it (`PUT …/roster`).
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
    check_key_bounds(&keys.keys, &state.config)?;
    check_keys_for(&roster, &keys.keys)?;
    state
        .storage
        .put_wrapped_keys_within(grant.journal, &keys.keys, state.config.journal_quota_bytes)
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
