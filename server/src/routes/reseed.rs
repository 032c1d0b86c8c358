//! `POST …/reseed`: a device re-creates a journal this relay does not hold.
//!
//! A relay that lost its data (or a new one a self-hoster moved to) knows
//! nothing of a journal its devices still hold. One of them sends what the
//! relay needs to serve it again: the whole signed roster chain and the
//! journal keys wrapped to the devices of its latest version (then, through
//! the usual routes, its envelopes and a snapshot). The relay checks the
//! chain with the roster rule every device applies, and the device's answer
//! to a challenge with the key the latest version gives it; nothing here can
//! make a device trust anything it has not verified itself.

use attune_proto::{ErrorCode, ReseedRequest, Session};
use axum::extract::State;
use axum::http::{Extensions, HeaderMap};

use crate::auth::Grant;
use crate::error::ApiError;
use crate::extract::{JournalPath, UnauthenticatedSlot};
use crate::rules::{
    check_auth_signature, check_key_bounds, check_keys_for, check_roster_bounds, roster_refusal,
};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::time::now_unix;
use crate::wire::Wire;

/// Re-creates the journal from the request's chain and keys, then opens a session.
///
/// Refused with `409 journal_exists` when the journal is here, and bounded
/// like a creation (`require_invite`, `max_journals_per_hour`), each roster
/// version like an append (`max_roster_bytes`, `max_epochs_per_journal`),
/// the keys like a key upload, and the whole request by `max_body_bytes`.
pub async fn reseed(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    JournalPath(journal): JournalPath,
    headers: HeaderMap,
    extensions: Extensions,
    Wire(request): Wire<ReseedRequest>,
) -> Result<Wire<Session>, ApiError> {
    let device = request.device_id;
    tracing::Span::current().record("device_id", tracing::field::display(device));
    state.auth.take_challenge(journal, device, &request.nonce)?;
    if state.storage.latest_roster(journal).await?.is_some() {
        return Err(StorageError::JournalExists(journal).into());
    }
    let config = &state.config;
    for roster in &request.rosters {
        check_roster_bounds(roster, config)?;
    }
    let latest = attune_roster::verify_chain(&request.rosters, journal).map_err(roster_refusal)?;
    let member = latest.device(device).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidReseed,
            "the re-seeding device must be in the latest roster version",
        )
    })?;
    check_auth_signature(
        &member.verifying_key,
        journal,
        device,
        &request.nonce,
        &request.signature,
    )?;
    check_key_bounds(&request.keys, config)?;
    check_keys_for(latest, &request.keys)?;
    let creation = state.limits.journal_creation();
    creation.check_invite(&headers)?;
    creation.admit(state.limits.client_key_of(&headers, &extensions))?;
    state
        .storage
        .reseed_journal(
            &request.rosters,
            &request.keys,
            now_unix(),
            config.journal_quota_bytes,
        )
        .await?;
    tracing::info!(journal_id = %journal, device_id = %device, versions = request.rosters.len(),
        keys = request.keys.len(), "journal re-seeded");
    let session = state.auth.open_session(Grant { journal, device })?;
    Ok(Wire(session))
}
