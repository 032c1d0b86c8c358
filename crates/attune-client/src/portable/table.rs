//! CSV: one file per kind, a column per field, choices as their stable keys.

use std::path::Path;

use attune_core::{Entry, EntryKind};

use super::document::{field_json, rfc3339};
use super::{plaintext, PortableError};

/// The columns every kind shares, before its own fields.
pub const COMMON_COLUMNS: [&str; 10] = [
    "id",
    "created",
    "created_unix_ms",
    "edited",
    "deleted",
    "steadiness",
    "tags",
    "people",
    "body",
    "notes",
];

/// One CSV text for the entries of `kind`.
pub fn kind_csv(kind: EntryKind, entries: &[&Entry]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fields = kind.fields();
    let header: Vec<&str> = COMMON_COLUMNS
        .iter()
        .copied()
        .chain(fields.iter().map(|f| f.key))
        .collect();
    out.write_record(&header)?;
    for e in entries {
        let join = |set: &std::collections::BTreeSet<String>| {
            set.iter().cloned().collect::<Vec<_>>().join("; ")
        };
        let mut row = vec![
            e.id.to_string(),
            rfc3339(e.created),
            e.created.unix_ms.to_string(),
            rfc3339(e.edited),
            e.deleted.to_string(),
            e.steadiness.map(|s| s.to_string()).unwrap_or_default(),
            join(&e.tags),
            join(&e.people),
            e.body.clone(),
            e.notes.clone(),
        ];
        for spec in fields {
            row.push(match e.fields.get(spec.key).map(field_json) {
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            });
        }
        out.write_record(&row)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// Write `<kind>.csv` for each kind present into the folder `path`; returns the files written.
pub fn write(journal: &Path, path: &Path, entries: &[Entry]) -> Result<Vec<String>, PortableError> {
    plaintext::make_folder(journal, path)?;
    let mut written = Vec::new();
    for kind in EntryKind::ALL {
        let of_kind: Vec<&Entry> = entries.iter().filter(|e| e.kind == *kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let name = format!("{}.csv", kind.key());
        let file = path.join(&name);
        let bytes = kind_csv(*kind, &of_kind).map_err(|e| PortableError::write(&file, e))?;
        plaintext::write_file(journal, &file, &bytes)?;
        written.push(name);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attune_core::{EntryId, FieldValue, Timestamp};

    #[test]
    fn a_column_per_field_and_choices_as_keys() {
        let t = Timestamp::new(1_796_204_552_000, 60);
        let entry = Entry {
            id: EntryId([1; 16]),
            kind: EntryKind::Conversation,
            schema_version: 1,
            created: t,
            edited: t,
            body: "Coffee, \"warm\"".into(),
            notes: String::new(),
            tags: ["a".to_string(), "b".to_string()].into(),
            people: ["Ana".to_string()].into(),
            steadiness: Some(4),
            fields: [
                ("connection".to_string(), FieldValue::Int(4)),
                (
                    "setting".to_string(),
                    FieldValue::parse(
                        EntryKind::Conversation.field("setting").expect("field"),
                        "one-on-one",
                    )
                    .expect("choice"),
                ),
            ]
            .into(),
            deleted: false,
        };
        let text = String::from_utf8(kind_csv(EntryKind::Conversation, &[&entry]).expect("csv"))
            .expect("utf8");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("header").clone();
        let row = reader.records().next().expect("a row").expect("reads");
        let col = |name: &str| {
            let i = header.iter().position(|h| h == name).expect(name);
            row[i].to_string()
        };
        assert_eq!(col("setting"), "one-on-one");
        assert_eq!(col("connection"), "4");
        assert_eq!(col("tags"), "a; b");
        assert_eq!(col("body"), "Coffee, \"warm\"");
    }
}
