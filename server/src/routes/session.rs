//! `POST …/challenge` and `POST …/session`: proving possession of a device key.

use attune_proto::{Challenge, ChallengeRequest, ErrorCode, Session, SessionRequest};
use axum::extract::State;
use axum::http::{Extensions, HeaderMap};

use crate::auth::Grant;
use crate::error::ApiError;
use crate::extract::{JournalPath, UnauthenticatedSlot};
use crate::rules::{check_auth_signature, check_genesis, check_roster_bounds};
use crate::state::AppState;
use crate::time::now_unix;
use crate::wire::Wire;

/// Issues a challenge to a device (the journal need not exist yet).
pub async fn challenge(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    JournalPath(journal): JournalPath,
    Wire(request): Wire<ChallengeRequest>,
) -> Result<Wire<Challenge>, ApiError> {
    tracing::Span::current().record("device_id", tracing::field::display(request.device_id));
    state
        .auth
        .issue_challenge(journal, request.device_id)
        .map(Wire)
}

/// Trades a signed challenge for a session; the first device also creates the journal.
///
/// Creating one is bounded: with `require_invite`, only with an accepted
/// invite in the `Attune-Invite` header (`403 invite_required` /
/// `invalid_invite`), and at most `max_journals_per_hour` per client address
/// (`429 too_many_journals`). Sessions of existing journals need neither.
pub async fn session(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    JournalPath(journal): JournalPath,
    headers: HeaderMap,
    extensions: Extensions,
    Wire(request): Wire<SessionRequest>,
) -> Result<Wire<Session>, ApiError> {
    let device = request.device_id;
    tracing::Span::current().record("device_id", tracing::field::display(device));
    state.auth.take_challenge(journal, device, &request.nonce)?;
    match state.storage.latest_roster(journal).await? {
        Some(roster) => {
            // The journal exists: any genesis sent along (a retried creation) is ignored.
            let member = roster.device(device).ok_or_else(|| {
                ApiError::forbidden(
                    ErrorCode::NotInRoster,
                    format!("device {device} is not in the journal's roster"),
                )
            })?;
            check_auth_signature(
                &member.verifying_key,
                journal,
                device,
                &request.nonce,
                &request.signature,
            )?;
        }
        None => {
            let genesis = request.genesis.as_ref().ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    ErrorCode::UnknownJournal,
                    format!("journal {journal} does not exist; the first device creates it by sending a genesis roster"),
                )
            })?;
            let creation = state.limits.journal_creation();
            creation.check_invite(&headers)?;
            let member = check_genesis(genesis, journal, device)?;
            check_roster_bounds(genesis, &state.config)?;
            check_auth_signature(
                &member.verifying_key,
                journal,
                device,
                &request.nonce,
                &request.signature,
            )?;
            // Counted only once the request could create the journal.
            creation.admit(state.limits.client_key_of(&headers, &extensions))?;
            state.storage.create_journal(genesis, now_unix()).await?;
            tracing::info!(journal_id = %journal, device_id = %device, "journal created");
        }
    }
    let session = state.auth.open_session(Grant { journal, device })?;
    Ok(Wire(session))
}
