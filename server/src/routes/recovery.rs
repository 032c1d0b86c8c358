//! `GET /v1/recovery/{device}`: the journal a recovery kit belongs to.
//!
//! Words issued by `attune recovery rotate` derive a device id but not the
//! journal's id; this lookup gives the journal whose latest roster lists that
//! device. It answers only what the relay already stores next to the device
//! id (a 128-bit value derived from the words), and the answer is a hint: the
//! recovering device trusts the journal only if a roster version in its
//! verified chain is signed by the kit itself.

use attune_proto::{DeviceId, ErrorCode, RecoveryJournal, WIRE_VERSION};
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::extract::UnauthenticatedSlot;
use crate::state::AppState;
use crate::wire::Wire;

/// The journal whose latest roster lists the device of the path.
pub async fn journal_of_kit(
    _slot: UnauthenticatedSlot,
    State(state): State<AppState>,
    Path(device): Path<String>,
) -> Result<Wire<RecoveryJournal>, ApiError> {
    let device: DeviceId = device.parse().map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidDeviceId,
            "the device id must be 32 lowercase hex characters",
        )
    })?;
    let journal = state
        .storage
        .journal_of_member(device)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownMember,
                "no journal on this relay lists that device",
            )
        })?;
    Ok(Wire(RecoveryJournal {
        v: WIRE_VERSION,
        journal_id: journal,
    }))
}
