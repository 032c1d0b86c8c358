//! Saving entries so that nothing the writer was told is saved can be lost.
//!
//! A mutation is saved in this order: the change goes to `pending/` (fsync),
//! then the entry document, then its month view, then the pending record is
//! removed (or, for a change written here while sync is on, handed to the
//! [outbox](crate::outbox)). A crash at any point leaves a pending record
//! that the next open replays (applying a change twice is harmless), so
//! nothing acknowledged is lost and views never stay stale.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use attune_core::{ApplyReport, Edit, Entry, EntryChange, EntryDoc, EntryId, NewEntry, Timestamp};
use serde::{Deserialize, Serialize};

use super::{now_ms, random_hex16, Store};
use crate::dir::atomic as files;
use crate::dir::layout::{PENDING_DIR, RECORD_EXT};
use crate::dir::sealed::Purpose;
use crate::StoreError;

/// Where changes being saved come from: it decides what makes them durable first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Written on this device: a pending record, then the outbox.
    Local,
    /// From other devices, given by a caller that cannot fetch them again: a pending record.
    Received,
    /// Served by the relay until the cursor passes them: no record.
    Relayed,
}

/// A sealed change record (`pending/<n>.chg`, `outbox/<n>.chg`).
#[derive(Serialize, Deserialize)]
pub(crate) struct ChangeRecord {
    v: u8,
    /// Written on this device (goes to the outbox) rather than received.
    pub local: bool,
    pub changes: Vec<EntryChange>,
}

impl Store {
    /// Write a new entry; it is on disk when this returns.
    pub fn create(&mut self, now: Timestamp, new: NewEntry) -> Result<Entry, StoreError> {
        let id = EntryId(attune_crypto::random_bytes::<16>());
        let (doc, change) = EntryDoc::create(id, &self.config.actor(), now, new)?;
        self.persist(vec![(doc, vec![change])], Origin::Local)?
            .into_iter()
            .next()
            .ok_or(StoreError::NoSuchEntry(id.to_string()))
    }

    /// Apply one edit action to an entry; returns the entry as it reads now.
    pub fn edit(
        &mut self,
        id: EntryId,
        now: Timestamp,
        edits: &[Edit],
    ) -> Result<Entry, StoreError> {
        // No version: the edit applies to the entry as it reads now.
        self.edit_since(id, &[], now, edits)
    }

    /// The version an editor saw: the entry document's heads, for [`Store::edit_since`].
    pub fn entry_version(&self, id: EntryId) -> Result<Vec<[u8; 32]>, StoreError> {
        Ok(self
            .load_doc(id)?
            .ok_or_else(|| StoreError::NoSuchEntry(id.to_string()))?
            .heads())
    }

    /// Apply edits made in an editor that showed the entry at `version`, so that
    /// they merge with changes that arrived meanwhile (see [`EntryDoc::edit_since`]).
    pub fn edit_since(
        &mut self,
        id: EntryId,
        version: &[[u8; 32]],
        now: Timestamp,
        edits: &[Edit],
    ) -> Result<Entry, StoreError> {
        let mut doc = self
            .load_doc(id)?
            .ok_or_else(|| StoreError::NoSuchEntry(id.to_string()))?;
        match doc.edit_since(version, now, edits)? {
            Some(change) => self
                .persist(vec![(doc, vec![change])], Origin::Local)?
                .into_iter()
                .next()
                .ok_or(StoreError::NoSuchEntry(id.to_string())),
            None => Ok(doc.entry()?),
        }
    }

    /// Apply changes from other devices (idempotent, any order). Durable when this returns.
    pub fn apply_changes(&mut self, changes: Vec<EntryChange>) -> Result<ApplyReport, StoreError> {
        self.apply_changes_inner(changes, false, Origin::Received)
    }

    /// Apply changes a relay served, which it serves again until this
    /// device's cursor passes them (the cursor moves only after this returns):
    /// the relay's copy stands in for the pending record, one durable write
    /// fewer per received batch. A document whose changes are all known is
    /// saved again with its list row, since a crash may have published one
    /// before the other.
    pub fn apply_relayed_changes(
        &mut self,
        changes: Vec<EntryChange>,
    ) -> Result<ApplyReport, StoreError> {
        self.apply_changes_inner(changes, false, Origin::Relayed)
    }

    /// `rewrite`: save documents and views even when no change is new (crash replay:
    /// the document may be saved while its view is not).
    fn apply_changes_inner(
        &mut self,
        changes: Vec<EntryChange>,
        rewrite: bool,
        origin: Origin,
    ) -> Result<ApplyReport, StoreError> {
        let mut by_entry: BTreeMap<EntryId, Vec<EntryChange>> = BTreeMap::new();
        for c in changes {
            by_entry.entry(c.entry).or_default().push(c);
        }
        let mut total = ApplyReport::default();
        let mut batch = Vec::new();
        let mut loaded = Vec::with_capacity(by_entry.len());
        for (id, changes) in by_entry {
            let doc = match self.load_doc(id)? {
                Some(doc) => doc,
                None => EntryDoc::empty(id, &self.config.actor()),
            };
            loaded.push((doc, changes));
        }
        // Entries are independent: a large batch (a new device catching up)
        // is applied on every core.
        let applied = super::parallel::map(loaded, |(mut doc, changes)| {
            let report = doc.apply_changes(changes.iter().map(|c| c.bytes.as_slice()));
            report.map(|report| (doc, changes, report))
        });
        for result in applied {
            let (doc, changes, report) = result?;
            total.applied += report.applied;
            total.duplicates += report.duplicates;
            total.waiting += report.waiting;
            let again = origin == Origin::Relayed && report.duplicates > 0;
            if rewrite || again || report.applied > 0 || report.waiting > 0 {
                batch.push((doc, changes));
            }
        }
        self.persist(batch, origin)?;
        Ok(total)
    }

    /// Every change of every entry (what a device that has never synced must send).
    pub fn all_changes(&self) -> Result<Vec<EntryChange>, StoreError> {
        let mut out = Vec::new();
        for id in self.entry_ids()? {
            if let Some(doc) = self.load_doc(id)? {
                out.extend(
                    doc.all_changes()
                        .into_iter()
                        .map(|bytes| EntryChange { entry: id, bytes }),
                );
            }
        }
        Ok(out)
    }

    /// Save changed documents: pending record, documents, views, then drop the record.
    ///
    /// Changes made on this device: when sync is on, their record moves to
    /// the outbox instead of being removed, so sync ships exactly them.
    /// Relayed changes need no record (see [`Store::apply_relayed_changes`]).
    fn persist(
        &mut self,
        batch: Vec<(EntryDoc, Vec<EntryChange>)>,
        origin: Origin,
    ) -> Result<Vec<Entry>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        if origin == Origin::Relayed {
            return self.write_docs_and_views(batch.iter().map(|(doc, _)| doc));
        }
        let local = origin == Origin::Local;
        let changes: Vec<EntryChange> = batch.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        let pending_path = self.write_record(changes, local)?;
        let entries = self.write_docs_and_views(batch.iter().map(|(doc, _)| doc))?;
        if local && self.config.relay.is_some() {
            self.admit_to_outbox(&[pending_path])?;
        } else {
            fs::remove_file(&pending_path).map_err(|e| StoreError::io(&pending_path, e))?;
        }
        Ok(entries)
    }

    /// Open a sealed change record (in `pending/` or the outbox).
    pub(crate) fn read_record(&self, path: &Path) -> Result<ChangeRecord, String> {
        let name = files::stem(path);
        files::read(path)
            .and_then(|b| self.sealer.open(path, Purpose::Record, &name, &b))
            .map_err(|e| e.to_string())
            .and_then(|plain| postcard::from_bytes(&plain).map_err(|e| e.to_string()))
    }

    /// Durably record changes about to be saved in `pending/`; the next open
    /// replays them if we crash.
    pub(crate) fn write_record(
        &self,
        changes: Vec<EntryChange>,
        local: bool,
    ) -> Result<PathBuf, StoreError> {
        let record = ChangeRecord {
            v: 1,
            local,
            changes,
        };
        // Names sort by time so that replay keeps the original order.
        let name = format!("{:016x}{}", now_ms(), &random_hex16()[..8]);
        let path = self
            .dir
            .join(PENDING_DIR)
            .join(format!("{name}.{RECORD_EXT}"));
        let plain = postcard::to_allocvec(&record).map_err(|e| StoreError::damaged(&path, e))?;
        self.sealer.write(&path, Purpose::Record, &name, &plain)?;
        Ok(path)
    }

    /// Test hook: save a new entry only as far as the pending record, as if the
    /// process were killed right after the writer was told it was saved.
    #[doc(hidden)]
    pub fn create_then_crash(
        &mut self,
        now: Timestamp,
        new: NewEntry,
    ) -> Result<EntryId, StoreError> {
        let id = EntryId(attune_crypto::random_bytes::<16>());
        let (_, change) = EntryDoc::create(id, &self.config.actor(), now, new)?;
        self.write_record(vec![change], true)?;
        Ok(id)
    }

    /// Writes the documents, their month views and the manifest: each file
    /// atomically, all made durable by one flush (the pending record, already
    /// durable, is what a crash part-way replays).
    pub(super) fn write_docs_and_views<'a>(
        &mut self,
        docs: impl Iterator<Item = &'a EntryDoc>,
    ) -> Result<Vec<Entry>, StoreError> {
        // An entry whose first change has not arrived yet has nothing to show.
        let docs: Vec<&EntryDoc> = docs.collect();
        let rows: Vec<(EntryId, Vec<u8>, Option<Entry>)> =
            super::parallel::map(docs, |doc| (doc.id(), doc.save(), doc.entry().ok()));
        let shown = rows.iter().filter_map(|(_, _, e)| e.clone()).collect();
        self.write_saved_docs_batched(rows)?;
        Ok(shown)
    }

    /// Finish saving what a crash interrupted (records left in `pending/`).
    pub(super) fn replay_pending(&mut self) -> Result<(), StoreError> {
        for path in files::list(&self.dir.join(PENDING_DIR), RECORD_EXT)? {
            match self.read_record(&path) {
                Ok(record) => {
                    let n = record.changes.len();
                    let origin = if record.local {
                        Origin::Local
                    } else {
                        Origin::Received
                    };
                    self.apply_changes_inner(record.changes, true, origin)?;
                    self.warnings.push(format!(
                        "finished saving {n} change(s) interrupted by an earlier crash"
                    ));
                }
                Err(reason) => {
                    // Written atomically, so a damaged record was tampered with or
                    // torn by the disk; set it aside rather than lose it.
                    let aside = path.with_extension("damaged");
                    let _ = fs::rename(&path, &aside);
                    self.warnings.push(format!(
                        "{} could not be read ({reason}); it was set aside as {}",
                        path.display(),
                        aside.display()
                    ));
                    continue;
                }
            }
            fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        }
        Ok(())
    }
}
