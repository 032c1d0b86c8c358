//! A device waiting to join an existing journal: identity and relay, no key yet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use attune_crypto::{accept_wrapped_key, DeviceIdentity};
use attune_proto::{DeviceId, JournalId, Roster, WrappedKey};

use crate::config::Config;
use crate::dir::atomic as files;
use crate::dir::layout::{self, IDENTITY_FILE, KEYS_DIR, SUBDIRS};
use crate::dir::lock::DirLock;
use crate::store::{
    device_name_or_default, load_identity, now_ms, InitOptions, PassphraseSource, LOCK_WAIT,
};
use crate::{Store, StoreError};

/// A device that asked to join a journal and is not in it yet: it has an
/// identity and a relay, but no journal key.
pub struct JoiningDevice {
    dir: PathBuf,
    config: Config,
    identity: DeviceIdentity,
    _lock: DirLock,
}

impl JoiningDevice {
    /// Create the identity of a device that will join a journal through `relay`.
    pub fn create(
        dir: &Path,
        options: InitOptions,
        relay: &str,
    ) -> Result<JoiningDevice, StoreError> {
        if Config::path(dir).exists() {
            return Err(StoreError::AlreadyInitialised(dir.to_path_buf()));
        }
        files::create_private_dir(dir)?;
        let lock = DirLock::acquire(dir, LOCK_WAIT)?;
        let identity = DeviceIdentity::generate();
        files::write_private(
            &dir.join(IDENTITY_FILE),
            &identity.to_file_bytes(options.passphrase.as_ref(), options.work_factor)?,
        )?;
        let config = Config {
            v: 1,
            journal_id: None,
            device_id: DeviceId(attune_crypto::random_bytes::<16>()),
            device_name: device_name_or_default(&options.device_name),
            passphrase_protected: options.passphrase.is_some(),
            created_unix: now_ms() / 1000,
            relay: Some(relay.to_string()),
            joined: true,
            recovery: None,
        };
        config.save(dir)?;
        Ok(JoiningDevice {
            dir: dir.to_path_buf(),
            config,
            identity,
            _lock: lock,
        })
    }

    /// Open a device that is waiting to join.
    pub fn open(dir: &Path, passphrase: PassphraseSource<'_>) -> Result<JoiningDevice, StoreError> {
        let config = Config::load(dir)?;
        if config.journal_id.is_some() {
            return Err(StoreError::AlreadyInitialised(dir.to_path_buf()));
        }
        let lock = DirLock::acquire(dir, LOCK_WAIT)?;
        let identity = load_identity(dir, passphrase)?;
        Ok(JoiningDevice {
            dir: dir.to_path_buf(),
            config,
            identity,
            _lock: lock,
        })
    }

    /// The device's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The device's identity.
    pub fn identity(&self) -> &DeviceIdentity {
        &self.identity
    }

    /// Become a full device of `journal_id` with the journal keys wrapped to this device.
    ///
    /// Only keys that the verified roster chain `rosters` commits to are kept;
    /// the others (planted by the relay or a member) are counted in the second
    /// value and never written. Nothing is written unless the key of the
    /// roster's current epoch is among the accepted ones.
    pub fn finish(
        self,
        journal_id: JournalId,
        rosters: &[Roster],
        wrapped_keys: &[WrappedKey],
    ) -> Result<(Store, usize), StoreError> {
        let mut keys = BTreeMap::new();
        let mut refused = 0;
        for wrapped in wrapped_keys {
            match accept_wrapped_key(&wrapped.blob, &self.identity, rosters, wrapped.epoch) {
                Ok(key) => {
                    keys.insert(wrapped.epoch.0, (key, wrapped.blob.clone()));
                }
                Err(_) => refused += 1,
            }
        }
        let current = rosters.last().map(|r| r.epoch.0);
        if current.is_none_or(|epoch| !keys.contains_key(&epoch)) {
            return Err(StoreError::damaged(
                &self.dir.join(KEYS_DIR),
                "the relay holds no journal key for this device that the journal's signed device list commits to",
            ));
        }
        for sub in SUBDIRS {
            files::create_private_dir(&self.dir.join(sub))?;
        }
        for (epoch, (_, blob)) in &keys {
            files::write_private(&layout::key_file(&self.dir, *epoch), blob)?;
        }
        let at_rest = crate::store::create_at_rest_key(&self.dir, &self.identity)?;
        let mut config = self.config;
        config.journal_id = Some(journal_id);
        config.save(&self.dir)?;
        let keys = keys.into_iter().map(|(e, (k, _))| (e, k)).collect();
        let store = Store::assemble(
            &self.dir,
            config,
            at_rest,
            keys,
            self.identity,
            self._lock,
            Vec::new(),
        );
        Ok((store, refused))
    }
}
