//! Sealing the outbox's change records into envelopes, numbered on this
//! device's chain, written to disk before anything is pushed.

use std::fs;
use std::path::PathBuf;

use attune_core::EntryChange;
use attune_crypto::{seal_envelope, JournalKey};
use attune_proto::{DeviceId, DeviceSeq, Epoch, JournalId};

use crate::dir::layout::KEYS_DIR;
use crate::sync::parts;
use crate::sync::state::{ids, ChangeBatch, SyncState};
use crate::sync::SyncError;
use crate::{Store, StoreError};

/// Changes packed into one batch (a longer change alone makes a batch, sent in parts).
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
    let mut sealer = Sealer {
        store,
        key,
        ids: (journal, device),
        epoch,
        first_sealed: state.next_seq,
        sealed: 0,
    };
    // Changes are packed into batches of about MAX_BATCH_BYTES (a record's
    // changes may span two); a record is removed once all its changes are in
    // envelopes on disk. A batch longer than one envelope goes in parts.
    let mut batch: Vec<EntryChange> = Vec::new();
    let mut done: Vec<PathBuf> = Vec::new();
    let mut batch_bytes = 0;
    for (path, changes) in pending {
        for change in changes {
            let size = change.bytes.len() + 24;
            if batch_bytes + size > MAX_BATCH_BYTES && !batch.is_empty() {
                sealer.flush(&mut batch, &mut done, state)?;
                batch_bytes = 0;
            }
            batch.push(change);
            batch_bytes += size;
        }
        done.push(path);
    }
    sealer.flush(&mut batch, &mut done, state)?;
    let (sealed, first_sealed) = (sealer.sealed, sealer.first_sealed);
    if sealed > 0 && state.resend_queued {
        state.resend.clear();
        state.resent_through = first_sealed;
        state.resend_queued = false;
        state.save(store)?;
    }
    Ok(sealed)
}

/// What every envelope of one sealing run shares.
struct Sealer<'a> {
    store: &'a Store,
    key: &'a JournalKey,
    ids: (JournalId, DeviceId),
    epoch: Epoch,
    /// The sequence number of the run's first envelope.
    first_sealed: u64,
    /// Envelopes sealed so far.
    sealed: usize,
}

impl Sealer<'_> {
    /// Seals `batch` (in parts if it is too long for one envelope), keeps its
    /// envelopes, then removes the records in `done`, all of whose changes are
    /// now in envelopes. A crash midway leaves the records: the next run seals
    /// their changes again from part 0 (receivers drop the unfinished batch).
    fn flush(
        &mut self,
        batch: &mut Vec<EntryChange>,
        done: &mut Vec<PathBuf>,
        state: &mut SyncState,
    ) -> Result<(), SyncError> {
        // An empty record (an announcement) still becomes an envelope.
        if batch.is_empty() && done.is_empty() {
            return Ok(());
        }
        let store = self.store;
        let mut plain = ChangeBatch::of(std::mem::take(batch), &store.config().device_name);
        plain.seen = state.chain.heads().map(|(d, seq)| (d, seq.0)).collect();
        plain.unreadable = state.unreadable.iter().copied().collect();
        plain.roster = state
            .roster()
            .map_or((0, [0; 32]), |r| (r.version, r.hash()));
        if state.resend_queued {
            plain.resent_from = self.first_sealed;
        }
        for part in parts::split(plain.encode()) {
            let env = seal_envelope(
                self.key,
                store.identity(),
                self.ids.0,
                self.ids.1,
                self.epoch,
                DeviceSeq(state.next_seq),
                state.last_hash,
                &part,
            )?;
            store.keep_envelope(&env)?;
            state.next_seq += 1;
            state.last_hash = env.hash();
            self.sealed += 1;
        }
        // A crash before this point is caught up from the envelopes kept.
        state.save(store)?;
        for f in done.drain(..) {
            fs::remove_file(&f).map_err(|e| StoreError::io(&f, e))?;
        }
        Ok(())
    }
}
