//! Removing a device: a new journal key only the remaining devices receive.

use attune_crypto::{next_roster, verify_roster_chain, wrap_journal_key, JournalKey, RosterChange};
use attune_proto::{
    DeviceId, DeviceSeq, Epoch, RosterDevice, RosterUpdate, WrappedKey, WIRE_VERSION,
};

use crate::sync::state::SyncState;
use crate::sync::{sync_once, SyncError};
use crate::Store;

/// What a revocation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The device that was removed.
    pub device: DeviceId,
    /// The new key epoch, which the removed device does not hold.
    pub epoch: u32,
    /// How many devices remain.
    pub remaining: usize,
}

/// Find a device of the trusted roster by the first characters of its id or fingerprint.
pub fn find_device<'a>(state: &'a SyncState, typed: &str) -> Result<&'a RosterDevice, SyncError> {
    let typed = typed.trim().to_lowercase();
    let roster = state.roster().ok_or(SyncError::NotInRoster)?;
    let matches: Vec<&RosterDevice> = roster
        .devices
        .iter()
        .filter(|d| {
            typed.len() >= 4
                && (d.device_id.to_string().starts_with(&typed)
                    || attune_crypto::fingerprint_of(&d.age_recipient, &d.verifying_key)
                        .starts_with(&typed))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(SyncError::UnknownDevice(typed)),
        _ => Err(SyncError::UnknownDevice(format!(
            "{typed} (matches several devices; type more of it)"
        ))),
    }
}

/// Remove a device from the journal: a roster without it, signed by this
/// device, and a new epoch key wrapped only to the devices that remain.
///
/// The removed device keeps what it already had, cannot authenticate to the
/// relay any more, and cannot open anything sealed under the new epoch.
pub async fn revoke_device(store: &mut Store, typed: &str) -> Result<Revoked, SyncError> {
    sync_once(store).await?;
    let mut state = SyncState::load(store)?;
    let me = store.config().device_id;
    let journal = store.config().journal()?;
    let target = find_device(&state, typed)?.device_id;
    if target == me {
        return Err(SyncError::RevokeSelf);
    }
    let latest = state.roster().cloned().ok_or(SyncError::NotInRoster)?;
    let remaining: Vec<RosterDevice> = latest
        .devices
        .iter()
        .filter(|d| d.device_id != target)
        .cloned()
        .collect();
    let epoch = Epoch(latest.epoch.0.checked_add(1).ok_or_else(|| {
        SyncError::StaleDevice("the journal has used every key epoch there is".into())
    })?);
    let key = JournalKey::generate();
    let mut keys = Vec::new();
    for device in &remaining {
        keys.push(WrappedKey {
            device_id: device.device_id,
            epoch,
            blob: wrap_journal_key(&key, epoch.0, std::slice::from_ref(&device.age_recipient))?,
        });
    }
    if !remaining.iter().any(|d| d.device_id == me) {
        return Err(SyncError::NotInRoster);
    }
    // The roster records the removed device's last envelope this device has
    // applied: every device refuses anything it signs after that, at any epoch.
    let chain_heads = state.chain.clone();
    let roster = next_roster(
        store.identity(),
        me,
        &latest,
        RosterChange {
            devices: remaining.clone(),
            epoch,
            key: &key,
            last_envelopes: &|device| chain_heads.last(device).unwrap_or((DeviceSeq(0), [0; 32])),
        },
    );
    let mut chain = state.rosters.clone();
    chain.push(roster.clone());
    verify_roster_chain(&chain, journal).map_err(SyncError::Roster)?;

    // The roster and the new epoch's keys (our own copy included) go to the
    // relay in one step; only once it took them is the key kept here (after a
    // crash in between, the next sync fetches our copy like any other key).
    let client = crate::sync::membership::connect(store, &state).await?;
    client
        .put_roster(&RosterUpdate {
            v: WIRE_VERSION,
            roster,
            keys,
        })
        .await?;
    store.add_own_key(epoch, key)?;
    state.rosters = chain;
    state.save(store)?;
    Ok(Revoked {
        device: target,
        epoch: epoch.0,
        remaining: remaining.len(),
    })
}
