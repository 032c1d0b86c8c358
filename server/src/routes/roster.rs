//! `GET`/`PUT …/roster`: the signed device roster.

use attune_proto::{Roster, RosterList, WIRE_VERSION};
use axum::extract::State;
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::rules::check_update;
use crate::state::AppState;
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

/// Appends the next roster version, signed by a device of the current one.
pub async fn put_roster(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
    Wire(roster): Wire<Roster>,
) -> Result<StatusCode, ApiError> {
    let latest = state
        .storage
        .latest_roster(grant.journal)
        .await?
        .ok_or(crate::storage::StorageError::UnknownJournal(grant.journal))?;
    check_update(&latest, &roster, grant.journal)?;
    state.storage.append_roster(&roster).await?;
    state.auth.revoke_missing(grant.journal, &roster);
    tracing::info!(journal_id = %grant.journal, version = roster.version, devices = roster.devices.len(), "roster updated");
    Ok(StatusCode::NO_CONTENT)
}
