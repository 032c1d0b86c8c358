//! The plain types an entry document takes and gives: new entries, edits, changes, reports.

use std::collections::{BTreeMap, BTreeSet};

use automerge::Change;
use serde::{Deserialize, Serialize};

use crate::{CoreError, EntryId, EntryKind, FieldValue};

/// The bytes of one Automerge change made to one entry: exactly what sync ships.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChange {
    /// The entry the change belongs to.
    pub entry: EntryId,
    /// The raw Automerge change.
    pub bytes: Vec<u8>,
}

impl EntryChange {
    /// The author (Automerge actor) of this change, after checking that it parses.
    ///
    /// Receivers check it against the device that sent the change, so a
    /// device can only ever deliver changes it wrote itself.
    pub fn author(&self) -> Result<Vec<u8>, CoreError> {
        let change = Change::from_bytes(self.bytes.clone())
            .map_err(|e| CoreError::BadChange(e.to_string()))?;
        Ok(change.actor_id().to_bytes().to_vec())
    }
}

/// What a new entry starts with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewEntry {
    /// The kind; defaults to a plain note.
    pub kind: Option<EntryKind>,
    /// Free text.
    pub body: String,
    /// Notes.
    pub notes: String,
    /// Tags.
    pub tags: BTreeSet<String>,
    /// People.
    pub people: BTreeSet<String>,
    /// 1–5 steadiness.
    pub steadiness: Option<u8>,
    /// Kind-specific fields.
    pub fields: BTreeMap<String, FieldValue>,
}

/// One edit a writer makes; several edits of one action become one change.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Set or clear (`None`) a kind-specific field.
    SetField(String, Option<FieldValue>),
    /// Replace the body, keeping unchanged characters (a minimal diff, so it merges well).
    SetBody(String),
    /// Insert and/or delete characters of the body at a position (in characters).
    SpliceBody {
        /// Position in characters.
        pos: usize,
        /// Characters to delete.
        delete: usize,
        /// Text to insert.
        insert: String,
    },
    /// Replace the notes (minimal diff).
    SetNotes(String),
    /// Add a tag.
    AddTag(String),
    /// Remove a tag.
    RemoveTag(String),
    /// Add a person.
    AddPerson(String),
    /// Remove a person.
    RemovePerson(String),
    /// Set or clear the 1–5 steadiness.
    SetSteadiness(Option<u8>),
    /// Change the kind (fields of the old kind are kept but no longer shown).
    SetKind(EntryKind),
    /// Hide the entry (a tombstone: nothing is erased).
    Delete,
    /// Bring a deleted entry back, with every edit made meanwhile.
    Restore,
}

/// The outcome of applying received changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Changes that were new and are now part of the entry.
    pub applied: usize,
    /// Changes that were already there (ignored).
    pub duplicates: usize,
    /// Changes waiting for earlier changes they depend on.
    pub waiting: usize,
}
