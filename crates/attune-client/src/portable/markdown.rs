//! Markdown with YAML front matter: one `.md` per entry, in a folder or a zip.
//!
//! The front matter is the entry's JSON record without its body (kind,
//! dates, people, tags, steadiness, fields, notes); the body follows it as
//! the Markdown text, so the file opens cleanly in Obsidian or any editor
//! and reads back into the same entry.

use std::io::Write;
use std::path::Path;

use attune_core::Entry;
use serde_json::Value;

use super::document::EntryRecord;
use super::{plaintext, PortableError};

/// One entry as a Markdown file: its name and its text.
pub fn entry_file(entry: &Entry) -> Result<(String, String), PortableError> {
    let record = EntryRecord::of(entry);
    let mut front = serde_json::to_value(&record)
        .map_err(|e| PortableError::write(Path::new("front matter"), e))?;
    if let Value::Object(map) = &mut front {
        map.remove("body");
        if entry.notes.is_empty() {
            map.remove("notes");
        }
    }
    let yaml = serde_yaml::to_string(&front)
        .map_err(|e| PortableError::write(Path::new("front matter"), e))?;
    let mut text = format!("---\n{yaml}---\n\n");
    // Always one more line break, which the import takes off again.
    text.push_str(&entry.body);
    text.push('\n');
    Ok((file_name(entry, &record.created), text))
}

/// `2026-12-02-1042-coffee-with-ana-ef53211a.md`: date, a title, and the short id.
fn file_name(entry: &Entry, created: &str) -> String {
    let date: String = created.chars().take(16).collect();
    let date = date.replace('T', "-").replace(':', "");
    let title: String = entry
        .summary(40)
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                '-'
            }
        })
        .collect();
    let title = title
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let title = if title.is_empty() {
        entry.kind.key().to_string()
    } else {
        title
    };
    format!("{date}-{title}-{}.md", entry.id.short())
}

/// Split a Markdown file into its front matter (YAML, if any) and its text.
pub fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (None, text);
    };
    for end in ["\n---\n", "\n---\r\n"] {
        if let Some(pos) = rest.find(end) {
            let body = &rest[pos + end.len()..];
            let body = body
                .strip_prefix("\r\n")
                .or_else(|| body.strip_prefix('\n'))
                .unwrap_or(body);
            return (Some(&rest[..pos + 1]), body);
        }
    }
    if let Some(front) = rest.strip_suffix("\n---") {
        return (Some(front), "");
    }
    (None, text)
}

/// Write every entry as a `.md` file in the folder `path`, or in one zip when it ends with `.zip`.
pub fn write(journal: &Path, path: &Path, entries: &[Entry]) -> Result<usize, PortableError> {
    let files = entries
        .iter()
        .map(entry_file)
        .collect::<Result<Vec<_>, _>>()?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(0o600);
            for (name, text) in &files {
                zip.start_file(name.as_str(), options)
                    .map_err(|e| PortableError::write(path, e))?;
                zip.write_all(text.as_bytes())
                    .map_err(|e| PortableError::write(path, e))?;
            }
            zip.finish().map_err(|e| PortableError::write(path, e))?;
        }
        plaintext::write_file(journal, path, &buf.into_inner())?;
    } else {
        plaintext::make_folder(journal, path)?;
        for (name, text) in &files {
            plaintext::write_file(journal, &path.join(name), text.as_bytes())?;
        }
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use attune_core::{EntryId, EntryKind, Timestamp};

    #[test]
    fn an_entry_reads_back_from_its_markdown() {
        let t = Timestamp::new(1_796_204_552_000, 60);
        let entry = Entry {
            id: EntryId([0xef; 16]),
            kind: EntryKind::Note,
            schema_version: 1,
            created: t,
            edited: t,
            body: "Coffee with Ana: warm.\n---\nstill body".into(),
            notes: "a note".into(),
            tags: ["family".to_string()].into(),
            people: ["Ana".to_string()].into(),
            steadiness: Some(4),
            fields: Default::default(),
            deleted: false,
        };
        let (name, text) = entry_file(&entry).expect("markdown");
        assert_eq!(
            name,
            "2026-12-02-1042-coffee-with-ana-warm-still-body-efefefef.md"
        );
        let (front, body) = split_front_matter(&text);
        let front = front.expect("front matter");
        assert_eq!(body, "Coffee with Ana: warm.\n---\nstill body\n");
        let value: serde_json::Value = serde_yaml::from_str(front).expect("yaml");
        assert_eq!(value["people"][0], "Ana");
        assert_eq!(value["notes"], "a note");
    }
}
