//! `GET`/`PUT …/roster`: the signed device roster.

use attune_proto::{RosterList, RosterUpdate, WIRE_VERSION};
use axum::extract::State;
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::rules::{
    check_epoch_room, check_key_bounds, check_keys_for, check_roster_bounds, check_update,
};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::wire::Wire;

/// Every roster version, oldest first.
pub async fn get_roster(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
) -> Result<Wire<RosterList>, ApiError> {
    let rosters = state.storage.rosters(grant.journal).await?;
    Ok(Wire(RosterList {
        v: WIRE_VERSION,
        rosters,
    }))
}

/// Appends the next roster version with the keys it brings, in one step.
///
/// The version must pass the roster rule ([`attune_roster::check_successor`])
/// against the latest stored one; every key must be wrapped to a device of the
/// new version, for an epoch up to its epoch, and may not replace a different
/// stored key. The version and its keys are bounded (`max_roster_bytes`,
/// `max_epochs_per_journal`, `max_keys_per_request`, `max_wrapped_key_bytes`)
/// and count against the journal's quota when stored. Then devices the version removes lose their sessions and live
/// connections here; other instances refuse them through storage.
pub async fn put_roster(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
    Wire(update): Wire<RosterUpdate>,
) -> Result<StatusCode, ApiError> {
    let latest = state
        .storage
        .latest_roster(grant.journal)
        .await?
        .ok_or(StorageError::UnknownJournal(grant.journal))?;
    let roster = update.roster;
    let config = &state.config;
    check_roster_bounds(&roster, config)?;
    check_key_bounds(&update.keys, config)?;
    check_epoch_room(&latest, &roster, config)?;
    check_update(&latest, &roster)?;
    check_keys_for(&roster, &update.keys)?;
    state
        .storage
        .append_roster_within(&roster, &update.keys, config.journal_quota_bytes)
        .await?;
    state.auth.revoke_missing(grant.journal, &roster);
    let closed = state
        .hub
        .devices()
        .close_removed(grant.journal, |d| roster.device(d).is_some());
    tracing::info!(journal_id = %grant.journal, version = roster.version, epoch = %roster.epoch,
        devices = roster.devices.len(), keys = update.keys.len(), live_closed = closed, "roster updated");
    Ok(StatusCode::NO_CONTENT)
}
