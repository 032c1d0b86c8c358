//! Removing a device: a new journal key only the remaining devices receive.

use attune_crypto::{next_roster, verify_roster_chain, wrap_journal_key, JournalKey};
use attune_proto::{
    DeviceId, Epoch, JournalId, RosterDevice, WrappedKey, WrappedKeys, WIRE_VERSION,
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
    let me: DeviceId = store.config().device_id.parse()?;
    let journal: JournalId = store.config().journal_id.parse()?;
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
    let epoch = latest.epoch.0 + 1;
    let key = JournalKey::generate();
    let mut keys = Vec::new();
    let mut own_blob = None;
    for device in &remaining {
        let blob = wrap_journal_key(&key, epoch, std::slice::from_ref(&device.age_recipient))?;
        if device.device_id == me {
            own_blob = Some(blob.clone());
        }
        keys.push(WrappedKey {
            device_id: device.device_id,
            epoch: Epoch(epoch),
            blob,
        });
    }
    let own_blob = own_blob.ok_or(SyncError::NotInRoster)?;
    let roster = next_roster(
        store.identity(),
        me,
        &latest,
        remaining.clone(),
        Epoch(epoch),
    );
    let mut chain = state.rosters.clone();
    chain.push(roster.clone());
    verify_roster_chain(&chain, journal).map_err(SyncError::Roster)?;

    // Keys first (harmless alone: nobody uses an epoch before the roster names it),
    // then our own copy, then the roster that makes the new epoch current.
    let client = super::engine::connect(store, &state).await?;
    client
        .put_keys(&WrappedKeys {
            v: WIRE_VERSION,
            keys,
        })
        .await?;
    store.add_wrapped_key(&own_blob)?;
    client.put_roster(&roster).await?;
    state.rosters = chain;
    state.save(store)?;
    Ok(Revoked {
        device: target,
        epoch,
        remaining: remaining.len(),
    })
}
