//! `attune recover`: a new device from the recovery words alone.

use attune_crypto::{
    accept_wrapped_key, next_roster, verify_roster_chain, wrap_journal_key, JournalKey,
    RecoverySecret, RosterChange,
};
use attune_proto::{
    DeviceId, DeviceSeq, Epoch, ErrorCode, JournalId, RosterDevice, RosterUpdate, WrappedKey,
    WIRE_VERSION,
};

use crate::config::RecoveryDevice;
use crate::sync::devices::join::JoinTicket;
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
    let recovery_id = DeviceId(secret.device_id());
    let recovery = secret.identity()?;
    // Words shown at `init` derive their journal's id; words from `attune
    // recovery rotate` find it through their device (a hint, checked below).
    let mut journal = JournalId(secret.journal_id());
    let mut connected = RelayClient::connect(relay, journal, recovery_id, &recovery, None).await;
    if matches!(
        &connected,
        Err(SyncError::Refused {
            code: ErrorCode::UnknownJournal,
            ..
        })
    ) {
        if let Some(found) = journal_of_kit(relay, recovery_id).await? {
            journal = found;
            connected = RelayClient::connect(relay, journal, recovery_id, &recovery, None).await;
        }
    }
    let client = match connected {
        Err(SyncError::Refused {
            code: ErrorCode::UnknownJournal,
            ..
        }) => return Err(SyncError::NoSuchJournal),
        // The kit was removed (or the words rotated): they restore nothing new.
        Err(SyncError::Refused {
            code: ErrorCode::NotInRoster,
            ..
        }) => return Err(SyncError::RecoveryKitRemoved),
        other => other?,
    };
    let rosters = client.rosters().await?;
    let latest = verify_roster_chain(&rosters, journal)
        .map_err(SyncError::Roster)?
        .clone();
    // A version of the chain must be signed by the recovery kit itself (the
    // genesis for the words `init` shows; the version that removed the old
    // kit for rotated ones): a relay cannot make one up, so it cannot show us
    // a journal of its own.
    if !rosters.iter().any(|r| r.signer == recovery_id) {
        return Err(SyncError::Roster(
            attune_crypto::CryptoError::RosterNotVouchedFor,
        ));
    }
    if latest.device(recovery_id).is_none() {
        return Err(SyncError::RecoveryKitRemoved);
    }
    // Only keys the signed roster commits to; a bad blob (planted by a member
    // or the relay) is skipped, never a reason to give up.
    let mut keys = Vec::new();
    for wrapped in client.keys().await?.keys {
        if wrapped.device_id == recovery_id {
            if let Ok(key) = accept_wrapped_key(&wrapped.blob, &recovery, &rosters, wrapped.epoch) {
                keys.push((wrapped.epoch.0, key));
            }
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
    let me = joining.config().device_id;
    let mut devices = latest.devices.clone();
    devices.push(RosterDevice {
        device_id: me,
        verifying_key: joining.identity().verifying_key(),
        age_recipient: joining.identity().age_recipient(),
    });
    let current: &JournalKey = keys
        .iter()
        .find(|(epoch, _)| *epoch == latest.epoch.0)
        .map(|(_, key)| key)
        .ok_or(SyncError::NotInRoster)?;
    let roster = next_roster(
        recovery,
        recovery_id,
        latest,
        RosterChange {
            devices,
            epoch: latest.epoch,
            key: current,
            last_envelopes: &|_| (DeviceSeq(0), [0; 32]),
        },
    );
    let mut wrapped = Vec::new();
    for (epoch, key) in keys {
        wrapped.push(WrappedKey {
            device_id: me,
            epoch: Epoch(*epoch),
            blob: wrap_journal_key(
                key,
                *epoch,
                std::slice::from_ref(&joining.identity().age_recipient()),
            )?,
        });
    }
    let ticket = JoinTicket {
        journal,
        roster_head: roster.hash(),
    };
    client
        .put_roster(&RosterUpdate {
            v: WIRE_VERSION,
            roster,
            keys: wrapped,
        })
        .await?;
    finish_join(joining, &ticket).await
}

/// The journal whose latest roster lists the kit's device, as the relay says.
async fn journal_of_kit(relay: &str, kit: DeviceId) -> Result<Option<JournalId>, SyncError> {
    use crate::sync::bounded::{read_capped, refusal, ReadLimits};
    use crate::sync::relay::{http_client, network, trim_base};
    let url = format!(
        "{}{}",
        trim_base(relay),
        attune_proto::routes::recovery(kit)
    );
    let response = http_client()?.get(&url).send().await.map_err(network)?;
    let limits = ReadLimits::default();
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(refusal(response, limits.error_bytes).await);
    }
    let body = read_capped(response, "a recovery lookup", limits.response_bytes).await?;
    Ok(Some(
        attune_proto::RecoveryJournal::decode(&body)?.journal_id,
    ))
}
