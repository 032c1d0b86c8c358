//! Sealing the outbox's change records into envelopes, numbered on this
//! device's chain, written to disk before anything is pushed.

use std::fs;
use std::path::PathBuf;

use attune_crypto::seal_envelope;
use attune_proto::{DeviceSeq, Epoch};

use crate::dir::layout::KEYS_DIR;
use crate::sync::state::{ids, ChangeBatch, SyncState};
use crate::sync::SyncError;
use crate::{Store, StoreError};

/// Largest plaintext sealed into one envelope (the relay's default limit is 256 KiB).
const MAX_BATCH_BYTES: usize = 128 * 1024;

/// Seal the outbox's changes into envelopes on disk (before any push).
pub fn seal_outbox(store: &Store, state: &mut SyncState) -> Result<usize, SyncError> {
    let (journal, device) = ids(store)?;
    // A crash after writing an envelope but before saving the state: catch up.
    if let Some((_, last)) = store.outbox_envelopes()?.last() {
        if last.device_seq.0 >= state.next_seq {
            state.next_seq = last.device_seq.0 + 1;
            state.last_hash = last.hash();
            state.save(store)?;
        }
    }
    // Seal only under the epoch of the roster this device trusts (epoch 1, the
    // genesis's, before the first sync), with the key that roster commits to.
    let ring = store.keyring();
    let epoch = state.roster().map_or(Epoch(1), |r| r.epoch);
    if state.roster().is_some() && !store.holds_committed_key(epoch, &state.rosters) {
        // The next roster refresh fetches the key (or says why it cannot).
        return Ok(0);
    }
    let Some(key) = ring.get(epoch) else {
        return Err(StoreError::damaged(&store.dir().join(KEYS_DIR), "no journal key").into());
    };
    let pending = store.outbox_changes()?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut sealed = 0;
    let first_sealed = state.next_seq;
    let mut batch: Vec<attune_core::EntryChange> = Vec::new();
    let mut batch_files: Vec<PathBuf> = Vec::new();
    let mut batch_bytes = 0;
    let mut flush = |batch: &mut Vec<attune_core::EntryChange>,
                     batch_files: &mut Vec<PathBuf>,
                     state: &mut SyncState|
     -> Result<(), SyncError> {
        // An empty record (an announcement) still becomes an envelope.
        if batch.is_empty() && batch_files.is_empty() {
            return Ok(());
        }
        let mut plain = ChangeBatch::of(std::mem::take(batch), &store.config().device_name);
        plain.seen = state.chain.heads().map(|(d, seq)| (d, seq.0)).collect();
        plain.unreadable = state.unreadable.iter().copied().collect();
        plain.roster = state
            .roster()
            .map_or((0, [0; 32]), |r| (r.version, r.hash()));
        if state.resend_queued {
            plain.resent_from = first_sealed;
        }
        let plain = plain.encode();
        let env = seal_envelope(
            key,
            store.identity(),
            journal,
            device,
            epoch,
            DeviceSeq(state.next_seq),
            state.last_hash,
            &plain,
        )?;
        store.keep_envelope(&env)?;
        state.next_seq += 1;
        state.last_hash = env.hash();
        state.save(store)?;
        for f in batch_files.drain(..) {
            fs::remove_file(&f).map_err(|e| StoreError::io(&f, e))?;
        }
        sealed += 1;
        Ok(())
    };
    for (path, changes) in pending {
        let size: usize = changes.iter().map(|c| c.bytes.len() + 24).sum();
        if batch_bytes + size > MAX_BATCH_BYTES && !batch_files.is_empty() {
            flush(&mut batch, &mut batch_files, state)?;
            batch_bytes = 0;
        }
        batch.extend(changes);
        batch_files.push(path);
        batch_bytes += size;
    }
    flush(&mut batch, &mut batch_files, state)?;
    if sealed > 0 && state.resend_queued {
        state.resend.clear();
        state.resent_through = first_sealed;
        state.resend_queued = false;
        state.save(store)?;
    }
    Ok(sealed)
}
