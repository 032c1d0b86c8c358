//! Stable JSON descriptions for front ends: the kinds and their questions,
//! and the sync status (`attune kinds --json`, `attune status --json` and the
//! web UI's API print exactly these; docs/CLI.md documents them).

use attune_core::{EntryKind, FieldType};
use serde_json::{json, Value};

use crate::sync::{SyncError, SyncState};
use crate::Store;

/// Every kind with its intro and its questions, in the order they are asked.
pub fn kinds_json() -> Value {
    let kinds: Vec<Value> = EntryKind::ALL
        .iter()
        .map(|kind| {
            let fields: Vec<Value> = kind
                .fields()
                .iter()
                .map(|spec| {
                    let mut field = json!({ "key": spec.key, "prompt": spec.prompt });
                    match spec.ty {
                        FieldType::Text => field["type"] = json!("text"),
                        FieldType::Int { min, max } => {
                            field["type"] = json!("int");
                            field["min"] = json!(min);
                            field["max"] = json!(max);
                        }
                        FieldType::Real { min, max } => {
                            field["type"] = json!("real");
                            field["min"] = json!(min);
                            field["max"] = json!(max);
                        }
                        FieldType::Choice(set) => {
                            field["type"] = json!("choice");
                            field["choices"] = set
                                .options()
                                .iter()
                                .map(|(key, label)| json!({ "key": key, "label": label }))
                                .collect();
                        }
                    }
                    field
                })
                .collect();
            json!({ "kind": kind.key(), "code": kind.code(), "intro": kind.intro(), "fields": fields })
        })
        .collect();
    Value::Array(kinds)
}

/// The journal, this device, the relay, what waits to be sent, the devices
/// of the signed list (with the names they announced) and the last sync's problems.
pub fn status_json(store: &Store) -> Result<Value, SyncError> {
    let state = SyncState::load(store)?;
    let (changes, envelopes) = store.pending_counts()?;
    let me = store.config().device_id;
    let recovery = store.config().recovery.as_ref().map(|r| r.device_id);
    let devices: Vec<Value> = state
        .roster()
        .map(|r| {
            r.devices
                .iter()
                .map(|d| {
                    let info = state.devices.get(&d.device_id).cloned().unwrap_or_default();
                    let this = d.device_id == me;
                    json!({
                        "device_id": d.device_id.to_string(),
                        "name": if this {
                            Some(store.config().device_name.clone())
                        } else if recovery == Some(d.device_id) {
                            Some("recovery kit".to_string())
                        } else {
                            info.name
                        },
                        "fingerprint": attune_crypto::fingerprint_of(&d.age_recipient, &d.verifying_key),
                        "this_device": this,
                        "recovery_kit": recovery == Some(d.device_id),
                        "added_unix": info.added_unix,
                        "last_seen_unix": info.last_seen_unix,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({
        "journal_id": store.config().journal_id.map(|j| j.to_string()).unwrap_or_default(),
        "device_id": me,
        "device_name": store.config().device_name,
        "fingerprint": store.identity().fingerprint(),
        "relay": store.config().relay,
        "last_sync_unix": state.last_sync_unix,
        "pending_changes": changes,
        "pending_envelopes": envelopes,
        "cursor": state.cursor,
        "devices": devices,
        "problems": state.problems,
    }))
}
