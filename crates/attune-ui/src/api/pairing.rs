//! Pairing a new device from the page: the code and its QR code, the new
//! device's name and fingerprint to confirm, and the outcome. The journal is
//! not held while the code waits (see `attune_client::sync::pair_device`).

use std::sync::mpsc;
use std::time::Duration;

use attune_client::sync::PairingOffer;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::JsonBody;
use crate::error::ApiError;
use crate::pairing::Stage;
use crate::state::{guard, AppState, Shared};

/// How long the new device's name waits for the person's answer.
const CONFIRM_WAIT: Duration = Duration::from_secs(300);

fn set_stage(shared: &Shared, stage: Stage) {
    guard(&shared.pairing).stage = stage;
}

/// `POST /api/pairing`: start, and answer with the code once the relay gave one.
pub async fn start(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (decide, decision) = mpsc::channel::<bool>();
    {
        let mut pairing = guard(&state.pairing);
        if pairing.running() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "busy",
                "a pairing is already waiting; cancel it first",
            ));
        }
        pairing.stage = Stage::Waiting;
        pairing.decision = Some(decide);
    }
    let (offer_tx, offer_rx) = tokio::sync::oneshot::channel::<PairingOffer>();
    let shared = state.clone();
    std::thread::spawn(move || run(shared, offer_tx, decision));
    let offer = match tokio::time::timeout(Duration::from_secs(30), offer_rx).await {
        Ok(Ok(offer)) => offer,
        _ => {
            let message = match &guard(&state.pairing).stage {
                Stage::Failed { message } => message.clone(),
                _ => "the relay did not answer in time".to_string(),
            };
            return Err(ApiError::new(StatusCode::BAD_GATEWAY, "sync", message));
        }
    };
    let relay = state
        .journal
        .with(|store| Ok(store.config().relay.clone().unwrap_or_default()))
        .await?;
    let qr_svg = qrcode::QrCode::new(offer.code.as_bytes())
        .map(|qr| {
            qr.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(192, 192)
                .build()
        })
        .unwrap_or_default();
    Ok(Json(json!({
        "code": offer.code,
        "expires_unix": offer.expires_unix,
        "qr_svg": qr_svg,
        "relay": relay,
    })))
}

fn run(
    shared: AppState,
    offer_tx: tokio::sync::oneshot::Sender<PairingOffer>,
    decision: mpsc::Receiver<bool>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        set_stage(
            &shared,
            Stage::Failed {
                message: "could not start the network runtime".into(),
            },
        );
        return;
    };
    let journal = shared.journal.clone();
    let mut open = move || journal.open();
    let confirm_shared = shared.clone();
    let result = rt.block_on(attune_client::sync::pair_device(
        &mut open,
        |offer| {
            let _ = offer_tx.send(offer.clone());
        },
        |request| {
            set_stage(
                &confirm_shared,
                Stage::Confirm {
                    name: request.name.clone(),
                    fingerprint: request.fingerprint(),
                },
            );
            let accept = decision.recv_timeout(CONFIRM_WAIT).unwrap_or(false);
            if accept {
                set_stage(&confirm_shared, Stage::Adding);
            }
            accept
        },
    ));
    let stage = match result {
        Ok(request) => Stage::Added { name: request.name },
        Err(e) => Stage::Failed {
            message: e.to_string(),
        },
    };
    let mut pairing = guard(&shared.pairing);
    pairing.stage = stage;
    pairing.decision = None;
    drop(pairing);
    shared.notify(crate::state::Event::Sync);
}

/// `GET /api/pairing`.
pub async fn get(State(state): State<AppState>) -> Json<Value> {
    let stage = guard(&state.pairing).stage.clone();
    Json(match stage {
        Stage::None => json!({ "state": "none" }),
        Stage::Waiting => json!({ "state": "waiting" }),
        Stage::Confirm { name, fingerprint } => {
            json!({ "state": "confirm", "name": name, "fingerprint": fingerprint })
        }
        Stage::Adding => json!({ "state": "adding" }),
        Stage::Added { name } => json!({ "state": "added", "name": name }),
        Stage::Failed { message } => json!({ "state": "failed", "message": message }),
    })
}

/// The person's answer.
#[derive(Deserialize)]
pub struct Decision {
    accept: bool,
}

/// `POST /api/pairing/confirm`.
pub async fn confirm(
    State(state): State<AppState>,
    JsonBody(decision): JsonBody<Decision>,
) -> Result<StatusCode, ApiError> {
    let pairing = guard(&state.pairing);
    if !matches!(pairing.stage, Stage::Confirm { .. }) {
        return Err(ApiError::bad_request(
            "no new device is waiting for an answer",
        ));
    }
    if let Some(decide) = &pairing.decision {
        let _ = decide.send(decision.accept);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/pairing`: a waiting code is declined as soon as the new device answers.
pub async fn cancel(State(state): State<AppState>) -> StatusCode {
    let mut pairing = guard(&state.pairing);
    if let Some(decide) = pairing.decision.take() {
        let _ = decide.send(false);
    }
    pairing.stage = Stage::None;
    StatusCode::NO_CONTENT
}
