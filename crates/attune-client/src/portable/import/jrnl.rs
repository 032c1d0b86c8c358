//! jrnl's JSON export (`jrnl --export json`): `{"tags": {...}, "entries":
//! [{"title", "body", "date", "time", "tags", "starred"}]}`.
//!
//! Title and body become the body; `date` and `time` carry no zone, so they
//! are read in the local zone (named in the output); tags keep their names
//! without their symbol, or become people with `--people-from @`; a starred
//! entry gets the tag `starred`. jrnl entries have no id: the id here is a
//! hash of the date, time and text, so a second import adds nothing.

use attune_core::NewEntry;
use jiff::civil::{Date, DateTime, Time};
use serde::Deserialize;

use super::{people_from_tags, source_entry_id, ImportOptions, Incoming, Parsed};
use crate::portable::PortableError;

#[derive(Deserialize)]
struct Export {
    entries: Vec<JrnlEntry>,
}

#[derive(Deserialize)]
struct JrnlEntry {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    date: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    starred: bool,
}

/// Whether `value` looks like a jrnl export.
pub fn looks_like(value: &serde_json::Value) -> bool {
    value["entries"]
        .as_array()
        .and_then(|a| a.first())
        .is_some_and(|e| e.get("date").is_some() && e.get("title").is_some())
}

/// Read a jrnl export.
pub fn parse(file: &str, bytes: &[u8], options: &ImportOptions) -> Result<Parsed, PortableError> {
    let export: Export = serde_json::from_slice(bytes)
        .map_err(|e| PortableError::malformed(file, "the file", "JSON", e.to_string()))?;
    let mut parsed = Parsed::default();
    parsed.notes.push(format!(
        "jrnl times carry no time zone; they were read in {}",
        options.zone.name()
    ));
    for (n, e) in export.entries.iter().enumerate() {
        let label = format!(
            "entry {} ({} {})",
            n + 1,
            e.date,
            e.time.as_deref().unwrap_or("")
        );
        let bad = |field: &str, why: String| PortableError::malformed(file, &label, field, why);
        let date: Date = e
            .date
            .parse()
            .map_err(|_| bad("date", format!("{:?} is not a date (YYYY-MM-DD)", e.date)))?;
        let time = match e.time.as_deref() {
            None | Some("") => Time::midnight(),
            Some(t) => parse_time(t).ok_or_else(|| bad("time", format!("{t:?} is not HH:MM")))?,
        };
        let created = options
            .zone
            .at(DateTime::from_parts(date, time))
            .ok_or_else(|| {
                bad(
                    "date",
                    "that moment does not exist in the local zone".into(),
                )
            })?;
        let body = join_title(&e.title, &e.body);
        let mut new = NewEntry {
            body: body.clone(),
            tags: e.tags.iter().map(|t| t.trim().to_string()).collect(),
            ..NewEntry::default()
        };
        people_from_tags(&mut new, options.people_from.as_deref());
        new.tags = new
            .tags
            .iter()
            .map(|t| {
                t.trim_start_matches(|c: char| !c.is_alphanumeric())
                    .to_string()
            })
            .filter(|t| !t.is_empty())
            .collect();
        if e.starred {
            new.tags.insert("starred".into());
        }
        let source_id = format!("{} {} {body}", e.date, e.time.as_deref().unwrap_or(""));
        parsed.entries.push(Incoming {
            id: source_entry_id("jrnl", &source_id),
            label,
            created,
            edited: None,
            deleted: false,
            new,
        });
    }
    Ok(parsed)
}

fn parse_time(t: &str) -> Option<Time> {
    let t = t.trim();
    t.parse::<Time>()
        .ok()
        .or_else(|| format!("{t}:00").parse::<Time>().ok())
}

/// jrnl splits the first sentence off as the title; put them back together.
fn join_title(title: &str, body: &str) -> String {
    let sep = if body.is_empty() || body.starts_with(char::is_whitespace) {
        ""
    } else {
        " "
    };
    format!("{title}{sep}{body}").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_body_tags_and_star() {
        let json = br##"{"tags": {"@ana": 1}, "entries": [{"title": "Walked with @ana.",
            "body": "It was calm.", "date": "2021-03-03", "time": "09:05",
            "tags": ["@ana", "#walk"], "starred": true}]}"##;
        let options = ImportOptions {
            zone: super::super::LocalZone::named("Europe/Berlin").expect("zone"),
            people_from: Some("@".into()),
            mood_map: None,
        };
        let parsed = parse("j.json", json, &options).expect("parses");
        let e = &parsed.entries[0];
        assert_eq!(e.new.body, "Walked with @ana. It was calm.");
        assert!(e.new.people.contains("ana"));
        assert_eq!(
            e.new.tags,
            ["starred".to_string(), "walk".to_string()].into()
        );
        assert_eq!(e.created.offset_minutes, 60);
        let err = parse(
            "j.json",
            br#"{"entries":[{"title":"x","date":"2021-13-01"}]}"#,
            &options,
        )
        .expect_err("month 13");
        assert!(err.to_string().contains("date"), "{err}");
    }
}
