//! How entries look: plain words for people, stable JSON for scripts.

use attune_core::{Entry, EntryKind, FieldValue, Timestamp};
use serde_json::{json, Value};

use crate::cli::safe;

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2026-12-02T10:00:00+01:00`, in the writer's offset at the time.
pub fn rfc3339(t: Timestamp) -> String {
    let local_ms = t.unix_ms + i64::from(t.offset_minutes) * 60_000;
    let (y, m, d) = t.local_date();
    let secs_of_day = local_ms.rem_euclid(86_400_000) / 1000;
    let sign = if t.offset_minutes < 0 { '-' } else { '+' };
    let off = t.offset_minutes.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60,
        off / 60,
        off % 60
    )
}

/// `Tue 2 Dec 2026, 10:00`, for people.
pub fn friendly(t: Timestamp) -> String {
    let local_ms = t.unix_ms + i64::from(t.offset_minutes) * 60_000;
    let days = local_ms.div_euclid(86_400_000);
    let (y, m, d) = t.local_date();
    let secs_of_day = local_ms.rem_euclid(86_400_000) / 1000;
    format!(
        "{} {d} {} {y}, {:02}:{:02}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(m as usize).saturating_sub(1) % 12],
        secs_of_day / 3600,
        secs_of_day / 60 % 60
    )
}

fn field_json(value: &FieldValue) -> Value {
    match value {
        FieldValue::Text(s) => json!(s),
        FieldValue::Int(n) => json!(n),
        FieldValue::Real(n) => json!(n),
        FieldValue::Answer(v) => json!(v.key()),
        FieldValue::Setting(v) => json!(v.key()),
        FieldValue::Technique(v) => json!(v.key()),
        FieldValue::SessionFormat(v) => json!(v.key()),
        FieldValue::Modality(v) => json!(v.key()),
        FieldValue::WinType(v) => json!(v.key()),
        // Written by a newer Attune: this build cannot read it (documented in docs/CLI.md).
        FieldValue::Newer => json!("newer"),
    }
}

/// The stable JSON shape of an entry (documented in docs/CLI.md).
pub fn entry_json(e: &Entry) -> Value {
    let fields: serde_json::Map<String, Value> = e
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), field_json(v)))
        .collect();
    json!({
        "id": e.id.to_string(),
        "kind": e.kind.key(),
        "schema_version": e.schema_version,
        "created": rfc3339(e.created),
        "created_unix_ms": e.created.unix_ms,
        "edited": rfc3339(e.edited),
        "edited_unix_ms": e.edited.unix_ms,
        "body": e.body,
        "notes": e.notes,
        "tags": e.tags,
        "people": e.people,
        "steadiness": e.steadiness,
        "fields": fields,
        "deleted": e.deleted,
    })
}

/// Each name of a set made safe for one line, joined by `sep`.
fn safe_join<'a>(names: impl IntoIterator<Item = &'a String>, sep: &str) -> String {
    names
        .into_iter()
        .map(|n| safe::line(n))
        .collect::<Vec<_>>()
        .join(sep)
}

/// One line per entry for `list` and `search`, safe to print to a terminal.
pub fn entry_line(e: &Entry) -> String {
    let mut who = String::new();
    if !e.people.is_empty() {
        who = format!(" · {}", safe_join(&e.people, ", "));
    }
    let tags = if e.tags.is_empty() {
        String::new()
    } else {
        format!(" #{}", safe_join(&e.tags, " #"))
    };
    let summary = safe::line(&e.summary(60)).into_owned();
    format!(
        "{}  {:<22} {:<15}{who}{tags}{}",
        e.id.short(),
        friendly(e.created),
        e.kind.label(),
        if summary.is_empty() {
            String::new()
        } else {
            format!("  {summary}")
        }
    )
}

/// The whole entry for `show`, safe to print to a terminal.
pub fn entry_full(e: &Entry) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} · {}\n", e.kind.label(), friendly(e.created)));
    out.push_str(&format!("id {}\n", e.id));
    if e.edited != e.created {
        out.push_str(&format!("edited {}\n", friendly(e.edited)));
    }
    if e.deleted {
        out.push_str("(deleted — `attune restore` brings it back)\n");
    }
    if !e.people.is_empty() {
        out.push_str(&format!("people: {}\n", safe_join(&e.people, ", ")));
    }
    if !e.tags.is_empty() {
        out.push_str(&format!("tags: {}\n", safe_join(&e.tags, ", ")));
    }
    if let Some(s) = e.steadiness {
        out.push_str(&format!("steadiness: {s} of 5\n"));
    }
    for spec in e.kind.fields() {
        if let Some(v) = e.fields.get(spec.key) {
            out.push_str(&format!(
                "\n{}\n  {}\n",
                spec.prompt,
                safe::block(&v.display()).replace('\n', "\n  ")
            ));
        }
    }
    if !e.body.is_empty() {
        out.push_str(&format!("\n{}\n", safe::block(&e.body)));
    }
    if !e.notes.is_empty() {
        out.push_str(&format!("\nnotes: {}\n", safe::block(&e.notes)));
    }
    out
}

/// A description of every kind and its fields, for `attune kinds`.
pub fn kinds_text() -> String {
    let mut out = String::new();
    for kind in EntryKind::ALL {
        out.push_str(&format!("{}\n  {}\n", kind.key(), kind.intro()));
        for spec in kind.fields() {
            out.push_str(&format!(
                "    --field {}=…  {} ({})\n",
                spec.key,
                spec.prompt,
                attune_core::describe(spec.ty)
            ));
        }
    }
    out.push_str(
        "\nEvery kind also takes --body, --notes, --person, --tag and --steadiness (1–5).\n",
    );
    out
}

/// Every kind, its fields, their types and choices, as stable JSON.
pub fn kinds_json() -> Value {
    attune_client::describe::kinds_json()
}

/// Prints the 24 recovery words, numbered in rows of six, and how to keep them.
pub fn print_recovery_words(words: &str) {
    println!();
    println!("Your recovery words (shown only now):");
    println!();
    for (i, line) in words.split(' ').collect::<Vec<_>>().chunks(6).enumerate() {
        let numbered: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(j, w)| format!("{:>2}. {w:<9}", i * 6 + j + 1))
            .collect();
        println!("  {}", numbered.join(" ").trim_end());
    }
    println!();
    println!("Write them on paper and keep them somewhere safe, offline. If every device");
    println!("is lost, `attune recover --relay URL` and these words bring the journal back");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_the_writers_offset() {
        let t = Timestamp::new(1_764_666_000_000, 60); // 2025-12-02T09:00Z
        assert_eq!(rfc3339(t), "2025-12-02T10:00:00+01:00");
        assert_eq!(friendly(t), "Tue 2 Dec 2025, 10:00");
        assert_eq!(
            rfc3339(Timestamp::new(0, -330)),
            "1969-12-31T18:30:00-05:30"
        );
    }
}
