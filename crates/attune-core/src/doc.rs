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
//! | `body`, `notes` | Text (character-wise merge) |
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

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, Automerge, Change, LoadOptions, ObjId, ObjType, ReadDoc, ScalarValue, TextEncoding,
    Value, ROOT,
};
use serde::{Deserialize, Serialize};

use crate::schema::{is_field_of_any_kind, FieldSpec, FieldType, SCHEMA_VERSION};
use crate::{CoreError, Entry, EntryId, EntryKind, FieldValue, Timestamp};

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

fn text_obj(doc: &impl ReadDoc, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(ObjType::Text), id))) => Some(id),
        _ => None,
    }
}

fn map_obj(doc: &impl ReadDoc, key: &str) -> Option<ObjId> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

fn scalar(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

fn as_i64(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int(n) => Some(*n),
        ScalarValue::Uint(n) => i64::try_from(*n).ok(),
        ScalarValue::Timestamp(n) => Some(*n),
        _ => None,
    }
}

fn as_u64(v: &ScalarValue) -> Option<u64> {
    match v {
        ScalarValue::Uint(n) => Some(*n),
        ScalarValue::Int(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}

fn check_steadiness(s: Option<u8>) -> Result<(), CoreError> {
    match s {
        Some(n) if !(1..=5).contains(&n) => Err(CoreError::InvalidValue {
            field: "steadiness".into(),
            message: format!("expected a number from 1 to 5, got {n}"),
        }),
        _ => Ok(()),
    }
}

fn clean_label(s: &str) -> Option<String> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
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
        let body = tx.put_object(ROOT, "body", ObjType::Text)?;
        tx.splice_text(&body, 0, 0, &new.body)?;
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

    /// The entry's id.
    pub fn id(&self) -> EntryId {
        self.id
    }

    /// Apply one edit action; returns `None` when nothing changed.
    pub fn edit(
        &mut self,
        now: Timestamp,
        edits: &[Edit],
    ) -> Result<Option<EntryChange>, CoreError> {
        let kind = self.kind()?;
        if let EntryKind::Newer(code) = kind {
            return Err(CoreError::NewerKind { code });
        }
        for e in edits {
            match e {
                Edit::SetField(key, value) => {
                    let spec = kind.field(key)?;
                    if self.stored_field(spec)? == Some(FieldValue::Newer) {
                        return Err(CoreError::NewerField { field: key.clone() });
                    }
                    if let Some(value) = value {
                        value.check(spec)?;
                    }
                }
                Edit::SetSteadiness(s) => check_steadiness(*s)?,
                Edit::SetKind(EntryKind::Newer(code)) => {
                    return Err(CoreError::NewerKind { code: *code })
                }
                _ => {}
            }
        }
        let body = text_obj(&self.doc, &ROOT, "body");
        let notes = text_obj(&self.doc, &ROOT, "notes");
        let tags = map_obj(&self.doc, "tags");
        let people = map_obj(&self.doc, "people");
        let fields = map_obj(&self.doc, "fields");
        let (Some(body), Some(notes), Some(tags), Some(people), Some(fields)) =
            (body, notes, tags, people, fields)
        else {
            return Err(CoreError::Incomplete);
        };
        let heads_before = self.doc.get_heads();
        let mut tx = self.doc.transaction();
        for e in edits {
            match e {
                Edit::SetField(key, value) => {
                    let existing_text = text_obj(&tx, &fields, key);
                    match (value, existing_text) {
                        (Some(FieldValue::Text(s)), Some(obj)) => tx.update_text(&obj, s)?,
                        (Some(FieldValue::Text(s)), None) => {
                            let obj = tx.put_object(&fields, key.as_str(), ObjType::Text)?;
                            tx.splice_text(&obj, 0, 0, s)?;
                        }
                        (Some(v), _) => put_scalar_field(&mut tx, &fields, key, v)?,
                        (None, Some(obj)) => tx.update_text(&obj, "")?,
                        (None, None) => tx.delete(&fields, key.as_str())?,
                    }
                }
                Edit::SetBody(s) => tx.update_text(&body, s)?,
                Edit::SpliceBody {
                    pos,
                    delete,
                    insert,
                } => {
                    let len = tx.length(&body);
                    if *pos > len {
                        return Err(CoreError::SpliceOutOfRange { pos: *pos, len });
                    }
                    let delete = (*delete).min(len - pos);
                    tx.splice_text(&body, *pos, delete as isize, insert)?;
                }
                Edit::SetNotes(s) => tx.update_text(&notes, s)?,
                Edit::AddTag(t) => {
                    if let Some(t) = clean_label(t) {
                        tx.put(&tags, t, true)?
                    }
                }
                Edit::RemoveTag(t) => {
                    if tx.get(&tags, t.as_str())?.is_some() {
                        tx.delete(&tags, t.as_str())?
                    }
                }
                Edit::AddPerson(p) => {
                    if let Some(p) = clean_label(p) {
                        tx.put(&people, p, true)?
                    }
                }
                Edit::RemovePerson(p) => {
                    if tx.get(&people, p.as_str())?.is_some() {
                        tx.delete(&people, p.as_str())?
                    }
                }
                Edit::SetSteadiness(Some(s)) => tx.put(ROOT, "steadiness", u64::from(*s))?,
                Edit::SetSteadiness(None) => {
                    if tx.get(ROOT, "steadiness")?.is_some() {
                        tx.delete(ROOT, "steadiness")?
                    }
                }
                Edit::SetKind(k) => {
                    tx.put(ROOT, "kind", k.code())?;
                    for spec in k.fields().iter().filter(|s| s.ty == FieldType::Text) {
                        if text_obj(&tx, &fields, spec.key).is_none() {
                            tx.put_object(&fields, spec.key, ObjType::Text)?;
                        }
                    }
                }
                Edit::Delete => tx.put(ROOT, "deleted", true)?,
                Edit::Restore => tx.put(ROOT, "deleted", false)?,
            }
        }
        if tx.pending_ops() == 0 {
            tx.rollback();
            return Ok(None);
        }
        tx.put(ROOT, "edited", now.unix_ms)?;
        tx.put(ROOT, "edited_tz", i64::from(now.offset_minutes))?;
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(now.unix_ms / 1000));
        debug_assert_ne!(self.doc.get_heads(), heads_before);
        self.change_bytes(hash).map(Some)
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

    /// The stored kind; a code this build does not know is a newer kind, not an error.
    fn kind(&self) -> Result<EntryKind, CoreError> {
        let code = scalar(&self.doc, &ROOT, "kind")
            .and_then(|v| as_u64(&v))
            .ok_or(CoreError::Incomplete)?;
        Ok(EntryKind::from_code(code).unwrap_or(EntryKind::Newer(code)))
    }

    /// The current value of one field of the entry's kind, as [`EntryDoc::entry`] reads it.
    fn stored_field(&self, spec: &FieldSpec) -> Result<Option<FieldValue>, CoreError> {
        match map_obj(&self.doc, "fields") {
            Some(fields) => read_field(&self.doc, &fields, spec),
            None => Ok(None),
        }
    }

    /// The entry as it reads now.
    pub fn entry(&self) -> Result<Entry, CoreError> {
        let doc = &self.doc;
        let kind = self.kind()?;
        let int = |key: &str| scalar(doc, &ROOT, key).and_then(|v| as_i64(&v));
        let text = |parent: &ObjId, key: &str| -> Result<String, CoreError> {
            Ok(match text_obj(doc, parent, key) {
                Some(obj) => doc.text(&obj)?,
                None => String::new(),
            })
        };
        let set = |key: &str| -> BTreeSet<String> {
            map_obj(doc, key)
                .map(|obj| doc.keys(&obj).collect())
                .unwrap_or_default()
        };
        let created = Timestamp::new(
            int("created").ok_or(CoreError::Incomplete)?,
            int("created_tz").unwrap_or(0) as i16,
        );
        let edited = Timestamp::new(
            int("edited").unwrap_or(created.unix_ms),
            int("edited_tz").unwrap_or(i64::from(created.offset_minutes)) as i16,
        );
        let mut fields = BTreeMap::new();
        if let Some(fobj) = map_obj(doc, "fields") {
            let newer_kind = matches!(kind, EntryKind::Newer(_));
            for key in doc.keys(&fobj) {
                let value = match kind.fields().iter().find(|spec| spec.key == key) {
                    Some(spec) => read_field(doc, &fobj, spec)?,
                    // A field of another kind: left over from a change of kind, hidden.
                    None if !newer_kind && is_field_of_any_kind(&key) => None,
                    // A field a newer Attune added (or any field of a newer kind).
                    None => has_value(doc, &fobj, &key)?.then_some(FieldValue::Newer),
                };
                if let Some(v) = value {
                    fields.insert(key, v);
                }
            }
        }
        Ok(Entry {
            id: self.id,
            kind,
            schema_version: scalar(doc, &ROOT, "v")
                .and_then(|v| as_u64(&v))
                .unwrap_or(SCHEMA_VERSION),
            created,
            edited,
            body: text(&ROOT, "body")?,
            notes: text(&ROOT, "notes")?,
            tags: set("tags"),
            people: set("people"),
            steadiness: scalar(doc, &ROOT, "steadiness")
                .and_then(|v| as_u64(&v))
                .and_then(|n| u8::try_from(n).ok()),
            fields,
            deleted: matches!(
                scalar(doc, &ROOT, "deleted"),
                Some(ScalarValue::Boolean(true))
            ),
        })
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

/// Reads field `spec` from the `fields` map: `None` when absent or empty,
/// [`FieldValue::Newer`] when it holds something this build cannot read as `spec`'s type.
fn read_field(
    doc: &impl ReadDoc,
    fields: &ObjId,
    spec: &FieldSpec,
) -> Result<Option<FieldValue>, CoreError> {
    let Some((value, id)) = doc.get(fields, spec.key)? else {
        return Ok(None);
    };
    let scalar = match value {
        Value::Object(ObjType::Text) => {
            let text = doc.text(&id)?;
            return Ok(match spec.ty {
                _ if text.is_empty() => None,
                FieldType::Text => Some(FieldValue::Text(text)),
                _ => Some(FieldValue::Newer),
            });
        }
        Value::Object(_) => return Ok(Some(FieldValue::Newer)),
        Value::Scalar(scalar) => scalar.into_owned(),
    };
    let read = match (spec.ty, &scalar) {
        (_, ScalarValue::Null) => return Ok(None),
        (FieldType::Text, ScalarValue::Str(s)) => {
            (!s.is_empty()).then(|| FieldValue::Text(s.to_string()))
        }
        (FieldType::Text, _) => Some(FieldValue::Newer),
        (FieldType::Int { .. }, v) => Some(as_i64(v).map_or(FieldValue::Newer, FieldValue::Int)),
        (FieldType::Real { .. }, ScalarValue::F64(f)) => Some(FieldValue::Real(*f)),
        (FieldType::Real { .. }, v) => {
            Some(as_i64(v).map_or(FieldValue::Newer, |n| FieldValue::Real(n as f64)))
        }
        (FieldType::Choice(set), v) => Some(
            as_u64(v)
                .and_then(|code| FieldValue::from_choice_code(set, code))
                .unwrap_or(FieldValue::Newer),
        ),
    };
    Ok(read)
}

/// Whether `key` in the `fields` map holds anything: non-empty text, a scalar, an object.
fn has_value(doc: &impl ReadDoc, fields: &ObjId, key: &str) -> Result<bool, CoreError> {
    Ok(match doc.get(fields, key)? {
        None => false,
        Some((Value::Scalar(s), _)) => !matches!(s.as_ref(), ScalarValue::Null),
        Some((Value::Object(ObjType::Text), id)) => doc.length(&id) > 0,
        Some((Value::Object(_), _)) => true,
    })
}

fn put_scalar_field(
    tx: &mut impl Transactable,
    fields: &ObjId,
    key: &str,
    value: &FieldValue,
) -> Result<(), CoreError> {
    match value {
        FieldValue::Int(n) => tx.put(fields, key, *n)?,
        FieldValue::Real(f) => tx.put(fields, key, *f)?,
        FieldValue::Text(s) => tx.put(fields, key, s.as_str())?,
        choice => {
            let code = choice
                .choice_code()
                .ok_or_else(|| CoreError::InvalidValue {
                    field: key.to_string(),
                    message: "not a choice".into(),
                })?;
            tx.put(fields, key, code)?
        }
    }
    Ok(())
}
