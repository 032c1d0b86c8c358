//! Devices and sync: status in words, rename this device, revoke another.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::JsonBody;
use crate::error::ApiError;
use crate::state::{guard, AppState};

/// `GET /api/status`: `attune status --json` and the live connection.
pub async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut status = state
        .journal
        .with(|store| Ok(attune_client::describe::status_json(store)?))
        .await?;
    let live = guard(&state.live).clone();
    status["live"] = json!({
        "connected": live.connected,
        "last_event_unix": live.last_event_unix,
        "problems": live.problems,
    });
    Ok(Json(status))
}

/// A new name.
#[derive(Deserialize)]
pub struct Rename {
    name: String,
}

/// `POST /api/device/rename`: the other devices learn it at the next sync.
pub async fn rename(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Rename>,
) -> Result<StatusCode, ApiError> {
    let name = body.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "name: give this device a name of 1 to 64 characters",
        ));
    }
    state
        .journal
        .with(move |store| {
            store.update_config(|c| c.device_name = name)?;
            store.queue_announcement()?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/devices/{id}/revoke`: out of the signed list, and a new journal key.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let journal = state.journal.clone();
    // The revocation talks to the relay: its own thread and runtime, like the CLI.
    let revoked = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "journal", e.to_string())
            })?;
        let mut store = journal.open()?;
        Ok(rt.block_on(attune_client::sync::revoke_device(&mut store, &id))?)
    })
    .await??;
    Ok(Json(json!({
        "device_id": revoked.device.to_string(),
        "epoch": revoked.epoch,
        "remaining": revoked.remaining,
    })))
}
