//! The journal keys a device holds: only those the signed roster commits to.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use attune_crypto::{
    accept_wrapped_key, unwrap_journal_key, wrap_journal_key, DeviceIdentity, JournalKey,
};
use attune_proto::{Epoch, Roster, WrappedKey};

use super::Store;
use crate::config::Config;
use crate::dir::atomic as files;
use crate::dir::layout;
use crate::StoreError;

impl Store {
    pub(super) fn load_keys(
        dir: &Path,
        identity: &DeviceIdentity,
    ) -> Result<BTreeMap<u32, JournalKey>, StoreError> {
        let keys_dir = dir.join(layout::KEYS_DIR);
        let mut keys = BTreeMap::new();
        for entry in fs::read_dir(&keys_dir).map_err(|e| StoreError::io(&keys_dir, e))? {
            let path = entry.map_err(|e| StoreError::io(&keys_dir, e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("age") {
                continue;
            }
            let (epoch, key) = unwrap_journal_key(&files::read(&path)?, identity)
                .map_err(|e| StoreError::damaged(&path, e))?;
            keys.insert(epoch, key);
        }
        Ok(keys)
    }

    /// Every journal key this device holds, by epoch.
    pub fn keyring(&self) -> attune_crypto::KeyRing {
        let mut ring = attune_crypto::KeyRing::new();
        for (epoch, key) in &self.keys {
            ring.insert(attune_proto::Epoch(*epoch), key.clone());
        }
        ring
    }

    /// Keep a journal key wrapped to this device (from another device, via the
    /// relay), but only if the verified roster chain `rosters` commits to it.
    ///
    /// Returns whether the key was new. A planted key (an epoch no roster
    /// names, or a key other than the committed one) is refused with
    /// [`attune_crypto::CryptoError::KeyNotCommitted`] and never written.
    pub fn accept_key(
        &mut self,
        wrapped: &WrappedKey,
        rosters: &[Roster],
    ) -> Result<bool, StoreError> {
        if self.holds_committed_key(wrapped.epoch, rosters) {
            return Ok(false);
        }
        let key = accept_wrapped_key(&wrapped.blob, &self.identity, rosters, wrapped.epoch)?;
        // A rotation that kept an old key would leave it with the devices it
        // removed: such a key is no key of a new epoch.
        let reused = self.keys.iter().any(|(epoch, held)| {
            *epoch != wrapped.epoch.0 && held.expose_bytes() == key.expose_bytes()
        });
        if reused {
            return Err(attune_crypto::CryptoError::KeyNotCommitted {
                epoch: wrapped.epoch.0,
            }
            .into());
        }
        self.keep_key(wrapped.epoch, key, &wrapped.blob)?;
        Ok(true)
    }

    /// Whether this device holds the key of `epoch` that `rosters` commits to.
    pub fn holds_committed_key(&self, epoch: Epoch, rosters: &[Roster]) -> bool {
        let Some(key) = self.keys.get(&epoch.0) else {
            return false;
        };
        rosters
            .iter()
            .find(|r| r.epoch == epoch)
            .is_some_and(|r| key.commitment(r.journal_id, epoch) == r.key_commitment)
    }

    /// Every key this device holds for an epoch up to `up_to` that `rosters`
    /// commit to, wrapped to `to` (what a device added to, or recreating,
    /// the journal needs to read it).
    pub fn committed_keys_for(
        &self,
        to: &attune_proto::RosterDevice,
        up_to: Epoch,
        rosters: &[Roster],
    ) -> Result<Vec<WrappedKey>, StoreError> {
        let mut wrapped = Vec::new();
        for (&epoch, key) in self.keys.range(..=up_to.0) {
            let epoch = Epoch(epoch);
            if !self.holds_committed_key(epoch, rosters) {
                continue;
            }
            wrapped.push(WrappedKey {
                device_id: to.device_id,
                epoch,
                blob: wrap_journal_key(key, epoch.0, std::slice::from_ref(&to.age_recipient))?,
            });
        }
        Ok(wrapped)
    }

    /// Keep a journal key this device made itself (a rotation it signs).
    pub fn add_own_key(&mut self, epoch: Epoch, key: JournalKey) -> Result<(), StoreError> {
        let wrapped = wrap_journal_key(&key, epoch.0, &[self.identity.age_recipient()])?;
        self.keep_key(epoch, key, &wrapped)
    }

    fn keep_key(
        &mut self,
        epoch: Epoch,
        key: JournalKey,
        wrapped: &[u8],
    ) -> Result<(), StoreError> {
        files::write_private(&layout::key_file(&self.dir, epoch.0), wrapped)?;
        self.keys.insert(epoch.0, key);
        Ok(())
    }
}

/// The genesis roster of a new journal: this device and the recovery kit's
/// device at epoch 1, **signed by the recovery kit**. Recovery later accepts
/// only a roster chain that starts with a genesis the kit signed, so a relay
/// cannot show a recovering device a journal of its own making.
pub(super) fn kit_signed_genesis(
    config: &Config,
    identity: &DeviceIdentity,
    recovery: &attune_crypto::RecoverySecret,
    key: &JournalKey,
) -> Result<Roster, StoreError> {
    let journal = config.journal()?;
    let device = config.device_id;
    let kit = recovery.identity()?;
    let kit_id = attune_proto::DeviceId(recovery.device_id());
    let devices = vec![
        attune_proto::RosterDevice {
            device_id: device,
            verifying_key: identity.verifying_key(),
            age_recipient: identity.age_recipient(),
        },
        attune_proto::RosterDevice {
            device_id: kit_id,
            verifying_key: kit.verifying_key(),
            age_recipient: kit.age_recipient(),
        },
    ];
    Ok(attune_crypto::genesis_roster(
        &kit,
        kit_id,
        journal,
        devices,
        Epoch(1),
        key,
    ))
}
