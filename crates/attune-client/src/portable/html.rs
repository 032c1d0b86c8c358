//! A page for someone else (a therapist, a group): one self-contained HTML
//! file, no network, no script, printable and readable at 200 % zoom.
//!
//! It holds only the chosen entries' kind, date, steadiness, body and
//! fields. Notes, tags and deleted entries never go in; people's names are
//! left out (from the people lists and from the text) unless kept on
//! purpose. A header says what was left out.

use attune_core::{Entry, EntryKind};

use super::document::rfc3339;

/// What the writer chose to share, for the page's header.
#[derive(Clone, Debug, Default)]
pub struct Sharing {
    /// Keep people's names.
    pub keep_people: bool,
    /// The kinds chosen (empty: every kind).
    pub kinds: Vec<EntryKind>,
    /// The date range chosen, as the writer typed it.
    pub since: Option<String>,
    /// Up to (not including) this date.
    pub until: Option<String>,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// `text` with every name in `names` replaced (longest names first).
fn without_names(text: &str, names: &[String]) -> String {
    let mut out = text.to_string();
    for name in names {
        out = out.replace(name.as_str(), "(someone)");
    }
    out
}

const STYLE: &str = "body{font-family:Georgia,serif;font-size:1.1rem;line-height:1.55;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.6rem}h2{font-size:1.15rem;margin:0}header{border-bottom:1px solid #999;margin-bottom:1.5rem}\
article{border-top:1px solid #ccc;padding:0.8rem 0;break-inside:avoid}p{white-space:pre-wrap;margin:0.4rem 0}\
dl{margin:0.4rem 0}dt{font-style:italic}dd{margin:0 0 0.3rem 1.2rem}.meta{color:#555;font-size:0.95rem}\
@media print{body{margin:0;max-width:none}a{color:inherit}}";

/// The page for `entries` (already chosen and filtered), made at `now`.
pub fn page(entries: &[Entry], sharing: &Sharing, now: attune_core::Timestamp) -> String {
    let mut names: Vec<String> = entries
        .iter()
        .flat_map(|e| e.people.iter().cloned())
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names.dedup();
    let scrub = |text: &str| {
        if sharing.keep_people {
            escape(text)
        } else {
            escape(&without_names(text, &names))
        }
    };
    let mut left_out = vec![
        "private notes",
        "tags",
        "deleted entries",
        "the safety plan",
    ];
    if !sharing.keep_people {
        left_out.insert(0, "people's names (shown as “(someone)”)");
    }
    let kinds = if sharing.kinds.is_empty() {
        "every kind".to_string()
    } else {
        let chosen: Vec<&str> = sharing.kinds.iter().map(|k| k.label()).collect();
        let other: Vec<&str> = EntryKind::ALL
            .iter()
            .filter(|k| !sharing.kinds.contains(k))
            .map(|k| k.label())
            .collect();
        format!(
            "only {} (left out: {})",
            chosen.join(", "),
            other.join(", ")
        )
    };
    let range = match (&sharing.since, &sharing.until) {
        (None, None) => "all dates".to_string(),
        (Some(s), None) => format!("from {s}"),
        (None, Some(u)) => format!("before {u}"),
        (Some(s), Some(u)) => format!("from {s}, before {u}"),
    };
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Journal entries shared from Attune</title><style>{STYLE}</style></head><body>\n\
         <header><h1>Journal entries shared from Attune</h1>\
         <p class=\"meta\">{} entries · {} · {} · made {}</p>\
         <p class=\"meta\">Left out: {}.</p></header>\n",
        entries.len(),
        escape(&kinds),
        escape(&range),
        escape(&rfc3339(now)),
        escape(&left_out.join(", "))
    );
    for e in entries.iter().filter(|e| !e.deleted) {
        html.push_str(&format!(
            "<article><h2>{} · {}</h2>",
            escape(e.kind.label()),
            escape(&rfc3339(e.created).replace('T', " "))
        ));
        if let Some(s) = e.steadiness {
            html.push_str(&format!("<p class=\"meta\">Steadiness {s} of 5</p>"));
        }
        if sharing.keep_people && !e.people.is_empty() {
            let people: Vec<&str> = e.people.iter().map(String::as_str).collect();
            html.push_str(&format!(
                "<p class=\"meta\">With {}</p>",
                escape(&people.join(", "))
            ));
        }
        if !e.body.trim().is_empty() {
            html.push_str(&format!("<p>{}</p>", scrub(e.body.trim())));
        }
        let fields: Vec<String> = e
            .kind
            .fields()
            .iter()
            .filter_map(|spec| {
                let value = e.fields.get(spec.key)?.display();
                (!value.trim().is_empty())
                    .then(|| format!("<dt>{}</dt><dd>{}</dd>", escape(spec.prompt), scrub(&value)))
            })
            .collect();
        if !fields.is_empty() {
            html.push_str(&format!("<dl>{}</dl>", fields.concat()));
        }
        html.push_str("</article>\n");
    }
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use attune_core::{EntryId, Timestamp};

    #[test]
    fn names_and_notes_stay_home_unless_asked() {
        let t = Timestamp::new(1_796_204_552_000, 60);
        let entry = Entry {
            id: EntryId([1; 16]),
            kind: EntryKind::Session,
            schema_version: 1,
            created: t,
            edited: t,
            body: "Talked about Ana <and> me.".into(),
            notes: "private thought".into(),
            tags: ["secret-tag".to_string()].into(),
            people: ["Ana".to_string()].into(),
            steadiness: Some(3),
            fields: Default::default(),
            deleted: false,
        };
        let shared = page(std::slice::from_ref(&entry), &Sharing::default(), t);
        assert!(!shared.contains("Ana") && shared.contains("(someone)"));
        assert!(shared.contains("&lt;and&gt;"));
        assert!(!shared.contains("private thought") && !shared.contains("secret-tag"));
        assert!(!shared.contains("<script") && !shared.contains("http"));
        let kept = page(
            &[entry],
            &Sharing {
                keep_people: true,
                ..Sharing::default()
            },
            t,
        );
        assert!(kept.contains("With Ana"));
    }
}
