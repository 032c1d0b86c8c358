//! Taking many entry documents at once (a snapshot, an import): each file
//! written atomically, all flushed to disk together.

use attune_core::{Entry, EntryDoc, EntryId};

use super::Store;
use crate::StoreError;

impl Store {
    /// Add many entry documents at once (imports, benchmarks): each document is
    /// written atomically, each month view once, all flushed to disk together.
    pub fn insert_docs(&mut self, docs: &[EntryDoc]) -> Result<(), StoreError> {
        self.write_docs_and_views(docs.iter()).map(|_| ())
    }

    /// Merge entry documents from a snapshot into this journal (idempotent, any order).
    ///
    /// An entry this device lacks is taken whole: its saved document as it
    /// came, and its view row from `entry` when given (so thousands of entries
    /// need no Automerge work); one it has receives the snapshot's changes it
    /// is missing. Every written file is durable when this returns, flushed
    /// once for the whole batch. Returns the number of entries written.
    pub fn merge_docs(
        &mut self,
        docs: Vec<(EntryId, Vec<u8>, Option<Entry>)>,
    ) -> Result<usize, StoreError> {
        let actor = self.config.actor();
        let damaged = |id: EntryId, e: &dyn std::fmt::Display| {
            StoreError::damaged(&self.dir.join("snapshot"), format!("entry {id}: {e}"))
        };
        let mut loaded = Vec::new();
        let mut taken = Vec::new();
        for (id, bytes, entry) in docs {
            if self.has_doc(id)? {
                let theirs = EntryDoc::load(id, &bytes, &actor).map_err(|e| damaged(id, &e))?;
                let Some(mut mine) = self.load_doc(id)? else {
                    continue;
                };
                let all = theirs.all_changes();
                let report = mine.apply_changes(all.iter().map(Vec::as_slice))?;
                if report.applied > 0 || report.waiting > 0 {
                    loaded.push(mine);
                }
                continue;
            }
            match entry.filter(|e| e.id == id) {
                Some(entry) => taken.push((id, bytes, Some(entry))),
                // No view row given: read it from the document.
                None => {
                    let doc = EntryDoc::load(id, &bytes, &actor).map_err(|e| damaged(id, &e))?;
                    let entry = doc.entry().ok();
                    taken.push((id, bytes, entry));
                }
            }
        }
        let n = loaded.len() + taken.len();
        let mut rows: Vec<(EntryId, Vec<u8>, Option<Entry>)> = loaded
            .iter()
            .map(|doc| (doc.id(), doc.save(), doc.entry().ok()))
            .collect();
        rows.extend(taken);
        self.write_saved_docs_batched(rows)?;
        Ok(n)
    }
}
