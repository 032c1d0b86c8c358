//! A folder (or zip) of Markdown files with YAML front matter: Attune's own
//! Markdown export, and notes such as Obsidian's daily notes.
//!
//! A file whose front matter is Attune's (`id`, `kind`, `created_unix_ms`)
//! reads back into the same entry. Any other file becomes a note: its date
//! from the front matter's `date` or a `YYYY-MM-DD` in its name (read in the
//! local zone), its `tags`, its text as the body; its source id is its path
//! inside the folder. A file with no date is skipped and named.

use std::io::Read;
use std::path::Path;

use attune_core::NewEntry;
use jiff::civil::{Date, DateTime, Time};
use serde_json::Value;

use super::{attune, source_entry_id, ImportOptions, Incoming, Parsed, Skipped};
use crate::portable::document::EntryRecord;
use crate::portable::markdown::split_front_matter;
use crate::portable::PortableError;

/// Every `.md` file under `root` (recursively), by path relative to it, sorted.
pub fn read_folder(root: &Path) -> Result<Vec<(String, Vec<u8>)>, PortableError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let listing = std::fs::read_dir(&dir).map_err(|e| crate::StoreError::io(&dir, e))?;
        for item in listing {
            let item = item.map_err(|e| crate::StoreError::io(&dir, e))?;
            let path = item.path();
            let kind = item
                .file_type()
                .map_err(|e| crate::StoreError::io(&path, e))?;
            if kind.is_dir() && !item.file_name().to_string_lossy().starts_with('.') {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "md") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.push((
                    rel,
                    std::fs::read(&path).map_err(|e| crate::StoreError::io(&path, e))?,
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Every `.md` file of a zip; refuses names that leave it.
pub fn read_zip(file: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PortableError> {
    let bad = |why: String| PortableError::malformed(file, "the zip", "files", why);
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = member.name().to_string();
        if member.enclosed_name().is_none() || name.contains('\\') {
            return Err(bad(format!("{name:?} points outside the zip; refused")));
        }
        if member.is_file() && name.ends_with(".md") {
            let mut text = Vec::new();
            member
                .read_to_end(&mut text)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            out.push((name, text));
        }
    }
    out.sort();
    Ok(out)
}

fn date_in_name(name: &str) -> Option<Date> {
    let stem = Path::new(name).file_name()?.to_string_lossy().into_owned();
    (0..stem.len().saturating_sub(9)).find_map(|i| stem.get(i..i + 10)?.parse::<Date>().ok())
}

fn tags_of(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s.split([',', ' ']).map(String::from).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(|t| t.trim().trim_start_matches('#').to_string())
    .filter(|t| !t.is_empty())
    .collect()
}

/// Read Markdown files (`(path, bytes)`), from the folder or zip called `origin`.
pub fn parse(
    origin: &str,
    files: Vec<(String, Vec<u8>)>,
    options: &ImportOptions,
) -> Result<Parsed, PortableError> {
    let mut parsed = Parsed::default();
    let mut zoneless = false;
    for (n, (name, bytes)) in files.iter().enumerate() {
        let file = format!("{origin}/{name}");
        let text = std::str::from_utf8(bytes)
            .map_err(|e| PortableError::malformed(&file, "the file", "text", e.to_string()))?;
        let (front, body) = split_front_matter(text);
        let front: Value = match front {
            Some(yaml) => serde_yaml::from_str(yaml).map_err(|e| {
                PortableError::malformed(&file, "the front matter", "YAML", e.to_string())
            })?,
            None => Value::Null,
        };
        if front.get("id").is_some() && front.get("created_unix_ms").is_some() {
            let mut record = front;
            let body = body.strip_suffix('\n').unwrap_or(body);
            record["body"] = Value::from(body);
            let record: EntryRecord = serde_json::from_value(record).map_err(|e| {
                PortableError::malformed(&file, "the front matter", "fields", e.to_string())
            })?;
            parsed.entries.push(attune::incoming(&file, n, &record)?);
            continue;
        }
        let date = front
            .get("date")
            .and_then(Value::as_str)
            .and_then(|d| d.get(..10))
            .and_then(|d| d.parse::<Date>().ok())
            .or_else(|| date_in_name(name));
        let Some(date) = date else {
            parsed.skipped.push(Skipped {
                what: file,
                why: "no date in its front matter or its name".into(),
            });
            continue;
        };
        zoneless = true;
        let created = options
            .zone
            .at(DateTime::from_parts(date, Time::midnight()))
            .ok_or_else(|| {
                PortableError::malformed(
                    &file,
                    "the file",
                    "date",
                    "not a moment in the local zone",
                )
            })?;
        parsed.entries.push(Incoming {
            id: source_entry_id("markdown", name),
            label: file,
            created,
            edited: None,
            deleted: false,
            new: NewEntry {
                body: body.trim().to_string(),
                tags: front
                    .get("tags")
                    .map(tags_of)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                ..NewEntry::default()
            },
        });
    }
    if zoneless {
        parsed.notes.push(format!(
            "dates of Markdown notes carry no time zone; they were read in {}",
            options.zone.name()
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obsidian_daily_notes_take_their_date_from_the_name() {
        let files = vec![
            (
                "Daily/2024-05-01.md".to_string(),
                b"---\ntags: [calm, '#walk']\n---\nA quiet day.\n".to_vec(),
            ),
            ("Ideas.md".to_string(), b"no date here".to_vec()),
        ];
        let parsed = parse("vault", files, &ImportOptions::default()).expect("parses");
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].new.body, "A quiet day.");
        assert!(parsed.entries[0].new.tags.contains("walk"));
        assert_eq!(parsed.skipped.len(), 1);
    }
}
