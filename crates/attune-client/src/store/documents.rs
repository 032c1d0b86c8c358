//! Entry documents on disk, through [`super::packs`]: loading (merging the
//! copies a crash may leave in two places), listing, resolving typed ids,
//! and writing a batch of documents with their views and the manifest,
//! flushed to disk once.

use std::collections::BTreeSet;

use attune_core::{Entry, EntryDoc, EntryId};

use super::packs::file_name;
use super::Store;
use crate::dir::atomic as files;
use crate::dir::layout::MANIFEST_FILE;
use crate::dir::sealed::Purpose;
use crate::StoreError;

/// Own files moved into packs per durable batch by [`Store::pack_own_files`].
const PACK_MIGRATION_BATCH: usize = 4096;

impl Store {
    /// Load the entry document, or `None` if this device has never seen the entry.
    pub(super) fn load_doc(&self, id: EntryId) -> Result<Option<EntryDoc>, StoreError> {
        let saved = self.packs.saved(&self.sealer, id)?;
        let actor = self.config.actor();
        let path = self.packs.own_path(id);
        let mut copies = saved.copies.into_iter();
        let Some(first) = copies.next() else {
            return Ok(None);
        };
        let mut doc =
            EntryDoc::load(id, &first, &actor).map_err(|e| StoreError::damaged(&path, e))?;
        for other in copies {
            let other =
                EntryDoc::load(id, &other, &actor).map_err(|e| StoreError::damaged(&path, e))?;
            let changes = other.all_changes();
            doc.apply_changes(changes.iter().map(Vec::as_slice))?;
        }
        Ok(Some(doc))
    }

    /// Whether this device holds a document of entry `id`.
    pub(super) fn has_doc(&self, id: EntryId) -> Result<bool, StoreError> {
        self.packs.contains(&self.sealer, id)
    }

    /// Ids of every entry document on disk (an error names a pack that cannot be read).
    pub fn entry_ids(&self) -> Result<Vec<EntryId>, StoreError> {
        let (ids, damaged) = self.packs.ids(&self.sealer)?;
        match damaged.into_iter().next() {
            Some((path, reason)) => Err(StoreError::damaged(&path, reason)),
            None => Ok(ids),
        }
    }

    /// Every entry document as saved (compressed Automerge), decrypted: what a snapshot holds.
    pub fn export_docs(&self) -> Result<Vec<(EntryId, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for id in self.entry_ids()? {
            let mut saved = self.packs.saved(&self.sealer, id)?;
            match saved.copies.len() {
                0 => {}
                1 => out.extend(saved.copies.pop().map(|bytes| (id, bytes))),
                _ => out.extend(self.load_doc(id)?.map(|doc| (id, doc.save()))),
            }
        }
        Ok(out)
    }

    /// Turn what a writer typed (a full id or its first characters) into an entry id.
    pub fn resolve(&self, typed: &str) -> Result<EntryId, StoreError> {
        let prefix = typed.trim().to_lowercase();
        if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::NoSuchEntry(typed.to_string()));
        }
        let matches = self.packs.ids_with_prefix(&self.sealer, &prefix)?;
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(StoreError::NoSuchEntry(typed.to_string())),
            many => Err(StoreError::AmbiguousId {
                prefix: typed.to_string(),
                candidates: many.iter().map(|id| id.short()).collect(),
            }),
        }
    }

    /// Writes saved documents and their view rows, flushed to disk once for all files.
    pub(super) fn write_saved_docs_batched(
        &mut self,
        rows: Vec<(EntryId, Vec<u8>, Option<Entry>)>,
    ) -> Result<(), StoreError> {
        let mut touched = BTreeSet::new();
        self.load_manifest()?;
        let mut docs = Vec::with_capacity(rows.len());
        for (id, saved, entry) in rows {
            docs.push((id, saved));
            if let Some(entry) = entry {
                let month = entry.created.local_month();
                self.add_to_view(&month, entry)?;
                touched.insert(month);
            }
        }
        let staged = self.packs.stage(&self.sealer, docs)?;
        let mut files_out = staged.write;
        if let Some(manifest) = self.manifest.as_mut() {
            for (path, sealed) in &files_out {
                manifest.record(file_name(path), sealed);
            }
            for path in &staged.remove {
                manifest.forget(&file_name(path));
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
        if let Err(e) = files::write_atomic_batch(&files_out) {
            self.packs.forget();
            self.manifest = None;
            return Err(e);
        }
        // Their documents are in packs now, durably: a removal a crash loses
        // leaves two copies, which readers merge.
        for path in staged.remove {
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(StoreError::io(&path, e));
                }
            }
        }
        Ok(())
    }

    /// Move entry documents that have a file of their own but fit in a pack
    /// into their packs (a journal written before packs; ADR 0011), a durable
    /// batch at a time. Views and list rows are unchanged.
    pub(super) fn pack_own_files(&mut self) -> Result<(), StoreError> {
        let mut moved = 0;
        loop {
            let ids = self
                .packs
                .small_own_files(&self.sealer, PACK_MIGRATION_BATCH)?;
            let mut rows = Vec::with_capacity(ids.len());
            for id in &ids {
                // Merged with any copy already in the pack (a move a crash interrupted).
                if let Some(doc) = self.load_doc(*id)? {
                    rows.push((*id, doc.save(), None));
                }
            }
            if rows.is_empty() {
                break;
            }
            self.write_saved_docs_batched(rows)?;
            let mut moved_now = 0;
            for id in &ids {
                moved_now += usize::from(!self.packs.has_own(*id)?);
            }
            moved += moved_now;
            // Documents that stayed in their own files (grown large when
            // merged) end the move rather than loop.
            if moved_now == 0 {
                break;
            }
        }
        if moved > 0 {
            self.warnings.push(format!(
                "moved {moved} entries into packs (a one-time upgrade of how entries are stored); nothing was lost"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "packs_tests.rs"]
mod tests;
