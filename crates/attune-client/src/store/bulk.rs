//! Many new entries written on this device at once (an import): one pending
//! record, every document and view flushed together, and the changes handed
//! to the outbox so they sync like any other entry written here.

use attune_core::{Entry, EntryChange, EntryId};

use super::Store;
use crate::StoreError;

impl Store {
    /// Save entry documents made on this device, already saved
    /// (`EntryDoc::save`) with their view rows (so callers can do the
    /// Automerge work on several threads), as one durable batch: `changes`
    /// are every change of those documents. A crash part-way is finished by
    /// the next open. Entries that already exist are the caller's to leave out.
    pub fn save_local_saved(
        &mut self,
        changes: Vec<EntryChange>,
        rows: Vec<(EntryId, Vec<u8>, Option<Entry>)>,
    ) -> Result<usize, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let n = rows.len();
        let pending = self.write_record(changes, true)?;
        self.write_saved_docs_batched(rows)?;
        if self.config.relay.is_some() {
            self.admit_to_outbox(&[pending])?;
        } else {
            std::fs::remove_file(&pending).map_err(|e| StoreError::io(&pending, e))?;
        }
        Ok(n)
    }
}
