//! Kinds and entries: list, search, read, write, edit, delete, restore.

use std::collections::BTreeMap;

use attune_client::portable::document::EntryRecord;
use attune_client::Store;
use attune_core::{Edit, Entry, EntryId, EntryKind, FieldValue, NewEntry, Query};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::JsonBody;
use crate::error::ApiError;
use crate::journal::{day_end_ms, day_start_ms, now};
use crate::state::{AppState, Event};

/// A page of the timeline when the page does not say.
const DEFAULT_PAGE: usize = 50;
/// The longest page.
const MAX_PAGE: usize = 500;

/// An entry as the API gives it: the CLI's JSON, `heavy`, and `version` when known.
fn entry_value(entry: &Entry, version: Option<&[[u8; 32]]>) -> Value {
    let mut value = serde_json::to_value(EntryRecord::of(entry)).unwrap_or(Value::Null);
    value["heavy"] = json!(entry.is_heavy());
    if let Some(version) = version {
        value["version"] = json!(encode_version(version));
    }
    value
}

fn encode_version(version: &[[u8; 32]]) -> String {
    version
        .iter()
        .map(hex::encode)
        .collect::<Vec<_>>()
        .join(".")
}

fn decode_version(text: &str) -> Result<Vec<[u8; 32]>, ApiError> {
    let bad = || ApiError::bad_request("version: not a version this page was given");
    text.split('.')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let bytes = hex::decode(part).map_err(|_| bad())?;
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad())
        })
        .collect()
}

fn parse_id(text: &str) -> Result<EntryId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found("there is no such entry"))
}

fn parse_kind(text: &str) -> Result<EntryKind, ApiError> {
    EntryKind::parse(text).ok_or_else(|| ApiError::bad_request(format!("{text:?} is not a kind")))
}

/// `GET /api/kinds`.
pub async fn kinds() -> Json<Value> {
    Json(attune_client::describe::kinds_json())
}

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

/// `GET /api/entries/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let (entry, version) = state
        .journal
        .with(move |store| Ok((store.get(id)?, store.entry_version(id)?)))
        .await?;
    Ok(Json(entry_value(&entry, Some(&version))))
}

/// A field value as the page sends it: what a person would type.
fn field_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn parse_field(kind: EntryKind, key: &str, value: &Value) -> Result<Option<FieldValue>, ApiError> {
    let spec = kind.field(key)?;
    field_text(value)
        .map(|text| FieldValue::parse(spec, &text))
        .transpose()
        .map_err(ApiError::from)
}

fn labels(list: &[String]) -> std::collections::BTreeSet<String> {
    list.iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// A new entry as the page sends it.
#[derive(Deserialize)]
pub struct Written {
    kind: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    people: Vec<String>,
    #[serde(default)]
    steadiness: Option<u8>,
    #[serde(default)]
    fields: BTreeMap<String, Value>,
}

/// `POST /api/entries`.
pub async fn create(
    State(state): State<AppState>,
    JsonBody(written): JsonBody<Written>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let kind = parse_kind(&written.kind)?;
    let mut fields = BTreeMap::new();
    for (key, value) in &written.fields {
        if let Some(v) = parse_field(kind, key, value)? {
            fields.insert(key.clone(), v);
        }
    }
    let new = NewEntry {
        kind: Some(kind),
        body: written.body,
        notes: written.notes,
        tags: labels(&written.tags),
        people: labels(&written.people),
        steadiness: written.steadiness,
        fields,
    };
    let (entry, version) = state
        .journal
        .with(move |store| {
            let entry = store.create(now(), new)?;
            let version = store.entry_version(entry.id)?;
            Ok((entry, version))
        })
        .await?;
    state.notify(Event::Changed);
    Ok((
        StatusCode::CREATED,
        Json(entry_value(&entry, Some(&version))),
    ))
}

/// An edit as the page sends it: only what changed.
#[derive(Deserialize)]
pub struct Changed {
    version: String,
    body: Option<String>,
    notes: Option<String>,
    tags: Option<Vec<String>>,
    people: Option<Vec<String>>,
    #[serde(default, deserialize_with = "serde_with_null::deserialize")]
    steadiness: Option<Option<u8>>,
    kind: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, Value>,
}

mod serde_with_null {
    //! `steadiness` absent (no change) versus `null` (cleared).
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u8>>, D::Error> {
        Option::<u8>::deserialize(d).map(Some)
    }
}

fn edits_of(changed: &Changed, current: &Entry) -> Result<Vec<Edit>, ApiError> {
    let mut edits = Vec::new();
    let mut kind = current.kind;
    if let Some(k) = &changed.kind {
        kind = parse_kind(k)?;
        if kind != current.kind {
            edits.push(Edit::SetKind(kind));
        }
    }
    if let Some(body) = &changed.body {
        edits.push(Edit::SetBody(body.clone()));
    }
    if let Some(notes) = &changed.notes {
        edits.push(Edit::SetNotes(notes.clone()));
    }
    if let Some(tags) = &changed.tags {
        let new = labels(tags);
        edits.extend(current.tags.difference(&new).cloned().map(Edit::RemoveTag));
        edits.extend(new.difference(&current.tags).cloned().map(Edit::AddTag));
    }
    if let Some(people) = &changed.people {
        let new = labels(people);
        edits.extend(
            current
                .people
                .difference(&new)
                .cloned()
                .map(Edit::RemovePerson),
        );
        edits.extend(
            new.difference(&current.people)
                .cloned()
                .map(Edit::AddPerson),
        );
    }
    if let Some(s) = changed.steadiness {
        edits.push(Edit::SetSteadiness(s));
    }
    for (key, value) in &changed.fields {
        edits.push(Edit::SetField(key.clone(), parse_field(kind, key, value)?));
    }
    Ok(edits)
}

/// `PATCH /api/entries/{id}`: applied on top of the version the page showed.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(changed): JsonBody<Changed>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let version = decode_version(&changed.version)?;
    let (entry, version) = state
        .journal
        .with(move |store| {
            let current = store.get(id)?;
            let edits = edits_of(&changed, &current)?;
            let entry = store.edit_since(id, &version, now(), &edits)?;
            Ok((entry, store.entry_version(id)?))
        })
        .await?;
    state.notify(Event::Changed);
    Ok(Json(entry_value(&entry, Some(&version))))
}

async fn apply_one(state: &AppState, id: &str, edit: Edit) -> Result<Json<Value>, ApiError> {
    let id = parse_id(id)?;
    let (entry, version) = state
        .journal
        .with(move |store| {
            let entry = store.edit(id, now(), &[edit])?;
            Ok((entry, store.entry_version(id)?))
        })
        .await?;
    state.notify(Event::Changed);
    Ok(Json(entry_value(&entry, Some(&version))))
}

/// `DELETE /api/entries/{id}`: a tombstone; nothing is erased.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    apply_one(&state, &id, Edit::Delete).await
}

/// `POST /api/entries/{id}/restore`.
pub async fn restore(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    apply_one(&state, &id, Edit::Restore).await
}
