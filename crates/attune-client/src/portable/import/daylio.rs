//! Daylio's CSV export: `full_date,date,weekday,time,mood,activities,note_title,note`.
//!
//! Each row becomes a `check-in` whose mood word is Daylio's mood name;
//! activities (separated by ` | `) become tags; the note title and note
//! become the body. Daylio's moods are named by the writer, so how each maps
//! to steadiness (1–5, or `none`) must be given: a mood without a mapping
//! stops the import ([`missing_moods`] tells which to ask about).

use std::collections::{BTreeMap, BTreeSet};

use attune_core::{EntryKind, FieldValue, NewEntry};
use jiff::civil::{Date, DateTime, Time};

use super::{source_entry_id, ImportOptions, Incoming, Parsed};
use crate::portable::PortableError;

/// Daylio mood name (lowercase) → steadiness 1–5, or `None` for "leave it empty".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoodMap(pub BTreeMap<String, Option<u8>>);

impl std::str::FromStr for MoodMap {
    type Err = String;

    /// `rad=5,good=4,meh=3,bad=2,awful=1` (`none` leaves steadiness empty).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for pair in s.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((mood, value)) = pair.rsplit_once('=') else {
                return Err(format!(
                    "{pair:?}: write each mood as name=1..5 (or name=none)"
                ));
            };
            let value = match value.trim() {
                "none" | "" => None,
                v => match v.parse::<u8>() {
                    Ok(n @ 1..=5) => Some(n),
                    _ => return Err(format!("{pair:?}: steadiness is 1 to 5, or none")),
                },
            };
            map.insert(mood.trim().to_lowercase(), value);
        }
        Ok(MoodMap(map))
    }
}

struct Row {
    line: usize,
    full_date: String,
    time: String,
    mood: String,
    activities: String,
    note_title: String,
    note: String,
}

fn rows(file: &str, bytes: &[u8]) -> Result<Vec<Row>, PortableError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| PortableError::malformed(file, "the file", "text", e.to_string()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| PortableError::malformed(file, "the header", "CSV", e.to_string()))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| {
            PortableError::malformed(file, "the header", name, "this Daylio column is missing")
        })
    };
    let (date, time, mood) = (need("full_date")?, need("time")?, need("mood")?);
    let (activities, title, note) = (col("activities"), col("note_title"), col("note"));
    let mut out = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| {
            PortableError::malformed(file, format!("line {line}"), "CSV", e.to_string())
        })?;
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_string();
        out.push(Row {
            line,
            full_date: get(Some(date)),
            time: get(Some(time)),
            mood: get(Some(mood)).trim().to_string(),
            activities: get(activities),
            note_title: get(title),
            note: get(note),
        });
    }
    Ok(out)
}

/// The moods of the file that `map` does not say how to read (all of them without a map).
pub fn missing_moods(
    file: &str,
    bytes: &[u8],
    map: Option<&MoodMap>,
) -> Result<BTreeSet<String>, PortableError> {
    Ok(rows(file, bytes)?
        .into_iter()
        .map(|r| r.mood.to_lowercase())
        .filter(|m| map.is_none_or(|map| !map.0.contains_key(m)))
        .collect())
}

/// Daylio writes times as `21:05` or `9:05 PM`.
fn parse_time(t: &str) -> Option<Time> {
    let t = t.trim();
    let (clock, pm) = match t.to_ascii_lowercase() {
        s if s.ends_with("pm") => (t[..t.len() - 2].trim().to_string(), Some(true)),
        s if s.ends_with("am") => (t[..t.len() - 2].trim().to_string(), Some(false)),
        _ => (t.to_string(), None),
    };
    let (h, m) = clock.split_once(':')?;
    let (mut h, m): (i8, i8) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    Time::new(h, m, 0, 0).ok()
}

/// Read a Daylio CSV; every mood in it must be in `options.mood_map`.
pub fn parse(file: &str, bytes: &[u8], options: &ImportOptions) -> Result<Parsed, PortableError> {
    let missing = missing_moods(file, bytes, options.mood_map.as_ref())?;
    if !missing.is_empty() {
        let list: Vec<String> = missing.into_iter().collect();
        return Err(PortableError::Unrecognised(format!(
            "Daylio's moods are your own names, so Attune does not guess how they map to steadiness; \
             give each one with --mood-map, e.g. --mood-map \"{}\" (1 = overwhelmed … 5 = steady, or none); \
             nothing was imported",
            list.iter().map(|m| format!("{m}=N")).collect::<Vec<_>>().join(",")
        )));
    }
    let map = options.mood_map.clone().unwrap_or_default();
    let mut parsed = Parsed::default();
    parsed.notes.push(format!(
        "Daylio times carry no time zone; they were read in {}",
        options.zone.name()
    ));
    for row in rows(file, bytes)? {
        let label = format!("line {} ({} {})", row.line, row.full_date, row.time);
        let bad = |field: &str, why: String| PortableError::malformed(file, &label, field, why);
        let date: Date = row
            .full_date
            .trim()
            .parse()
            .map_err(|_| bad("full_date", format!("{:?} is not a date", row.full_date)))?;
        let time = parse_time(&row.time)
            .ok_or_else(|| bad("time", format!("{:?} is not a time of day", row.time)))?;
        let created = options
            .zone
            .at(DateTime::from_parts(date, time))
            .ok_or_else(|| {
                bad(
                    "time",
                    "that moment does not exist in the local zone".into(),
                )
            })?;
        let body = [row.note_title.trim(), row.note.trim()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("\n\n");
        let mut fields = BTreeMap::new();
        if !row.mood.is_empty() {
            fields.insert("mood-word".to_string(), FieldValue::Text(row.mood.clone()));
        }
        let new = NewEntry {
            kind: Some(EntryKind::CheckIn),
            body: body.clone(),
            tags: row
                .activities
                .split('|')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect(),
            steadiness: map.0.get(&row.mood.to_lowercase()).copied().flatten(),
            fields,
            ..NewEntry::default()
        };
        let source_id = format!(
            "{} {} {} {} {body}",
            row.full_date, row.time, row.mood, row.activities
        );
        parsed.entries.push(Incoming {
            id: source_entry_id("daylio", &source_id),
            label,
            created,
            edited: None,
            deleted: false,
            new,
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "full_date,date,weekday,time,mood,activities,note_title,note\n\
        2021-03-03,March 3,Wednesday,9:05 PM,sunny-ish,friends | walk,Park,\"Saw Ana, laughed\"\n";

    #[test]
    fn a_custom_mood_must_be_mapped() {
        let mut options = ImportOptions::default();
        let err = parse("d.csv", CSV.as_bytes(), &options).expect_err("no map");
        assert!(err.to_string().contains("sunny-ish=N"), "{err}");
        options.mood_map = Some("Sunny-ish=4".parse().expect("map"));
        let parsed = parse("d.csv", CSV.as_bytes(), &options).expect("mapped");
        let e = &parsed.entries[0].new;
        assert_eq!(e.steadiness, Some(4));
        assert_eq!(e.body, "Park\n\nSaw Ana, laughed");
        assert!(e.tags.contains("walk") && e.tags.contains("friends"));
        assert!("rad=6".parse::<MoodMap>().is_err());
        assert_eq!(parse_time("12:10 AM"), Time::new(0, 10, 0, 0).ok());
    }
}
