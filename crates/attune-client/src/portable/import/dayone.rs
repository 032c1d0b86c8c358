//! Day One's JSON export: a zip with `<Journal>.json` and `photos/…` (or the
//! JSON alone).
//!
//! Each entry's `uuid` is its source id; `creationDate` (UTC) is placed in
//! its `timeZone` (`2021-03-03T11:48:50Z` in `Australia/Sydney` is 22:48
//! +11:00); `text` loses Day One's Markdown escapes; `tags` stay, `starred`
//! becomes a tag. Photos, audio and other media are skipped and counted
//! (Attune keeps no attachments yet), and so are location and weather. A zip
//! with a name that leaves it (`../`, an absolute path) is refused whole.

use std::io::Read;

use attune_core::NewEntry;
use serde::Deserialize;

use super::{source_entry_id, ImportOptions, Incoming, LocalZone, Parsed, Skipped};
use crate::portable::PortableError;

#[derive(Deserialize)]
struct Export {
    entries: Vec<DayOneEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DayOneEntry {
    uuid: String,
    creation_date: String,
    #[serde(default)]
    modified_date: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    starred: bool,
    #[serde(default)]
    photos: Vec<serde_json::Value>,
    #[serde(default)]
    videos: Vec<serde_json::Value>,
    #[serde(default)]
    audios: Vec<serde_json::Value>,
    #[serde(default)]
    pdf_attachments: Vec<serde_json::Value>,
}

/// Whether `value` looks like a Day One journal JSON.
pub fn looks_like(value: &serde_json::Value) -> bool {
    value["entries"]
        .as_array()
        .and_then(|a| a.first())
        .is_some_and(|e| e.get("uuid").is_some() && e.get("creationDate").is_some())
}

/// The journal JSON files of a Day One zip, by name; refuses names that leave the zip.
pub fn journals_in_zip(file: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PortableError> {
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
        if member.is_file() && name.ends_with(".json") && !name.contains('/') {
            let mut json = Vec::new();
            member
                .read_to_end(&mut json)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            out.push((name, json));
        }
    }
    if out.is_empty() {
        return Err(bad("no journal JSON at the top of the zip".into()));
    }
    Ok(out)
}

/// Remove Day One's backslash escapes (`\.`, `\-`, `\!` …) and its photo placeholders.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if next.is_ascii_punctuation() {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out.lines()
        .filter(|line| !line.trim_start().starts_with("![](dayone-moment:"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Read one Day One journal JSON (`name` for messages).
pub fn parse_json(
    file: &str,
    bytes: &[u8],
    options: &ImportOptions,
    parsed: &mut Parsed,
) -> Result<(), PortableError> {
    let export: Export = serde_json::from_slice(bytes)
        .map_err(|e| PortableError::malformed(file, "the file", "JSON", e.to_string()))?;
    let mut media = 0;
    for (n, e) in export.entries.iter().enumerate() {
        let label = format!("entry {} ({})", n + 1, e.uuid);
        let bad = |field: &str, why: String| PortableError::malformed(file, &label, field, why);
        let zone = match e.time_zone.as_deref() {
            Some(name) => LocalZone::named(name)
                .ok_or_else(|| bad("timeZone", format!("{name:?} is not a known time zone")))?,
            None => options.zone.clone(),
        };
        let utc = |field: &str, text: &str| {
            text.parse::<jiff::Timestamp>()
                .ok()
                .and_then(|t| zone.place(t.as_millisecond()))
                .ok_or_else(|| bad(field, format!("{text:?} is not a UTC time")))
        };
        let created = utc("creationDate", &e.creation_date)?;
        let edited = e
            .modified_date
            .as_deref()
            .map(|m| utc("modifiedDate", m))
            .transpose()?;
        let mut tags: std::collections::BTreeSet<String> =
            e.tags.iter().map(|t| t.trim().to_string()).collect();
        if e.starred {
            tags.insert("starred".into());
        }
        media += e.photos.len() + e.videos.len() + e.audios.len() + e.pdf_attachments.len();
        parsed.entries.push(Incoming {
            id: source_entry_id("dayone", &e.uuid),
            label,
            created,
            edited,
            deleted: false,
            new: NewEntry {
                body: unescape(&e.text),
                tags,
                ..NewEntry::default()
            },
        });
    }
    if media > 0 {
        parsed.skipped.push(Skipped {
            what: format!("{media} photo(s) or other media in {file}"),
            why: "Attune keeps no attachments yet".into(),
        });
    }
    Ok(())
}

/// Read a Day One export: a zip, or one journal JSON.
pub fn parse(file: &str, bytes: &[u8], options: &ImportOptions) -> Result<Parsed, PortableError> {
    let mut parsed = Parsed::default();
    if bytes.starts_with(b"PK") {
        for (name, json) in journals_in_zip(file, bytes)? {
            parse_json(&format!("{file}:{name}"), &json, options, &mut parsed)?;
        }
    } else {
        parse_json(file, bytes, options, &mut parsed)?;
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_photo_placeholders_go() {
        assert_eq!(
            unescape("Hello\\. A list\\:\n![](dayone-moment://ABC)\n\\- item"),
            "Hello. A list:\n- item"
        );
    }
}
