//! The timeline: entries newest first, a page at a time, filtered or searched.

use attune_client::Store;
use attune_core::{Entry, EntryId, Query};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::entries::{entry_value, parse_kind};
use crate::api::JsonBody;
use crate::error::ApiError;
use crate::journal::{day_end_ms, day_start_ms};
use crate::state::AppState;

/// A page of the timeline when the page does not say.
const DEFAULT_PAGE: usize = 50;
/// The longest page.
const MAX_PAGE: usize = 500;

/// The timeline's filters.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    kind: Option<String>,
    tag: Option<String>,
    person: Option<String>,
    since: Option<String>,
    until: Option<String>,
    deleted: bool,
    limit: Option<usize>,
    before: Option<String>,
    words: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Filters {
    fn query(&self) -> Result<Query, ApiError> {
        Ok(Query {
            kind: nonempty(&self.kind).map(|k| parse_kind(&k)).transpose()?,
            tag: nonempty(&self.tag),
            person: nonempty(&self.person),
            from_ms: nonempty(&self.since)
                .map(|d| day_start_ms(&d, "since"))
                .transpose()?,
            until_ms: nonempty(&self.until)
                .map(|d| day_end_ms(&d, "until"))
                .transpose()?,
            deleted: self.deleted,
            limit: None,
        })
    }

    fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }
}

/// Where the last page ended: `created_unix_ms:id`.
fn parse_cursor(text: &str) -> Result<(i64, EntryId), ApiError> {
    let bad = || ApiError::bad_request("before: not a cursor this API gave");
    let (ms, id) = text.split_once(':').ok_or_else(bad)?;
    Ok((
        ms.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

/// Newest first, older than `before`, at most `limit`, reading only the
/// months needed: a window of recent months widened until the page is full.
fn page(
    store: &mut Store,
    mut query: Query,
    before: Option<(i64, EntryId)>,
    limit: usize,
) -> Result<(Vec<Entry>, Option<String>), ApiError> {
    if let Some((ms, _)) = before {
        query.until_ms = Some(query.until_ms.map_or(ms + 1, |u| u.min(ms + 1)));
    }
    let older = |e: &Entry| before.is_none_or(|(ms, id)| (e.created.unix_ms, e.id) < (ms, id));
    let floor = query.from_ms;
    let top = query
        .until_ms
        .unwrap_or_else(|| attune_client::store::now_ms() + 86_400_000);
    let mut window_days = 62_i64;
    let entries = loop {
        let from = top - window_days * 86_400_000;
        let whole = floor.is_some_and(|f| f >= from) || window_days > 4_000;
        let mut q = query.clone();
        q.from_ms = if whole { floor } else { Some(from) };
        if whole && floor.is_none() {
            q.from_ms = None;
        }
        let found: Vec<Entry> = store.list(&q)?.into_iter().filter(|e| older(e)).collect();
        if found.len() > limit || whole {
            break found;
        }
        window_days *= 4;
    };
    let mut entries = entries;
    entries.sort_by_key(|e| std::cmp::Reverse((e.created.unix_ms, e.id)));
    let next = (entries.len() > limit).then(|| {
        let last = &entries[limit - 1];
        format!("{}:{}", last.created.unix_ms, last.id)
    });
    entries.truncate(limit);
    Ok((entries, next))
}

/// `POST /api/entries/list`.
pub async fn list(
    State(state): State<AppState>,
    JsonBody(filters): JsonBody<Filters>,
) -> Result<Json<Value>, ApiError> {
    let query = filters.query()?;
    let before = nonempty(&filters.before)
        .map(|c| parse_cursor(&c))
        .transpose()?;
    let limit = filters.limit();
    let (entries, next) = state
        .journal
        .with(move |store| page(store, query, before, limit))
        .await?;
    let entries: Vec<Value> = entries.iter().map(|e| entry_value(e, None)).collect();
    Ok(Json(json!({ "entries": entries, "next": next })))
}

/// `POST /api/entries/search`: the words travel in the body, never in a URL.
pub async fn search(
    State(state): State<AppState>,
    JsonBody(filters): JsonBody<Filters>,
) -> Result<Json<Value>, ApiError> {
    let words = nonempty(&filters.words)
        .ok_or_else(|| ApiError::bad_request("words: type what to look for"))?;
    let mut query = filters.query()?;
    query.limit = Some(filters.limit());
    let hits = state
        .journal
        .with(move |store| Ok(store.search(&words, &query)?))
        .await?;
    let entries: Vec<Value> = hits
        .iter()
        .map(|(e, snippet)| {
            let mut v = entry_value(e, None);
            v["snippet"] = json!(snippet);
            v
        })
        .collect();
    Ok(Json(json!({ "entries": entries })))
}
