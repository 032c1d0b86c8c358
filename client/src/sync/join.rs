//! Adding a device: the new device's join request, `device add` on an existing one.
//!
//! This is the simple, copy-and-paste flow: the new device prints its public
//! keys; an existing device signs a roster that includes them and wraps every
//! journal key to the new device. The relay carries both but can neither
//! forge the roster (it needs a member's signature) nor read the keys.
//! A later version replaces the copy step with a short pairing code.

use attune_crypto::{next_roster, verify_roster_chain, wrap_journal_key};
use attune_proto::{DeviceId, JournalId, RosterDevice, WrappedKey, WrappedKeys, WIRE_VERSION};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::sync::relay::RelayClient;
use crate::sync::state::SyncState;
use crate::sync::{sync_once, SyncError, SyncReport};
use crate::{JoiningDevice, Store};

const PREFIX: &str = "attune-join-v1.";

/// What a new device tells an existing one: its ids and public keys, never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// Format version.
    pub v: u8,
    /// The new device's id.
    pub device_id: DeviceId,
    /// Its Ed25519 public key.
    pub verifying_key: [u8; 32],
    /// Its age X25519 recipient.
    pub age_recipient: String,
    /// The name the writer gave it.
    pub name: String,
}

impl JoinRequest {
    /// The request of a device waiting to join.
    pub fn of(device: &JoiningDevice) -> Result<JoinRequest, SyncError> {
        Ok(JoinRequest {
            v: 1,
            device_id: device
                .config()
                .device_id
                .parse()
                .map_err(|e| SyncError::BadJoinRequest(format!("{e}")))?,
            verifying_key: device.identity().verifying_key(),
            age_recipient: device.identity().age_recipient(),
            name: device.config().device_name.clone(),
        })
    }

    /// One line to copy to the existing device.
    pub fn encode(&self) -> String {
        let bytes = postcard::to_allocvec(self).unwrap_or_default();
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Read a pasted request.
    pub fn decode(text: &str) -> Result<JoinRequest, SyncError> {
        let body = text.trim().strip_prefix(PREFIX).ok_or_else(|| {
            SyncError::BadJoinRequest("it should start with attune-join-v1.".into())
        })?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|e| SyncError::BadJoinRequest(e.to_string()))?;
        let req: JoinRequest =
            postcard::from_bytes(&bytes).map_err(|e| SyncError::BadJoinRequest(e.to_string()))?;
        if req.v != 1 {
            return Err(SyncError::BadJoinRequest(format!(
                "unsupported version {}",
                req.v
            )));
        }
        Ok(req)
    }

    /// The fingerprint both devices show, to compare by eye.
    pub fn fingerprint(&self) -> String {
        attune_crypto::fingerprint_of(&self.age_recipient, &self.verifying_key)
    }
}

/// On an existing device: add the requesting device to the roster and wrap every key for it.
pub async fn add_device(store: &mut Store, request: &JoinRequest) -> Result<(), SyncError> {
    // Sync first so the roster and keys are current and our own history is pushed.
    sync_once(store).await?;
    add_device_after_sync(store, request).await
}

/// [`add_device`] for a caller that has just synced.
pub(crate) async fn add_device_after_sync(
    store: &mut Store,
    request: &JoinRequest,
) -> Result<(), SyncError> {
    let mut state = SyncState::load(store)?;
    let journal: JournalId = store.config().journal_id.parse()?;
    let me: DeviceId = store.config().device_id.parse()?;
    let client = super::engine::connect(store, &state).await?;
    let latest = state.roster().cloned().ok_or(SyncError::NotInRoster)?;
    // The recipient must be a real age key before anything is published.
    let ring = store.keyring();
    let mut wrapped = Vec::new();
    for epoch in 1..=latest.epoch.0 {
        if let Some(key) = ring.get(attune_proto::Epoch(epoch)) {
            wrapped.push(WrappedKey {
                device_id: request.device_id,
                epoch: attune_proto::Epoch(epoch),
                blob: wrap_journal_key(key, epoch, std::slice::from_ref(&request.age_recipient))?,
            });
        }
    }
    if latest.device(request.device_id).is_none() {
        let mut devices = latest.devices.clone();
        devices.push(RosterDevice {
            device_id: request.device_id,
            verifying_key: request.verifying_key,
            age_recipient: request.age_recipient.clone(),
        });
        let roster = next_roster(store.identity(), me, &latest, devices, latest.epoch);
        client.put_roster(&roster).await?;
        state.rosters.push(roster);
        // The request told us its name; others learn it from its first envelope.
        state.devices.entry(request.device_id).or_default().name = Some(request.name.clone());
        verify_roster_chain(&state.rosters, journal).map_err(SyncError::Roster)?;
        state.save(store)?;
    }
    client
        .put_keys(&WrappedKeys {
            v: WIRE_VERSION,
            keys: wrapped,
        })
        .await?;
    Ok(())
}

/// On the new device: fetch the roster and keys, become a full device, pull the journal.
pub async fn finish_join(
    joining: JoiningDevice,
    journal_id: &str,
) -> Result<(Store, SyncReport), SyncError> {
    let journal: JournalId = journal_id.trim().parse()?;
    let device: DeviceId = joining.config().device_id.parse()?;
    let relay = joining.config().relay.clone().ok_or(SyncError::NoRelay)?;
    let client = RelayClient::connect(&relay, journal, device, joining.identity(), None).await?;
    let rosters = client.rosters().await?;
    let latest = verify_roster_chain(&rosters, journal).map_err(SyncError::Roster)?;
    if latest.device(device).is_none() {
        return Err(SyncError::NotInRoster);
    }
    let blobs: Vec<Vec<u8>> = client
        .keys()
        .await?
        .keys
        .into_iter()
        .filter(|k| k.device_id == device)
        .map(|k| k.blob)
        .collect();
    let mut store = joining.finish(&journal.to_string(), &blobs)?;
    let state = SyncState {
        rosters,
        ..SyncState::default()
    };
    state.save(&store)?;
    let report = sync_once(&mut store).await?;
    Ok((store, report))
}
