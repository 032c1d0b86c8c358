//! Reading an entry document: Automerge read helpers and materialising an [`Entry`].

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};

use super::EntryDoc;
use crate::schema::{is_field_of_any_kind, FieldSpec, FieldType, SCHEMA_VERSION};
use crate::{CoreError, Entry, EntryKind, FieldValue, Timestamp};

pub(super) fn text_obj(doc: &impl ReadDoc, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(ObjType::Text), id))) => Some(id),
        _ => None,
    }
}

pub(super) fn map_obj(doc: &impl ReadDoc, key: &str) -> Option<ObjId> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

pub(super) fn scalar(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

pub(super) fn as_i64(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int(n) => Some(*n),
        ScalarValue::Uint(n) => i64::try_from(*n).ok(),
        ScalarValue::Timestamp(n) => Some(*n),
        _ => None,
    }
}

pub(super) fn as_u64(v: &ScalarValue) -> Option<u64> {
    match v {
        ScalarValue::Uint(n) => Some(*n),
        ScalarValue::Int(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}

impl EntryDoc {
    /// The stored kind; a code this build does not know is a newer kind, not an error.
    pub(super) fn kind(&self) -> Result<EntryKind, CoreError> {
        let code = scalar(&self.doc, &ROOT, "kind")
            .and_then(|v| as_u64(&v))
            .ok_or(CoreError::Incomplete)?;
        Ok(EntryKind::from_code(code).unwrap_or(EntryKind::Newer(code)))
    }

    /// The current value of one field of the entry's kind, as [`EntryDoc::entry`] reads it.
    pub(super) fn stored_field(&self, spec: &FieldSpec) -> Result<Option<FieldValue>, CoreError> {
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
            body: match super::long_text::block_list(doc, &ROOT, "body") {
                Some(list) => super::long_text::read_blocks(doc, &list)?.concat(),
                None => text(&ROOT, "body")?,
            },
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
}

/// Reads field `spec` from the `fields` map: `None` when absent or empty,
/// [`FieldValue::Newer`] when it holds something this build cannot read as `spec`'s type.
pub(super) fn read_field(
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
pub(super) fn has_value(doc: &impl ReadDoc, fields: &ObjId, key: &str) -> Result<bool, CoreError> {
    Ok(match doc.get(fields, key)? {
        None => false,
        Some((Value::Scalar(s), _)) => !matches!(s.as_ref(), ScalarValue::Null),
        Some((Value::Object(ObjType::Text), id)) => doc.length(&id) > 0,
        Some((Value::Object(_), _)) => true,
    })
}
