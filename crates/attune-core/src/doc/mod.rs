//! One entry as an Automerge document: every mutation returns the change it made.
//!
//! Layout of the document root (keys are stable; values are numbers or text):
//!
//! | key | value |
//! |---|---|
//! | `v` | schema version (uint) |
//! | `kind` | [`EntryKind`] code (uint) |
//! | `created`, `created_tz` | UTC ms (int), local offset minutes (int) |
//! | `edited`, `edited_tz` | same, last edit |
//! | `body`, `notes` | Text (character-wise merge); a body created longer than 64 Ki characters: List of text blocks (`long_text.rs`) |
//! | `tags`, `people` | Map used as a set: key → `true` (concurrent add and remove: add wins) |
//! | `steadiness` | uint 1–5, absent when skipped |
//! | `fields` | Map: field key → Text, int, f64 or choice code (uint) |
//! | `deleted` | bool tombstone: hidden but kept, so concurrent edits survive and restore brings them back |
//!
//! Every text object (body, notes, every text field of the kind) is created in
//! the entry's first change, so concurrent edits never race to create the same
//! object (which would make one side's text lose).
//!
//! # Written by a newer Attune
//!
//! A document may hold a kind code or field values that a newer version of
//! Attune wrote. Reading never fails on them: the kind reads as
//! [`EntryKind::Newer`] and each value this build cannot read as
//! [`FieldValue::Newer`], so the writer still sees the body, notes, tags and
//! people. The document itself is never rewritten to fit this build: an edit
//! of such an entry ([`CoreError::NewerKind`]), or of such a field
//! ([`CoreError::NewerField`]), is refused. Fields of another kind this build
//! knows are left over from a change of kind and stay hidden, as before.

mod edit;
mod edit_since;
mod long_text;
mod read;
mod types;

use std::collections::BTreeSet;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, Change, LoadOptions, ObjType, ReadDoc, TextEncoding, ROOT};
use serde::{Deserialize, Serialize};

use crate::schema::{FieldType, SCHEMA_VERSION};
use crate::{CoreError, EntryId, EntryKind, FieldValue, Timestamp};

use edit::{check_steadiness, clean_label, put_scalar_field};
pub use types::{ApplyReport, Edit, EntryChange, NewEntry};

#[derive(Serialize, Deserialize)]
struct SavedEntry {
    v: u8,
    doc: Vec<u8>,
    pending: Vec<Vec<u8>>,
}

/// An entry's Automerge document plus the changes still waiting for their dependencies.
pub struct EntryDoc {
    id: EntryId,
    doc: Automerge,
    pending: Vec<Change>,
}

impl std::fmt::Debug for EntryDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryDoc")
            .field("id", &self.id)
            .field("pending", &self.pending.len())
            .finish()
    }
}

fn new_doc(actor: &[u8]) -> Automerge {
    Automerge::new_with_encoding(TextEncoding::UnicodeCodePoint).with_actor(ActorId::from(actor))
}

impl EntryDoc {
    /// Create a new entry and return the change that created it.
    ///
    /// `actor` identifies the writing device (the same bytes for every entry it writes).
    pub fn create(
        id: EntryId,
        actor: &[u8],
        now: Timestamp,
        new: NewEntry,
    ) -> Result<(EntryDoc, EntryChange), CoreError> {
        let kind = new.kind.unwrap_or(EntryKind::Note);
        if let EntryKind::Newer(code) = kind {
            return Err(CoreError::NewerKind { code });
        }
        check_steadiness(new.steadiness)?;
        for (key, value) in &new.fields {
            value.check(kind.field(key)?)?;
        }
        let mut doc = new_doc(actor);
        let mut tx = doc.transaction();
        tx.put(ROOT, "v", SCHEMA_VERSION)?;
        tx.put(ROOT, "id", id.to_string())?;
        tx.put(ROOT, "kind", kind.code())?;
        tx.put(ROOT, "created", now.unix_ms)?;
        tx.put(ROOT, "created_tz", i64::from(now.offset_minutes))?;
        tx.put(ROOT, "edited", now.unix_ms)?;
        tx.put(ROOT, "edited_tz", i64::from(now.offset_minutes))?;
        tx.put(ROOT, "deleted", false)?;
        if new.body.chars().count() > long_text::LONG_BODY_CHARS {
            let body = tx.put_object(ROOT, "body", ObjType::List)?;
            long_text::set_blocks(&mut tx, &body, &[], &new.body)?;
        } else {
            let body = tx.put_object(ROOT, "body", ObjType::Text)?;
            tx.splice_text(&body, 0, 0, &new.body)?;
        }
        let notes = tx.put_object(ROOT, "notes", ObjType::Text)?;
        tx.splice_text(&notes, 0, 0, &new.notes)?;
        let tags = tx.put_object(ROOT, "tags", ObjType::Map)?;
        for tag in new.tags.iter().filter_map(|t| clean_label(t)) {
            tx.put(&tags, tag, true)?;
        }
        let people = tx.put_object(ROOT, "people", ObjType::Map)?;
        for person in new.people.iter().filter_map(|p| clean_label(p)) {
            tx.put(&people, person, true)?;
        }
        if let Some(s) = new.steadiness {
            tx.put(ROOT, "steadiness", u64::from(s))?;
        }
        let fields = tx.put_object(ROOT, "fields", ObjType::Map)?;
        for spec in kind.fields() {
            if spec.ty == FieldType::Text {
                let obj = tx.put_object(&fields, spec.key, ObjType::Text)?;
                if let Some(FieldValue::Text(s)) = new.fields.get(spec.key) {
                    tx.splice_text(&obj, 0, 0, s)?;
                }
            } else if let Some(value) = new.fields.get(spec.key) {
                put_scalar_field(&mut tx, &fields, spec.key, value)?;
            }
        }
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(now.unix_ms / 1000));
        let mut entry = EntryDoc {
            id,
            doc,
            pending: Vec::new(),
        };
        let change = entry.change_bytes(hash)?;
        Ok((entry, change))
    }

    /// An empty document for an entry first heard of through sync.
    pub fn empty(id: EntryId, actor: &[u8]) -> EntryDoc {
        EntryDoc {
            id,
            doc: new_doc(actor),
            pending: Vec::new(),
        }
    }

    /// Load an entry saved with [`EntryDoc::save`].
    pub fn load(id: EntryId, bytes: &[u8], actor: &[u8]) -> Result<EntryDoc, CoreError> {
        let saved: SavedEntry =
            postcard::from_bytes(bytes).map_err(|e| CoreError::Corrupt(e.to_string()))?;
        if saved.v != 1 {
            return Err(CoreError::Corrupt(format!(
                "unsupported saved-entry version {}",
                saved.v
            )));
        }
        let doc = Automerge::load_with_options(
            &saved.doc,
            LoadOptions::new().text_encoding(TextEncoding::UnicodeCodePoint),
        )
        .map_err(|e| CoreError::Corrupt(e.to_string()))?
        .with_actor(ActorId::from(actor));
        let mut entry = EntryDoc {
            id,
            doc,
            pending: Vec::new(),
        };
        if !saved.pending.is_empty() {
            entry.apply_changes(saved.pending.iter().map(Vec::as_slice))?;
        }
        Ok(entry)
    }

    /// Save the document (compressed) and any changes still waiting.
    pub fn save(&self) -> Vec<u8> {
        let saved = SavedEntry {
            v: 1,
            doc: self.doc.save(),
            pending: self
                .pending
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect(),
        };
        // Serialising plain byte vectors into a Vec cannot fail.
        postcard::to_allocvec(&saved).unwrap_or_default()
    }

    /// The Automerge document inside bytes saved with [`EntryDoc::save`],
    /// without loading it (changes still waiting are left out).
    pub fn automerge_of_saved(bytes: &[u8]) -> Result<Vec<u8>, CoreError> {
        let saved: SavedEntry =
            postcard::from_bytes(bytes).map_err(|e| CoreError::Corrupt(e.to_string()))?;
        if saved.v != 1 {
            return Err(CoreError::Corrupt(format!(
                "unsupported saved-entry version {}",
                saved.v
            )));
        }
        Ok(saved.doc)
    }

    /// An entry from a document in Automerge's standard binary save format.
    pub fn load_automerge(id: EntryId, bytes: &[u8], actor: &[u8]) -> Result<EntryDoc, CoreError> {
        let doc = Automerge::load_with_options(
            bytes,
            LoadOptions::new().text_encoding(TextEncoding::UnicodeCodePoint),
        )
        .map_err(|e| CoreError::Corrupt(e.to_string()))?
        .with_actor(ActorId::from(actor));
        Ok(EntryDoc {
            id,
            doc,
            pending: Vec::new(),
        })
    }

    /// The entry's id.
    pub fn id(&self) -> EntryId {
        self.id
    }

    /// Apply changes received from other devices: idempotent and order-free.
    ///
    /// Duplicates are ignored; a change whose dependencies have not arrived
    /// waits (and is saved with the entry) until they do.
    pub fn apply_changes<'a>(
        &mut self,
        changes: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<ApplyReport, CoreError> {
        let mut report = ApplyReport::default();
        let mut incoming = Vec::new();
        for bytes in changes {
            let change = Change::from_bytes(bytes.to_vec())
                .map_err(|e| CoreError::BadChange(e.to_string()))?;
            if self.doc.get_change_meta_by_hash(&change.hash()).is_some() {
                report.duplicates += 1;
            } else {
                incoming.push(change);
            }
        }
        let new_hashes: BTreeSet<_> = incoming.iter().map(Change::hash).collect();
        let mut all = std::mem::take(&mut self.pending);
        all.retain(|c| !new_hashes.contains(&c.hash()));
        all.extend(incoming);
        // When every dependency is here or in the batch (a new device
        // catching up: hundreds of thousands), all apply: no copy is kept.
        let in_batch: BTreeSet<_> = all.iter().map(Change::hash).collect();
        let complete = all.iter().all(|c| {
            c.deps()
                .iter()
                .all(|d| in_batch.contains(d) || self.doc.get_change_meta_by_hash(d).is_some())
        });
        if complete {
            report.applied += new_hashes.len();
            self.doc.apply_changes(all)?;
            return Ok(report);
        }
        self.doc.apply_changes(all.clone())?;
        for change in all {
            if self.doc.get_change_meta_by_hash(&change.hash()).is_some() {
                if new_hashes.contains(&change.hash()) {
                    report.applied += 1;
                }
            } else {
                self.pending.push(change);
            }
        }
        report.waiting = self.pending.len();
        Ok(report)
    }

    /// Every change of this entry, oldest first (what a new device needs).
    pub fn all_changes(&self) -> Vec<Vec<u8>> {
        self.doc
            .get_changes(&[])
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    /// The document heads, to tell whether two replicas have seen the same changes.
    pub fn heads(&self) -> Vec<[u8; 32]> {
        let mut heads: Vec<[u8; 32]> = self.doc.get_heads().into_iter().map(|h| h.0).collect();
        heads.sort();
        heads
    }

    /// Changes waiting for dependencies that have not arrived.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    fn change_bytes(
        &mut self,
        hash: Option<automerge::ChangeHash>,
    ) -> Result<EntryChange, CoreError> {
        let change = hash
            .and_then(|h| self.doc.get_change_by_hash(&h))
            .ok_or_else(|| {
                CoreError::BadChange("the change just made could not be read back".into())
            })?;
        Ok(EntryChange {
            entry: self.id,
            bytes: change.raw_bytes().to_vec(),
        })
    }
}
