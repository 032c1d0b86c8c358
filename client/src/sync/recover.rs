//! `attune recover`: a new device from the recovery words alone.

use attune_crypto::{
    next_roster, unwrap_journal_key, verify_roster_chain, wrap_journal_key, RecoverySecret,
};
use attune_proto::{DeviceId, JournalId, RosterDevice, WrappedKey, WrappedKeys, WIRE_VERSION};

use crate::config::RecoveryDevice;
use crate::sync::relay::RelayClient;
use crate::sync::{finish_join, SyncError, SyncReport};
use crate::{InitOptions, JoiningDevice, Store};

/// Restore a working device in `dir` from the recovery words, through `relay`.
///
/// Everything is checked (the words, the journal on the relay, the roster,
/// every key) before anything is written to `dir`; wrong words write nothing.
pub async fn recover(
    dir: &std::path::Path,
    words: &str,
    relay: &str,
    options: InitOptions,
) -> Result<(Store, SyncReport), SyncError> {
    let secret = RecoverySecret::from_words(words)?;
    let journal = JournalId(secret.journal_id());
    let recovery_id = DeviceId(secret.device_id());
    let recovery = secret.identity()?;
    let client = match RelayClient::connect(relay, journal, recovery_id, &recovery, None).await {
        Err(SyncError::Refused { code, .. }) if code == "unknown_journal" => {
            return Err(SyncError::NoSuchJournal);
        }
        other => other?,
    };
    let rosters = client.rosters().await?;
    let latest = verify_roster_chain(&rosters, journal)
        .map_err(SyncError::Roster)?
        .clone();
    if latest.device(recovery_id).is_none() {
        return Err(SyncError::NotInRoster);
    }
    let mut keys = Vec::new();
    for wrapped in client.keys().await?.keys {
        if wrapped.device_id == recovery_id {
            keys.push(unwrap_journal_key(&wrapped.blob, &recovery)?);
        }
    }
    if !keys.iter().any(|(epoch, _)| *epoch == latest.epoch.0) {
        return Err(SyncError::StaleDevice(format!(
            "the relay holds no key of the journal's current epoch {} for the recovery kit",
            latest.epoch.0
        )));
    }

    // Checks passed: create the new device and let the recovery kit add it.
    // If anything fails from here on, the half-made device directory goes away.
    let joining = JoiningDevice::create(dir, options, relay)?;
    let result = add_and_join(
        joining,
        &client,
        &recovery,
        recovery_id,
        &latest,
        &keys,
        journal,
    )
    .await;
    let (mut store, report) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(dir);
            return Err(e);
        }
    };
    // This device knows the kit now: it keeps wrapping new epochs to it.
    let public = RecoveryDevice::of(&secret)?;
    store.update_config(|c| c.recovery = Some(public))?;
    Ok((store, report))
}

async fn add_and_join(
    joining: JoiningDevice,
    client: &RelayClient,
    recovery: &attune_crypto::DeviceIdentity,
    recovery_id: DeviceId,
    latest: &attune_proto::Roster,
    keys: &[(u32, attune_crypto::JournalKey)],
    journal: JournalId,
) -> Result<(Store, SyncReport), SyncError> {
    let me: DeviceId = joining.config().device_id.parse()?;
    let mut devices = latest.devices.clone();
    devices.push(RosterDevice {
        device_id: me,
        verifying_key: joining.identity().verifying_key(),
        age_recipient: joining.identity().age_recipient(),
    });
    let roster = next_roster(recovery, recovery_id, latest, devices, latest.epoch);
    let mut wrapped = Vec::new();
    for (epoch, key) in keys {
        wrapped.push(WrappedKey {
            device_id: me,
            epoch: attune_proto::Epoch(*epoch),
            blob: wrap_journal_key(
                key,
                *epoch,
                std::slice::from_ref(&joining.identity().age_recipient()),
            )?,
        });
    }
    // The relay stores keys only for devices of the latest roster: roster first.
    client.put_roster(&roster).await?;
    client
        .put_keys(&WrappedKeys {
            v: WIRE_VERSION,
            keys: wrapped,
        })
        .await?;
    finish_join(joining, &journal.to_string()).await
}
