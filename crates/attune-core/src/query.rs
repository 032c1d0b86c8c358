//! Listing and searching materialised entries.

use crate::{Entry, EntryKind};

/// Which entries to list. Empty means every entry that is not deleted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// Created at or after this moment (UTC ms).
    pub from_ms: Option<i64>,
    /// Created before this moment (UTC ms).
    pub until_ms: Option<i64>,
    /// Only this kind.
    pub kind: Option<EntryKind>,
    /// Only entries with this tag (case-insensitive).
    pub tag: Option<String>,
    /// Only entries mentioning this person (case-insensitive).
    pub person: Option<String>,
    /// Show deleted entries instead of live ones.
    pub deleted: bool,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

impl Query {
    /// Whether `entry` passes every filter.
    pub fn matches(&self, entry: &Entry) -> bool {
        let t = entry.created.unix_ms;
        entry.deleted == self.deleted
            && self.from_ms.is_none_or(|from| t >= from)
            && self.until_ms.is_none_or(|until| t < until)
            && self.kind.is_none_or(|k| entry.kind == k)
            && self.tag.as_deref().is_none_or(|tag| {
                entry
                    .tags
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(tag) || t.to_lowercase() == tag.to_lowercase())
            })
            && self.person.as_deref().is_none_or(|p| {
                entry
                    .people
                    .iter()
                    .any(|q| q.to_lowercase() == p.to_lowercase())
            })
    }
}

/// Entries passing `query`, newest first.
pub fn list<'a>(entries: impl IntoIterator<Item = &'a Entry>, query: &Query) -> Vec<&'a Entry> {
    let mut out: Vec<&Entry> = entries.into_iter().filter(|e| query.matches(e)).collect();
    out.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    if let Some(limit) = query.limit {
        out.truncate(limit);
    }
    out
}

/// One search result: the entry and a short excerpt around the first match.
#[derive(Clone, Debug)]
pub struct SearchHit<'a> {
    /// The matching entry.
    pub entry: &'a Entry,
    /// Words around the first match.
    pub snippet: String,
}

/// Entries containing every word of `text` (case-insensitive) in any text, tag
/// or person, and passing `query`; newest first.
pub fn search<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    text: &str,
    query: &Query,
) -> Vec<SearchHit<'a>> {
    let terms: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    if terms.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<SearchHit<'a>> = entries
        .into_iter()
        .filter(|e| query.matches(e))
        .filter_map(|entry| {
            let lowered: Vec<(String, &str)> =
                entry.texts().map(|t| (t.to_lowercase(), t)).collect();
            let all = terms
                .iter()
                .all(|term| lowered.iter().any(|(l, _)| l.contains(term.as_str())));
            if !all {
                return None;
            }
            let snippet = lowered
                .iter()
                .find_map(|(l, original)| {
                    l.find(terms[0].as_str())
                        .map(|pos| snippet_around(original, l, pos))
                })
                .unwrap_or_default();
            Some(SearchHit { entry, snippet })
        })
        .collect();
    hits.sort_by(|a, b| {
        b.entry
            .created
            .cmp(&a.entry.created)
            .then(a.entry.id.cmp(&b.entry.id))
    });
    if let Some(limit) = query.limit {
        hits.truncate(limit);
    }
    hits
}

/// About 60 characters of `original` around byte `pos` of its lowercase twin.
fn snippet_around(original: &str, lowered: &str, pos: usize) -> String {
    // Lowercasing can change byte lengths; fall back to character counts.
    let char_pos = lowered[..pos].chars().count();
    let chars: Vec<char> = original.chars().collect();
    let start = char_pos.saturating_sub(30);
    let end = (char_pos + 30).min(chars.len());
    let mut s: String = chars[start.min(chars.len())..end].iter().collect();
    s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if start > 0 {
        s.insert(0, '…');
    }
    if end < chars.len() {
        s.push('…');
    }
    s
}
