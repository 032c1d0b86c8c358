//! `GET`/`PUT …/snapshot` (the newest verified snapshot) and `POST …/compact`.
//!
//! The relay cannot open a snapshot, but before storing one it checks what it
//! can: the author is the authenticated device and a member of the latest
//! roster, the signature verifies, and the header's claims hold against stored
//! envelopes (see [`crate::storage::snapshot_plan`]). Compaction then deletes
//! only envelopes that such a verified snapshot covers.

use attune_proto::{
    CompactRequest, CompactResponse, ErrorCode, Snapshot, SnapshotResponse, SnapshotStored,
    WIRE_VERSION,
};
use axum::extract::State;
use axum::http::StatusCode;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::state::AppState;
use crate::storage::{check_snapshot, PreparedSnapshot, StorageError};
use crate::time::now_unix;
use crate::wire::Wire;

/// The newest snapshot, the head and how far the journal was compacted.
pub async fn get_snapshot(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
) -> Result<Wire<SnapshotResponse>, ApiError> {
    let stats = state
        .storage
        .journal_stats(grant.journal)
        .await?
        .ok_or(StorageError::UnknownJournal(grant.journal))?;
    let stored = state.storage.snapshot(grant.journal).await?;
    if let Some(stored) = &stored {
        metrics::counter!(crate::metrics::SNAPSHOT_BYTES_SERVED)
            .increment(stored.snapshot.ciphertext.len() as u64);
    }
    Ok(Wire(SnapshotResponse {
        v: WIRE_VERSION,
        snapshot: stored.map(|s| s.snapshot),
        head: stats.head,
        compacted_through: stats.compacted_through,
    }))
}

/// Verifies and stores a snapshot as the journal's newest.
pub async fn put_snapshot(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
    Wire(snapshot): Wire<Snapshot>,
) -> Result<Wire<SnapshotStored>, ApiError> {
    let header = &snapshot.header;
    if header.journal_id != grant.journal {
        return Err(ApiError::bad_request(
            ErrorCode::WrongJournal,
            format!(
                "the snapshot is for journal {}, not {}",
                header.journal_id, grant.journal
            ),
        ));
    }
    if header.device_id != grant.device {
        return Err(ApiError::forbidden(
            ErrorCode::WrongDevice,
            format!(
                "the snapshot was made by device {}, but this session is device {}",
                header.device_id, grant.device
            ),
        ));
    }
    if !header.covers_are_canonical() {
        return Err(ApiError::bad_request(
            ErrorCode::Malformed,
            "the snapshot's covers must be sorted by device, one per device, none at sequence 0",
        ));
    }
    let bytes = snapshot.encode();
    if bytes.len() > state.config.max_snapshot_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::SnapshotTooLarge,
            format!(
                "the snapshot is {} bytes; this relay accepts at most {}",
                bytes.len(),
                state.config.max_snapshot_bytes
            ),
        ));
    }
    let roster = state
        .storage
        .latest_roster(grant.journal)
        .await?
        .ok_or(StorageError::UnknownJournal(grant.journal))?;
    let member = roster.device(grant.device).ok_or_else(|| {
        ApiError::forbidden(
            ErrorCode::NotInRoster,
            "this device is not in the journal's roster",
        )
    })?;
    let key = VerifyingKey::from_bytes(&member.verifying_key).map_err(|_| {
        ApiError::forbidden(
            ErrorCode::NotInRoster,
            "this device's roster key is invalid",
        )
    })?;
    key.verify_strict(
        &snapshot.signed_digest(),
        &Signature::from_bytes(&snapshot.signature),
    )
    .map_err(|_| {
        ApiError::bad_request(
            ErrorCode::BadSignature,
            "the snapshot's signature does not verify with its author's key",
        )
    })?;

    let stats = state
        .storage
        .journal_stats(grant.journal)
        .await?
        .ok_or(StorageError::UnknownJournal(grant.journal))?;
    let previous = state.storage.snapshot(grant.journal).await?;
    let mut facts = state
        .storage
        .cover_facts(grant.journal, header.cursor, &header.covers)
        .await?;
    facts.seed = stats.reseeded;
    check_snapshot(
        header,
        previous.as_ref().map(|p| &p.snapshot.header),
        stats.head,
        &facts,
    )
    .map_err(|rejection| ApiError::conflict(rejection.code(), rejection.to_string()))?;
    let prepared = PreparedSnapshot {
        hash: *blake3::hash(&bytes).as_bytes(),
        cursor: header.cursor,
        bytes,
    };
    let swapped = state
        .storage
        .replace_snapshot(
            grant.journal,
            previous.map(|p| p.hash),
            &prepared,
            now_unix(),
        )
        .await?;
    if !swapped {
        return Err(ApiError::conflict(
            ErrorCode::StaleSnapshot,
            "another device stored a snapshot at the same moment; sync and try again",
        ));
    }
    metrics::counter!(crate::metrics::SNAPSHOTS_STORED).increment(1);
    tracing::info!(journal_id = %grant.journal, cursor = header.cursor.0,
        bytes = prepared.bytes.len(), "snapshot stored");
    Ok(Wire(SnapshotStored {
        v: WIRE_VERSION,
        hash: prepared.hash,
    }))
}

/// Deletes the envelopes the named (stored, verified) snapshot covers.
pub async fn compact(
    State(state): State<AppState>,
    Authenticated(grant): Authenticated,
    Wire(request): Wire<CompactRequest>,
) -> Result<Wire<CompactResponse>, ApiError> {
    let outcome = state
        .storage
        .compact(grant.journal, request.snapshot_hash)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::UnknownSnapshot,
                "that snapshot is not this journal's newest stored snapshot; upload it first",
            )
        })?;
    metrics::counter!(crate::metrics::ENVELOPES_COMPACTED).increment(outcome.deleted);
    tracing::info!(journal_id = %grant.journal, deleted = outcome.deleted,
        freed_bytes = outcome.freed_bytes, through = outcome.compacted_through.0, "compacted");
    Ok(Wire(CompactResponse {
        v: WIRE_VERSION,
        deleted: outcome.deleted,
        freed_bytes: outcome.freed_bytes,
        compacted_through: outcome.compacted_through,
    }))
}
