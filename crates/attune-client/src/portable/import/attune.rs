//! Attune's own JSON export (and `attune list --json`): every field as it was,
//! by entry id.

use attune_core::NewEntry;

use super::{Incoming, Parsed};
use crate::portable::document::{EntryRecord, ExportDocument, FORMAT_NAME, FORMAT_VERSION};
use crate::portable::PortableError;

/// Read an export document (or an array of entries) from `bytes`.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Parsed, PortableError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| PortableError::malformed(file, "the file", "JSON", e.to_string()))?;
    let (records, plan) = if value.is_array() {
        let records: Vec<EntryRecord> = serde_json::from_value(value)
            .map_err(|e| PortableError::malformed(file, "an entry", "JSON", e.to_string()))?;
        (records, None)
    } else {
        let doc: ExportDocument = serde_json::from_value(value)
            .map_err(|e| PortableError::malformed(file, "the file", "JSON", e.to_string()))?;
        if doc.format != FORMAT_NAME {
            return Err(PortableError::malformed(
                file,
                "the file",
                "format",
                format!("{:?} is not an Attune export", doc.format),
            ));
        }
        if doc.version > FORMAT_VERSION {
            return Err(PortableError::malformed(
                file,
                "the file",
                "version",
                format!(
                    "version {} was written by a newer Attune (this one reads {FORMAT_VERSION}): update Attune",
                    doc.version
                ),
            ));
        }
        (doc.entries, doc.safety_plan)
    };
    let mut parsed = Parsed {
        safety_plan: plan,
        ..Parsed::default()
    };
    for (n, record) in records.iter().enumerate() {
        parsed.entries.push(incoming(file, n, record)?);
    }
    Ok(parsed)
}

/// One record as an entry to write, or which field of which entry is wrong.
pub fn incoming(file: &str, n: usize, record: &EntryRecord) -> Result<Incoming, PortableError> {
    let label = format!("entry {} ({})", n + 1, record.id);
    let entry = record
        .to_entry()
        .map_err(|(field, why)| PortableError::malformed(file, &label, field, why))?;
    Ok(Incoming {
        id: entry.id,
        label,
        created: entry.created,
        edited: Some(entry.edited),
        deleted: entry.deleted,
        new: NewEntry {
            kind: Some(entry.kind),
            body: entry.body,
            notes: entry.notes,
            tags: entry.tags,
            people: entry.people,
            steadiness: entry.steadiness,
            fields: entry.fields,
        },
    })
}
