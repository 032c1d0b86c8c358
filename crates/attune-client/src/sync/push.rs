//! Pushing sealed envelopes; each leaves the outbox only once acknowledged.

use std::path::PathBuf;
use std::time::Duration;

use attune_proto::{DeviceSeq, Envelope, ErrorCode};

use crate::sync::relay::RelayClient;
use crate::sync::state::{ids, SyncState};
use crate::sync::SyncError;
use crate::Store;

/// Envelopes per push request.
const PUSH_CHUNK: usize = 100;
/// Bytes per push request (the relay's default body limit is 1 MiB).
const PUSH_BYTES: usize = 768 * 1024;

/// Push sealed envelopes; each file is deleted only after the relay acknowledged it.
pub async fn push_outbox(client: &RelayClient, store: &Store) -> Result<usize, SyncError> {
    let mut pushed = 0;
    loop {
        let waiting = store.outbox_envelopes()?;
        if waiting.is_empty() {
            return Ok(pushed);
        }
        let chunk = push_chunk(waiting);
        let envelopes: Vec<Envelope> = chunk.iter().map(|(_, e)| e.clone()).collect();
        let first = envelopes.first().map(|e| e.device_seq.0).unwrap_or(0);
        let resp = match push_with_retry(client, envelopes).await {
            Ok(r) => r,
            Err(SyncError::Refused { code, message, .. })
                if matches!(code, ErrorCode::OutOfOrder | ErrorCode::SeqConflict) =>
            {
                // Acknowledged once (the ack was lost), then compacted into a
                // snapshot: the relay no longer holds it to compare, but the
                // snapshot covers it, so it is delivered.
                if code == ErrorCode::OutOfOrder && drop_covered(client, store, &chunk).await? {
                    continue;
                }
                return Err(SyncError::StaleDevice(format!(
                    "the relay refused envelope {first}: {message}"
                )));
            }
            Err(e) => return Err(e),
        };
        let acked: Vec<DeviceSeq> = resp.acks.iter().map(|a| a.device_seq).collect();
        pushed += store.ack_envelopes(&acked)?;
        if resp.acks.is_empty() {
            return Ok(pushed);
        }
    }
}

/// Removes from the outbox the envelopes the relay's snapshot covers (they
/// were stored, then compacted); whether any were.
async fn drop_covered(
    client: &RelayClient,
    store: &Store,
    chunk: &[(PathBuf, Envelope)],
) -> Result<bool, SyncError> {
    let (journal, device) = ids(store)?;
    let Some(snapshot) = client.snapshot().await?.snapshot else {
        return Ok(false);
    };
    // Only a member's verified word counts, never the relay's.
    let state = SyncState::load(store)?;
    attune_crypto::open_snapshot(&snapshot, &state.rosters, &store.keyring(), journal)?;
    let covered = snapshot.header.covered(device);
    let seqs: Vec<DeviceSeq> = chunk
        .iter()
        .map(|(_, env)| env.device_seq)
        .filter(|seq| *seq <= covered)
        .collect();
    Ok(store.ack_envelopes(&seqs)? > 0)
}

/// The next envelopes to push in one request: at most [`PUSH_CHUNK`] of them
/// and [`PUSH_BYTES`] of encoding (always at least one).
pub(super) fn push_chunk(waiting: Vec<(PathBuf, Envelope)>) -> Vec<(PathBuf, Envelope)> {
    let mut bytes = 0;
    let mut chunk = Vec::new();
    for (path, env) in waiting.into_iter().take(PUSH_CHUNK) {
        bytes += env.ciphertext.len() + 256;
        if bytes > PUSH_BYTES && !chunk.is_empty() {
            break;
        }
        chunk.push((path, env));
    }
    chunk
}

/// Push, retrying transient network failures with backoff (0.25 s, 0.5 s, 1 s, 2 s).
///
/// Safe to repeat: the relay answers a re-push of stored envelopes with the
/// same acknowledgement.
async fn push_with_retry(
    client: &RelayClient,
    envelopes: Vec<Envelope>,
) -> Result<attune_proto::PushResponse, SyncError> {
    let mut delay = Duration::from_millis(250);
    for _ in 0..4 {
        match client.push(envelopes.clone()).await {
            Err(SyncError::Network(_)) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    client.push(envelopes).await
}
