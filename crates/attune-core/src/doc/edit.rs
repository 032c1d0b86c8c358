//! Editing an entry document: checking and applying one edit action.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ObjId, ObjType, ReadDoc, ROOT};

use super::long_text::{block_list, read_blocks, set_blocks, splice_chars};
use super::read::{map_obj, text_obj};
use super::{Edit, EntryChange, EntryDoc};
use crate::schema::FieldType;
use crate::{CoreError, EntryKind, FieldValue, Timestamp};

pub(super) fn check_steadiness(s: Option<u8>) -> Result<(), CoreError> {
    match s {
        Some(n) if !(1..=5).contains(&n) => Err(CoreError::InvalidValue {
            field: "steadiness".into(),
            message: format!("expected a number from 1 to 5, got {n}"),
        }),
        _ => Ok(()),
    }
}

pub(super) fn clean_label(s: &str) -> Option<String> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

impl EntryDoc {
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
        let blocks = block_list(&self.doc, &ROOT, "body");
        let body = text_obj(&self.doc, &ROOT, "body").or(blocks.clone());
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
                Edit::SetBody(s) if blocks.is_some() => {
                    let old = read_blocks(&tx, &body)?;
                    set_blocks(&mut tx, &body, &old, s)?;
                }
                Edit::SpliceBody {
                    pos,
                    delete,
                    insert,
                } if blocks.is_some() => {
                    let old = read_blocks(&tx, &body)?;
                    let new = splice_chars(&old.concat(), *pos, *delete, insert)?;
                    set_blocks(&mut tx, &body, &old, &new)?;
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
}

pub(super) fn put_scalar_field(
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
