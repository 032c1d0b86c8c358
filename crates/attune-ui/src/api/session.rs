//! The session, the idle lock, live events and the sealed draft.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use crate::api::JsonBody;
use crate::error::ApiError;
use crate::state::{guard, AppState, Event};

/// The largest draft kept.
const DRAFT_LIMIT: usize = 256 * 1024;

/// `GET /api/session`.
pub async fn session(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let locked = state.is_locked();
    let (name, journal) = state
        .journal
        .with(|store| {
            Ok((
                store.config().device_name.clone(),
                store
                    .config()
                    .journal_id
                    .map(|j| j.to_string())
                    .unwrap_or_default(),
            ))
        })
        .await?;
    Ok(Json(json!({
        "device_name": name,
        "journal_id": journal,
        "passphrase_protected": state.passphrase_protected,
        "idle_lock_minutes": state.idle_after.as_secs_f64() / 60.0,
        "locked": locked,
    })))
}

/// `POST /api/activity`.
pub async fn activity(State(state): State<AppState>) -> StatusCode {
    state.touch();
    StatusCode::NO_CONTENT
}

/// `POST /api/lock`.
pub async fn lock(State(state): State<AppState>) -> StatusCode {
    state.lock_now();
    StatusCode::NO_CONTENT
}

/// The unlock request.
#[derive(Deserialize)]
pub struct Unlock {
    passphrase: Option<String>,
}

/// `POST /api/unlock`: the passphrase when the device has one.
pub async fn unlock(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Unlock>,
) -> Result<StatusCode, ApiError> {
    if state.passphrase_protected {
        let Some(pass) = body.passphrase.filter(|p| !p.is_empty()) else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_passphrase",
                "type this device's passphrase to unlock",
            ));
        };
        let dir = state.journal.dir().to_path_buf();
        let opened = tokio::task::spawn_blocking(move || {
            let pass = SecretString::from(pass);
            attune_client::store::load_identity(&dir, &mut || Ok(pass.clone()))
        })
        .await?;
        if opened.is_err() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_passphrase",
                "that passphrase does not open this journal",
            ));
        }
    }
    state.unlock();
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/events`: server-sent events for the pages.
pub async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let live = state.clone();
    let stream = BroadcastStream::new(state.events.subscribe()).filter_map(move |event| {
        let event = event.ok()?;
        let sse = match event {
            Event::Changed => SseEvent::default().event("changed").data("{}"),
            Event::Locked => SseEvent::default().event("locked").data("{}"),
            Event::Unlocked => SseEvent::default().event("unlocked").data("{}"),
            Event::Sync => {
                let status = guard(&live.live).clone();
                SseEvent::default().event("sync").data(
                    json!({
                        "last_sync_unix": status.last_event_unix,
                        "connected": status.connected,
                        "problems": status.problems,
                    })
                    .to_string(),
                )
            }
        };
        Some(Ok(sse))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// `GET /api/draft`.
pub async fn get_draft(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let draft = state.journal.with(|store| Ok(store.draft()?)).await?;
    let draft = draft
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .unwrap_or(Value::Null);
    Ok(Json(json!({ "draft": draft })))
}

/// `PUT /api/draft`: sealed with this device's at-rest key, never in the browser.
pub async fn put_draft(
    State(state): State<AppState>,
    JsonBody(draft): JsonBody<Value>,
) -> Result<StatusCode, ApiError> {
    if !draft.is_object() {
        return Err(ApiError::bad_request("a draft is a JSON object"));
    }
    let bytes = serde_json::to_vec(&draft).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if bytes.len() > DRAFT_LIMIT {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "a draft is kept up to 256 KiB; save it as an entry",
        ));
    }
    state
        .journal
        .with(move |store| Ok(store.set_draft(&bytes)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/draft`.
pub async fn delete_draft(State(state): State<AppState>) -> Result<StatusCode, ApiError> {
    state.journal.with(|store| Ok(store.clear_draft()?)).await?;
    Ok(StatusCode::NO_CONTENT)
}
