//! `attune recovery rotate`: new recovery words; the old ones restore nothing new.
//!
//! Two roster versions, each checked like any other: the first, signed by
//! this device, adds the new kit's device and wraps every journal key to it;
//! the second, signed by the *new kit itself*, removes the old kit with a new
//! epoch whose key only the remaining devices receive. The old words then
//! cannot authenticate (their device is not in the roster) nor open anything
//! sealed after the rotation. A device recovering with the new words trusts a
//! journal only if a version of its verified chain is signed by the kit, so a
//! relay cannot offer it a journal of its own making (the genesis, signed by
//! the original kit, plays that part for the words `init` shows).

use attune_crypto::{
    next_roster, verify_roster_chain, wrap_journal_key, JournalKey, RecoverySecret, RosterChange,
};
use attune_proto::{
    DeviceId, DeviceSeq, Epoch, Roster, RosterDevice, RosterUpdate, WrappedKey, WIRE_VERSION,
};
use zeroize::Zeroizing;

use crate::config::RecoveryDevice;
use crate::sync::state::SyncState;
use crate::sync::{sync_once, SyncError};
use crate::Store;

/// What a rotation did.
pub struct Rotated {
    /// The new words (24), to be shown once and written down.
    pub words: Zeroizing<String>,
    /// The device of the old kit, now removed.
    pub old_kit: DeviceId,
    /// The device of the new kit.
    pub new_kit: DeviceId,
    /// The new key epoch, which the old kit does not hold.
    pub epoch: u32,
}

/// Issue new recovery words and remove the old kit from the journal.
///
/// Only a device that knows which member is the kit can do it: the one that
/// created the journal, or one restored from the words.
pub async fn rotate_recovery(store: &mut Store) -> Result<Rotated, SyncError> {
    let old = store
        .config()
        .recovery
        .clone()
        .ok_or(SyncError::RecoveryKitUnknown)?;
    sync_once(store).await?;
    let mut state = SyncState::load(store)?;
    let me = store.config().device_id;
    let journal = store.config().journal()?;
    let latest = state.roster().cloned().ok_or(SyncError::NotInRoster)?;
    let ring = store.keyring();
    let (_, current) = ring.for_roster(&latest).ok_or_else(|| {
        SyncError::StaleDevice("this device holds no key of the journal's current epoch".into())
    })?;

    let secret = RecoverySecret::generate();
    let kit = secret.identity()?;
    let public = RecoveryDevice::of(&secret)?;
    let kit_id = public.device_id;
    let kit_member = public
        .roster_device()
        .ok_or(SyncError::RecoveryKitUnknown)?;

    // 1. The new kit joins, with every key this device holds.
    let mut with_kit = latest.devices.clone();
    with_kit.push(kit_member.clone());
    let add = next_roster(
        store.identity(),
        me,
        &latest,
        RosterChange {
            devices: with_kit.clone(),
            epoch: latest.epoch,
            key: current,
            last_envelopes: &|_| (DeviceSeq(0), [0; 32]),
        },
    );
    let kit_keys = store.committed_keys_for(&kit_member, latest.epoch, &state.rosters)?;

    // 2. The new kit removes the old one under a new epoch.
    let epoch = Epoch(latest.epoch.0.checked_add(1).ok_or_else(|| {
        SyncError::StaleDevice("the journal has used every key epoch there is".into())
    })?);
    let key = JournalKey::generate();
    let remaining: Vec<RosterDevice> = with_kit
        .into_iter()
        .filter(|d| d.device_id != old.device_id)
        .collect();
    let chain_heads = state.chain.clone();
    let remove = next_roster(
        &kit,
        kit_id,
        &add,
        RosterChange {
            devices: remaining.clone(),
            epoch,
            key: &key,
            last_envelopes: &|device| chain_heads.last(device).unwrap_or((DeviceSeq(0), [0; 32])),
        },
    );
    let new_keys = remaining
        .iter()
        .map(|device| wrapped(&key, epoch, device))
        .collect::<Result<Vec<_>, _>>()?;
    let mut chain: Vec<Roster> = state.rosters.clone();
    chain.push(add.clone());
    chain.push(remove.clone());
    verify_roster_chain(&chain, journal).map_err(SyncError::Roster)?;

    let client = crate::sync::membership::connect(store, &state).await?;
    for (roster, keys) in [(add, kit_keys), (remove, new_keys)] {
        client
            .put_roster(&RosterUpdate {
                v: WIRE_VERSION,
                roster,
                keys,
            })
            .await?;
    }
    store.add_own_key(epoch, key)?;
    state.rosters = chain;
    // The new kit has every key up to this epoch already.
    state.recovery_epoch = epoch.0;
    state.save(store)?;
    store.update_config(|c| c.recovery = Some(public))?;
    Ok(Rotated {
        words: Zeroizing::new(secret.to_words()),
        old_kit: old.device_id,
        new_kit: kit_id,
        epoch: epoch.0,
    })
}

fn wrapped(key: &JournalKey, epoch: Epoch, to: &RosterDevice) -> Result<WrappedKey, SyncError> {
    Ok(WrappedKey {
        device_id: to.device_id,
        epoch,
        blob: wrap_journal_key(key, epoch.0, std::slice::from_ref(&to.age_recipient))?,
    })
}
