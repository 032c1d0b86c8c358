//! `POST …/envelopes` (push) and `GET …/envelopes?after=N&limit=M` (pull).

use attune_proto::{ErrorCode, PullResponse, PushRequest, PushResponse, RelaySeq, WIRE_VERSION};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::auth::Grant;
use crate::config::{PULL_PAGE_DEFAULT, PULL_PAGE_MAX};
use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::state::AppState;
use crate::storage::{PendingPush, PreparedEnvelope, StorageError};
use crate::wire::Wire;

/// Stores envelopes of the authenticated device; answers after they are committed.
pub async fn push(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
    Wire(request): Wire<PushRequest>,
) -> Result<Wire<PushResponse>, ApiError> {
    accept_push(&state, grant, request).await.map(Wire)
}

/// Checks a push against the request-level rules and commits it through the group writer.
pub async fn accept_push(
    state: &AppState,
    grant: Grant,
    request: PushRequest,
) -> Result<PushResponse, ApiError> {
    let mut envelopes = Vec::with_capacity(request.envelopes.len());
    for envelope in request.envelopes {
        if envelope.v != WIRE_VERSION {
            return Err(ApiError::bad_request(
                ErrorCode::UnsupportedVersion,
                format!(
                    "envelope has wire version {}, this relay speaks {WIRE_VERSION}",
                    envelope.v
                ),
            ));
        }
        if envelope.journal_id != grant.journal {
            return Err(ApiError::bad_request(
                ErrorCode::WrongJournal,
                format!(
                    "envelope is for journal {}, not {}",
                    envelope.journal_id, grant.journal
                ),
            ));
        }
        if envelope.device_id != grant.device {
            return Err(ApiError::forbidden(
                ErrorCode::WrongDevice,
                format!(
                    "envelope is from device {}, but this session is device {}",
                    envelope.device_id, grant.device
                ),
            ));
        }
        let prepared = PreparedEnvelope::new(envelope);
        if prepared.bytes.len() > state.config.max_envelope_bytes {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::EnvelopeTooLarge,
                format!(
                    "envelope {} is {} bytes; this relay accepts at most {}",
                    prepared.envelope.device_seq,
                    prepared.bytes.len(),
                    state.config.max_envelope_bytes
                ),
            ));
        }
        envelopes.push(prepared);
    }
    if envelopes.is_empty() {
        return Ok(PushResponse {
            v: WIRE_VERSION,
            acks: Vec::new(),
        });
    }
    let count = envelopes.len();
    let pending = PendingPush {
        journal: grant.journal,
        device: grant.device,
        envelopes,
        quota_bytes: state.config.journal_quota_bytes,
    };
    let acked = state.writer.submit(pending).await??;
    tracing::debug!(envelopes = count, "push committed");
    Ok(PushResponse {
        v: WIRE_VERSION,
        acks: acked.into_iter().map(|a| a.ack).collect(),
    })
}

/// The query of a pull.
#[derive(Debug, Deserialize)]
pub struct PullQuery {
    /// Cursor: the last relay sequence the device has (default 0).
    pub after: Option<u64>,
    /// Page size (default 500, at most 1000).
    pub limit: Option<u32>,
}

/// A page of envelopes after a cursor, with the journal's head.
pub async fn pull(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Wire<PullResponse>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(
            ErrorCode::BadQuery,
            format!("{}; use ?after=N&limit=M with whole numbers", e.body_text()),
        )
    })?;
    let limit = match query.limit {
        None => PULL_PAGE_DEFAULT,
        Some(0) => {
            return Err(ApiError::bad_request(
                ErrorCode::BadQuery,
                "limit must be at least 1",
            ))
        }
        Some(n) => n.min(PULL_PAGE_MAX),
    };
    let page = pull_page(&state, grant, RelaySeq(query.after.unwrap_or(0)), limit).await?;
    Ok(Wire(page))
}

/// Reads one page after a cursor, with the head read first so the page never passes it.
pub async fn pull_page(
    state: &AppState,
    grant: Grant,
    after: RelaySeq,
    limit: u32,
) -> Result<PullResponse, ApiError> {
    let stats = state
        .storage
        .journal_stats(grant.journal)
        .await?
        .ok_or(StorageError::UnknownJournal(grant.journal))?;
    if after < stats.compacted_through {
        return Err(ApiError::new(
            StatusCode::GONE,
            ErrorCode::Compacted,
            format!(
                "envelopes up to #{} were compacted into the journal's snapshot; fetch the snapshot, then pull after its cursor",
                stats.compacted_through.0
            ),
        ));
    }
    // Pages are bounded in bytes as well as count, like request bodies.
    let mut envelopes = state
        .storage
        .envelopes_after(grant.journal, after, limit, state.config.max_body_bytes)
        .await?;
    // Envelopes committed after the head was read belong to the next page.
    envelopes.retain(|e| e.relay_seq <= stats.head);
    metrics::counter!(crate::metrics::ENVELOPES_SERVED).increment(envelopes.len() as u64);
    Ok(PullResponse {
        v: WIRE_VERSION,
        envelopes,
        head: stats.head,
    })
}
