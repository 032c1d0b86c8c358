//! Kinds and single entries: read, write, edit, delete, restore.

use std::collections::BTreeMap;

use attune_client::portable::document::EntryRecord;
use attune_core::{Edit, Entry, EntryId, EntryKind, FieldValue, NewEntry};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::JsonBody;
use crate::error::ApiError;
use crate::journal::now;
use crate::state::{AppState, Event};

/// An entry as the API gives it: the CLI's JSON, `heavy`, and `version` when known.
pub(crate) fn entry_value(entry: &Entry, version: Option<&[[u8; 32]]>) -> Value {
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

pub(crate) fn parse_kind(text: &str) -> Result<EntryKind, ApiError> {
    EntryKind::parse(text).ok_or_else(|| ApiError::bad_request(format!("{text:?} is not a kind")))
}

/// `GET /api/kinds`.
pub async fn kinds() -> Json<Value> {
    Json(attune_client::describe::kinds_json())
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
