//! Taking many entry documents at once (a snapshot, an import): each file
//! written atomically, all flushed to disk together.

use std::collections::BTreeSet;

use attune_core::{Entry, EntryDoc, EntryId};

use super::Store;
use crate::dir::atomic as files;
use crate::dir::layout::MANIFEST_FILE;
use crate::dir::sealed::Purpose;
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
            if self.entry_path(id).exists() {
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

    /// Writes saved documents and their view rows, flushed to disk once for all files.
    pub(super) fn write_saved_docs_batched(
        &mut self,
        rows: Vec<(EntryId, Vec<u8>, Option<Entry>)>,
    ) -> Result<(), StoreError> {
        let mut files_out = Vec::with_capacity(rows.len());
        let mut touched = BTreeSet::new();
        self.load_manifest()?;
        for (id, saved, entry) in rows {
            let sealed = self.sealer.seal(Purpose::Entry, &id.to_string(), &saved)?;
            if let Some(manifest) = self.manifest.as_mut() {
                manifest.record(id, &sealed);
            }
            files_out.push((self.entry_path(id), sealed));
            if let Some(entry) = entry {
                let month = entry.created.local_month();
                self.add_to_view(&month, entry)?;
                touched.insert(month);
            }
        }
        for month in touched {
            if let Some(view) = self.sealed_view(&month)? {
                files_out.push(view);
            }
        }
        if let Some(manifest) = &self.manifest {
            files_out.push((
                self.dir.join(MANIFEST_FILE),
                self.sealer
                    .seal(Purpose::State, MANIFEST_FILE, &manifest.encode())?,
            ));
        }
        files::write_atomic_batch(&files_out)
    }
}
