//! The outbox: the one owner of what waits to leave this device.
//!
//! Two kinds of file, one life cycle:
//!
//! 1. A change written here is in `outbox/<n>.chg` (a sealed change record)
//!    **before** the writer is told it is saved: the store saves it in
//!    `pending/` first and hands the record over with [`Store::admit_to_outbox`].
//! 2. Sync seals records into envelopes ([`seal`]): each envelope is written
//!    to `outbox/envelopes/<seq>.env` and only then are its records deleted,
//!    so a crash re-pushes the same bytes rather than sealing twice.
//! 3. An envelope file is deleted only after the relay acknowledged its
//!    commit ([`Store::ack_envelopes`]).

use std::fs;
use std::path::{Path, PathBuf};

use attune_core::EntryChange;
use attune_proto::{DeviceSeq, Envelope};

use crate::dir::atomic as files;
use crate::dir::layout::{self, ENVELOPE_EXT, OUTBOX_DIR, RECORD_EXT};
use crate::{Store, StoreError};

mod seal;

pub use seal::seal_outbox;

impl Store {
    /// Move change records just saved in `pending/` into the outbox (durably).
    pub(crate) fn admit_to_outbox(&self, records: &[PathBuf]) -> Result<(), StoreError> {
        let outbox = self.dir().join(OUTBOX_DIR);
        files::create_private_dir(&outbox)?;
        for record in records {
            let target = outbox.join(record.file_name().unwrap_or_default());
            fs::rename(record, &target).map_err(|e| StoreError::io(&target, e))?;
        }
        files::sync_dir(&outbox).map_err(|e| StoreError::io(&outbox, e))
    }

    /// Changes written here and not yet sealed for the relay, oldest first, with their files.
    pub fn outbox_changes(&self) -> Result<Vec<(PathBuf, Vec<EntryChange>)>, StoreError> {
        let mut out = Vec::new();
        for path in files::list(&self.dir().join(OUTBOX_DIR), RECORD_EXT)? {
            let record = self
                .read_record(&path)
                .map_err(|reason| StoreError::damaged(&path, reason))?;
            out.push((path, record.changes));
        }
        Ok(out)
    }

    /// Put every change of the journal in the outbox (a journal that starts syncing).
    pub fn queue_history_for_sync(&mut self) -> Result<usize, StoreError> {
        self.queue_own_history_for_sync()
    }

    /// Put every change this device wrote in the outbox again: other devices
    /// accept changes only from their author, and apply each at most once.
    /// Used when a journal starts syncing, and when the relay serves one of
    /// this device's envelopes damaged.
    pub fn queue_own_history_for_sync(&mut self) -> Result<usize, StoreError> {
        let actor = self.config().actor();
        let changes: Vec<EntryChange> = self
            .all_changes()?
            .into_iter()
            .filter(|c| c.author().is_ok_and(|a| a == actor))
            .collect();
        let records = changes
            .chunks(64)
            .map(|chunk| self.write_record(chunk.to_vec(), true))
            .collect::<Result<Vec<_>, _>>()?;
        self.admit_to_outbox(&records)?;
        Ok(changes.len())
    }

    /// Queue an empty batch for the relay, so that the other devices hear from
    /// this one (its new name, say) even when nothing was written.
    pub fn queue_announcement(&mut self) -> Result<(), StoreError> {
        if self.config().relay.is_none() {
            return Ok(());
        }
        let record = self.write_record(Vec::new(), true)?;
        self.admit_to_outbox(&[record])
    }

    /// Sealed envelopes waiting for an acknowledgement, in device-sequence order.
    pub fn outbox_envelopes(&self) -> Result<Vec<(PathBuf, Envelope)>, StoreError> {
        let mut out = Vec::new();
        for path in files::list(&layout::envelopes_dir(self.dir()), ENVELOPE_EXT)? {
            let bytes = files::read(&path)?;
            let env = Envelope::decode(&bytes).map_err(|e| StoreError::damaged(&path, e))?;
            out.push((path, env));
        }
        Ok(out)
    }

    /// The file of this device's envelope `seq` while it waits for its ack.
    fn envelope_file(&self, seq: DeviceSeq) -> PathBuf {
        layout::envelopes_dir(self.dir()).join(format!("{:020}.{ENVELOPE_EXT}", seq.0))
    }

    /// Keep a sealed envelope until the relay acknowledges it.
    pub(crate) fn keep_envelope(&self, env: &Envelope) -> Result<(), StoreError> {
        files::create_private_dir(&layout::envelopes_dir(self.dir()))?;
        files::write_atomic(&self.envelope_file(env.device_seq), &env.encode())
    }

    /// Delete the outbox's envelopes at these sequence numbers (the relay
    /// stored them, or a verified snapshot covers them); how many there were.
    pub(crate) fn ack_envelopes(&self, acked: &[DeviceSeq]) -> Result<usize, StoreError> {
        let mut removed = 0;
        for seq in acked {
            let path = self.envelope_file(*seq);
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&path, e)),
            }
        }
        Ok(removed)
    }

    /// How many change records and sealed envelopes wait to be pushed.
    pub fn pending_counts(&self) -> Result<(usize, usize), StoreError> {
        Ok((self.outbox_changes()?.len(), self.outbox_envelopes()?.len()))
    }
}

/// Whether the outbox holds anything, checked without taking the journal lock.
pub fn has_work(journal_dir: &Path) -> bool {
    has_changes_to_seal(journal_dir) || any_file(&layout::envelopes_dir(journal_dir), ENVELOPE_EXT)
}

/// Whether change records wait to be sealed (a directory listing, nothing opened).
pub fn has_changes_to_seal(journal_dir: &Path) -> bool {
    any_file(&journal_dir.join(OUTBOX_DIR), RECORD_EXT)
}

fn any_file(dir: &Path, ext: &str) -> bool {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().and_then(|x| x.to_str()) == Some(ext))
        })
        .unwrap_or(false)
}
