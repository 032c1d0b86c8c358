//! Who belongs to the journal and with which keys: the roster the relay
//! serves, checked against the one this device trusts, and the journal keys,
//! accepted only when the signed roster commits to them.

use attune_crypto::{genesis_roster, verify_roster_chain, verify_roster_extends};
use attune_proto::{Epoch, ErrorCode, Roster, RosterDevice, WrappedKeys, WIRE_VERSION};

use crate::dir::layout::{GENESIS_FILE, INVITE_FILE};
use crate::sync::relay::RelayClient;
use crate::sync::report::SyncReport;
use crate::sync::state::{ids, SyncState};
use crate::sync::word::short;
use crate::sync::SyncError;
use crate::{Store, StoreError};

/// Keep the invite a relay that requires one wants before it creates this
/// journal; it is sent (as the `Attune-Invite` header) only with the genesis.
pub fn set_invite(store: &Store, invite: &str) -> Result<(), SyncError> {
    Ok(store.write_sealed_state(INVITE_FILE, invite.trim().as_bytes())?)
}

/// Authenticate to the relay, creating the journal there if this device made it.
pub async fn connect(store: &Store, state: &SyncState) -> Result<RelayClient, SyncError> {
    let relay = store.config().relay.clone().ok_or(SyncError::NoRelay)?;
    let (journal, device) = ids(store)?;
    let genesis = if state.rosters.is_empty() && !store.config().joined {
        Some(genesis(store)?)
    } else {
        None
    };
    let known = !state.rosters.is_empty();
    let invite = match &genesis {
        Some(_) => store
            .read_sealed_state(INVITE_FILE)?
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => None,
    };
    let invite = invite.as_deref();
    match RelayClient::connect_invited(&relay, journal, device, store.identity(), genesis, invite)
        .await
    {
        Err(SyncError::Refused { code, .. }) if code == ErrorCode::UnknownJournal && known => {
            Err(SyncError::WrongRelay(relay))
        }
        Err(SyncError::Refused {
            code: ErrorCode::NotInRoster,
            ..
        }) => Err(SyncError::NotInRoster),
        other => other,
    }
}

/// The genesis roster this journal was made with: signed by the recovery kit
/// at `init`. A journal made before that is given one signed by this device.
fn genesis(store: &Store) -> Result<Roster, SyncError> {
    if let Some(bytes) = store.read_sealed_state(GENESIS_FILE)? {
        return Roster::decode(&bytes)
            .map_err(|e| StoreError::damaged(&store.dir().join(GENESIS_FILE), e).into());
    }
    let (journal, device) = ids(store)?;
    let ring = store.keyring();
    let key = ring.get(Epoch(1)).ok_or_else(|| {
        StoreError::damaged(
            &store.dir().join(crate::dir::layout::KEYS_DIR),
            "the key of epoch 1 is missing",
        )
    })?;
    let mut devices = vec![RosterDevice {
        device_id: device,
        verifying_key: store.identity().verifying_key(),
        age_recipient: store.identity().age_recipient(),
    }];
    devices.extend(
        store
            .config()
            .recovery
            .as_ref()
            .and_then(|r| r.roster_device()),
    );
    Ok(genesis_roster(
        store.identity(),
        device,
        journal,
        devices,
        Epoch(1),
        key,
    ))
}

/// Check the relay's roster against the one this device trusts; fetch the
/// keys the roster commits to; tell the writer when the recovery kit was removed.
pub(crate) async fn refresh_roster(
    client: &RelayClient,
    store: &mut Store,
    state: &mut SyncState,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (journal, device) = ids(store)?;
    let served = client.rosters().await?;
    let latest = match state.roster() {
        None => verify_roster_chain(&served, journal)
            .map_err(SyncError::Roster)?
            .clone(),
        Some(trusted) => verify_roster_extends(trusted, &served)
            .map_err(SyncError::Roster)?
            .clone(),
    };
    // Keep the whole verified chain: old envelopes are checked against the
    // roster in force at their epoch, and keys against the version that
    // introduced their epoch.
    if state.rosters.is_empty() || latest.version > state.roster().map_or(0, |r| r.version) {
        verify_roster_chain(&served, journal).map_err(SyncError::Roster)?;
        state.rosters = served;
    }
    state.roster_fresh = true;
    if latest.device(device).is_none() {
        return Err(SyncError::NotInRoster);
    }
    let now = crate::store::now_ms() / 1000;
    for member in &latest.devices {
        let info = state.devices.entry(member.device_id).or_default();
        if info.added_unix.is_none() {
            info.added_unix = Some(now);
        }
    }
    report_kit_removal(store, state, report);
    state.save(store)?;
    if !store.holds_committed_key(latest.epoch, &state.rosters) {
        fetch_keys(client, store, state, report).await?;
    }
    if !store.holds_committed_key(latest.epoch, &state.rosters) {
        return Err(SyncError::StaleDevice(format!(
            "the journal is at key epoch {} and the relay offers this device no key for it that the signed device list commits to",
            latest.epoch.0
        )));
    }
    upload_recovery_keys(client, store, state, &latest).await?;
    Ok(())
}

/// Removing the recovery kit is a signed roster step any member may take;
/// every device says so (once), naming the device that did it, so that it
/// cannot happen unnoticed.
fn report_kit_removal(store: &Store, state: &mut SyncState, report: &mut SyncReport) {
    let Some(kit) = store
        .config()
        .recovery
        .as_ref()
        .and_then(|r| r.roster_device())
    else {
        return;
    };
    let Some(latest) = state.roster() else {
        return;
    };
    if latest.device(kit.device_id).is_some() {
        return;
    }
    let by = state
        .rosters
        .iter()
        .find(|r| r.revoked_device(kit.device_id).is_some())
        .map(|r| (r.version, short(r.signer)));
    if let Some((version, signer)) = by.filter(|(v, _)| *v > state.kit_removal_reported) {
        state.kit_removal_reported = version;
        report.problems.push(format!(
            "the recovery kit was removed from this journal by device {signer} (device list version {version}): the recovery words no longer restore it; if you did not do this, revoke that device"
        ));
    }
}

/// Wrap every journal key this device holds to the recovery device, once per epoch.
///
/// The relay keeps the first copy of each (device, epoch) and refuses to
/// replace it, so a copy that is already there is fine.
async fn upload_recovery_keys(
    client: &RelayClient,
    store: &Store,
    state: &mut SyncState,
    latest: &Roster,
) -> Result<(), SyncError> {
    let Some(recovery) = store
        .config()
        .recovery
        .as_ref()
        .and_then(|r| r.roster_device())
    else {
        return Ok(());
    };
    let member = latest.device(recovery.device_id);
    if state.recovery_epoch >= latest.epoch.0 || member != Some(&recovery) {
        return Ok(());
    }
    let keys = store.committed_keys_for(&recovery, latest.epoch, &state.rosters)?;
    for key in keys {
        let one = WrappedKeys {
            v: WIRE_VERSION,
            keys: vec![key],
        };
        match client.put_keys(&one).await {
            Ok(()) => {}
            Err(SyncError::Refused {
                code: ErrorCode::KeyExists,
                ..
            }) => {}
            Err(e) => return Err(e),
        }
    }
    state.recovery_epoch = latest.epoch.0;
    state.save(store)?;
    Ok(())
}

/// Fetch the journal keys wrapped to this device that it does not hold yet,
/// keeping only those the verified roster commits to.
async fn fetch_keys(
    client: &RelayClient,
    store: &mut Store,
    state: &SyncState,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (_, device) = ids(store)?;
    for wrapped in client.keys().await?.keys {
        if wrapped.device_id != device || store.holds_committed_key(wrapped.epoch, &state.rosters) {
            continue;
        }
        match store.accept_key(&wrapped, &state.rosters) {
            Ok(_) => {}
            Err(StoreError::Crypto(e)) => report.problems.push(format!(
                "refused the journal key the relay offered for epoch {}: {e}",
                wrapped.epoch.0
            )),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
