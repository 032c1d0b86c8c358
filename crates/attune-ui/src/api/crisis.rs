//! Crisis help and the writer's safety plan: offline, one step from every page.

use attune_client::safety::{CRISIS_NOTE, SECTIONS};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/crisis`: the note always; the plan only while unlocked.
pub async fn crisis(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.is_locked() {
        return Ok(Json(json!({ "note": CRISIS_NOTE, "plan": null })));
    }
    let plan = state.journal.with(|store| Ok(store.safety_plan()?)).await?;
    let sections: Vec<Value> = SECTIONS
        .iter()
        .map(|(title, key)| {
            let items = plan.section(key);
            json!({ "key": key, "title": title, "items": items })
        })
        .collect();
    Ok(Json(
        json!({ "note": CRISIS_NOTE, "plan": { "sections": sections } }),
    ))
}

/// One section as the page sends it.
#[derive(Deserialize)]
pub struct Section {
    key: String,
    items: Vec<String>,
}

/// The plan as the page sends it.
#[derive(Deserialize)]
pub struct PlanBody {
    sections: Vec<Section>,
}

/// `PUT /api/crisis`: sections left out keep their items.
pub async fn save(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<StatusCode, ApiError> {
    if state.is_locked() {
        return Err(ApiError::new(
            StatusCode::LOCKED,
            "locked",
            "unlock to change the safety plan",
        ));
    }
    state
        .journal
        .with(move |store| {
            let mut plan = store.safety_plan()?;
            for section in body.sections {
                let items = plan.section_mut(&section.key).ok_or_else(|| {
                    ApiError::bad_request(format!("{:?} is not a section of the plan", section.key))
                })?;
                *items = section
                    .items
                    .iter()
                    .map(|i| i.trim().to_string())
                    .filter(|i| !i.is_empty())
                    .collect();
            }
            store.set_safety_plan(&plan)?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
