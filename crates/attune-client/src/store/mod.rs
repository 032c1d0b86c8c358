//! The encrypted local store: one directory per device (its files are listed
//! in [`crate::dir::layout`]).
//!
//! - `mod.rs`: opening and creating a journal, the device identity;
//! - [`keys`]: the journal keys it holds (only those the signed roster commits to);
//! - `at_rest`: this device's own key for its files;
//! - `entries`: saving and replaying changes (the order that loses nothing);
//! - `packs`: where entry documents live on disk (ADR 0011);
//! - `merge`: taking many documents at once (snapshots, imports);
//! - `views`: month views, lists and search;
//! - `check`: the entry manifest and `attune check`;
//! - `safety`: the safety plan.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use attune_crypto::{wrap_journal_key, DeviceIdentity, JournalKey};
use attune_proto::{DeviceId, JournalId};
use secrecy::SecretString;

use crate::config::Config;
use crate::dir::atomic as files;
use crate::dir::layout::{self, GENESIS_FILE, IDENTITY_FILE, SUBDIRS};
use crate::dir::lock::DirLock;
use crate::dir::sealed::Sealer;
use crate::StoreError;

mod at_rest;
mod bulk;
mod check;
mod documents;
mod draft;
mod entries;
pub mod keys;
mod manifest;
mod merge;
mod packs;
mod parallel;
mod safety;
mod search;
mod views;

pub(crate) use at_rest::create as create_at_rest_key;
pub use check::Problem;
use manifest::Manifest;
pub(crate) use views::schema_fingerprint;
use views::MonthView;

/// How long a second process waits for the journal lock before saying it is busy.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Options for creating a journal.
#[derive(Default)]
pub struct InitOptions {
    /// The name of this device ("laptop").
    pub device_name: String,
    /// Protect the device identity with this passphrase.
    pub passphrase: Option<SecretString>,
    /// scrypt work factor (log2 N) for the passphrase; `None` uses age's default.
    pub work_factor: Option<u8>,
}

/// Where the passphrase comes from when the identity needs one.
pub type PassphraseSource<'a> = &'a mut dyn FnMut() -> Result<SecretString, StoreError>;

/// An open journal: holds the lock, the journal key, and the loaded views.
pub struct Store {
    dir: PathBuf,
    config: Config,
    /// Seals with the at-rest key: this device's own, never a journal key (see `at_rest`).
    sealer: Sealer,
    keys: BTreeMap<u32, JournalKey>,
    identity: DeviceIdentity,
    views: BTreeMap<String, MonthView>,
    all_views_loaded: bool,
    /// The entry documents: packs and own files (ADR 0011), loaded on first use.
    packs: packs::Packs,
    /// Which version of each entry file this device wrote last (loaded on first use).
    manifest: Option<Manifest>,
    warnings: Vec<String>,
    /// The recovery words, only right after `init` (they are never stored).
    recovery_words: Option<String>,
    _lock: DirLock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("journal", &self.config.journal_id)
            .finish_non_exhaustive()
    }
}

pub(crate) fn random_hex16() -> String {
    hex::encode(attune_crypto::random_bytes::<16>())
}

impl Store {
    /// Create a new journal in `dir` (which must not hold one yet).
    pub fn init(dir: &Path, options: InitOptions) -> Result<Store, StoreError> {
        if Config::path(dir).exists() {
            return Err(StoreError::AlreadyInitialised(dir.to_path_buf()));
        }
        files::create_private_dir(dir)?;
        let lock = DirLock::acquire(dir, LOCK_WAIT)?;
        for sub in SUBDIRS {
            files::create_private_dir(&dir.join(sub))?;
        }
        let identity = DeviceIdentity::generate();
        let key = JournalKey::generate();
        files::write_private(
            &dir.join(IDENTITY_FILE),
            &identity.to_file_bytes(options.passphrase.as_ref(), options.work_factor)?,
        )?;
        let wrapped = wrap_journal_key(&key, 1, &[identity.age_recipient()])?;
        files::write_private(&layout::key_file(dir, 1), &wrapped)?;
        let at_rest = at_rest::create(dir, &identity)?;
        // The journal id comes from the recovery secret, so the words alone find it again.
        let recovery = attune_crypto::RecoverySecret::generate();
        let device_name = if options.device_name.trim().is_empty() {
            "this device".to_string()
        } else {
            options.device_name.trim().to_string()
        };
        let config = Config {
            v: 1,
            journal_id: Some(JournalId(recovery.journal_id())),
            device_id: DeviceId(attune_crypto::random_bytes::<16>()),
            device_name,
            passphrase_protected: options.passphrase.is_some(),
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            relay: None,
            joined: false,
            recovery: Some(crate::config::RecoveryDevice::of(&recovery)?),
        };
        config.save(dir)?;
        let genesis = keys::kit_signed_genesis(&config, &identity, &recovery, &key)?;
        let mut store = Store::assemble(
            dir,
            config,
            at_rest,
            BTreeMap::from([(1, key)]),
            identity,
            lock,
            Vec::new(),
        );
        store.write_sealed_state(GENESIS_FILE, &genesis.encode())?;
        store.recovery_words = Some(recovery.to_words());
        Ok(store)
    }

    /// Whether `dir` holds a journal.
    pub fn exists(dir: &Path) -> bool {
        Config::path(dir).exists()
    }

    /// Open the journal in `dir`; `passphrase` is asked only if the identity is protected.
    pub fn open(dir: &Path, passphrase: PassphraseSource<'_>) -> Result<Store, StoreError> {
        let config = Config::load(dir)?;
        // The passphrase (and scrypt) come before the lock, so a prompt never holds it.
        let identity = load_identity(dir, passphrase)?;
        Self::open_loaded(dir, config, identity)
    }

    /// Open the journal in `dir` with its device identity already opened (by an
    /// unlock agent, or once per process by a long-running front end): no
    /// passphrase is asked and scrypt does not run.
    ///
    /// An identity that is not this device's cannot unwrap the journal's keys,
    /// and the open fails naming the key file.
    pub fn open_with_identity(dir: &Path, identity: DeviceIdentity) -> Result<Store, StoreError> {
        let config = Config::load(dir)?;
        Self::open_loaded(dir, config, identity)
    }

    fn open_loaded(
        dir: &Path,
        config: Config,
        identity: DeviceIdentity,
    ) -> Result<Store, StoreError> {
        let lock = DirLock::acquire(dir, LOCK_WAIT)?;
        let mut warnings = Vec::new();
        let mut removed = files::remove_leftover_temps(dir)?;
        for sub in SUBDIRS {
            removed += files::remove_leftover_temps(&dir.join(sub))?;
        }
        if removed > 0 {
            warnings.push(format!("cleaned up {removed} half-written temporary file(s) from an interrupted run; nothing saved was lost"));
        }
        if config.journal_id.is_none() {
            return Err(StoreError::JoinPending);
        }
        let keys = Self::load_keys(dir, &identity)?;
        // Journals from before per-device at-rest keys sealed their files with
        // the lowest epoch's journal key: migrate them to a key of their own.
        let at_rest = at_rest::load_or_migrate(dir, &identity, keys.values().next())?;
        let mut store = Store::assemble(dir, config, at_rest.key, keys, identity, lock, warnings);
        if at_rest.migrated {
            store.rebuild_views()?;
            store.warnings.push(
                "this device's files were re-sealed with a key of its own (a one-time upgrade); nothing was lost"
                    .into(),
            );
        }
        store.replay_pending()?;
        store.pack_own_files()?;
        Ok(store)
    }

    /// An open store from its parts.
    pub(crate) fn assemble(
        dir: &Path,
        config: Config,
        key: JournalKey,
        keys: BTreeMap<u32, JournalKey>,
        identity: DeviceIdentity,
        lock: DirLock,
        warnings: Vec<String>,
    ) -> Store {
        Store {
            dir: dir.to_path_buf(),
            config,
            sealer: Sealer::new(key),
            keys,
            identity,
            packs: packs::Packs::new(dir.join(layout::ENTRIES_DIR)),
            views: BTreeMap::new(),
            all_views_loaded: false,
            manifest: None,
            warnings,
            recovery_words: None,
            _lock: lock,
        }
    }

    /// The recovery words of a journal just created (shown once, never stored).
    pub fn take_recovery_words(&mut self) -> Option<String> {
        self.recovery_words.take()
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration (ids, device name, relay).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Change and save the configuration.
    pub fn update_config(&mut self, change: impl FnOnce(&mut Config)) -> Result<(), StoreError> {
        change(&mut self.config);
        self.config.save(&self.dir)
    }

    /// This device's identity.
    pub fn identity(&self) -> &DeviceIdentity {
        &self.identity
    }

    /// Things the writer should know about (repairs made while opening).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Read a sealed state file of this device (`None` if it does not exist yet).
    pub fn read_sealed_state(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.sealer.read(
            &self.dir.join(name),
            crate::dir::sealed::Purpose::State,
            name,
        )
    }

    /// Write a sealed state file of this device, atomically.
    pub fn write_sealed_state(&self, name: &str, plain: &[u8]) -> Result<(), StoreError> {
        self.sealer.write(
            &self.dir.join(name),
            crate::dir::sealed::Purpose::State,
            name,
            plain,
        )
    }

    /// Re-protect the identity file with a new passphrase (or none).
    pub fn change_passphrase(
        &mut self,
        new: Option<SecretString>,
        work_factor: Option<u8>,
    ) -> Result<(), StoreError> {
        files::write_private(
            &self.dir.join(IDENTITY_FILE),
            &self.identity.to_file_bytes(new.as_ref(), work_factor)?,
        )?;
        let protected = new.is_some();
        self.update_config(|c| c.passphrase_protected = protected)
    }
}

/// Whether the identity in `dir` is protected by a passphrase (without opening it).
pub fn identity_is_protected(dir: &Path) -> bool {
    fs::read(dir.join(IDENTITY_FILE)).is_ok_and(|b| DeviceIdentity::is_passphrase_protected(&b))
}

/// Open the device identity of the journal in `dir`, asking `passphrase` only if
/// it is protected (then scrypt runs: about a second and hundreds of MiB).
///
/// Front ends that open the journal many times in one process call this once
/// and then [`Store::open_with_identity`].
pub fn load_identity(
    dir: &Path,
    passphrase: PassphraseSource<'_>,
) -> Result<DeviceIdentity, StoreError> {
    let identity_path = dir.join(IDENTITY_FILE);
    open_identity_bytes(&identity_path, &files::read(&identity_path)?, passphrase)
}

/// Open identity file bytes read from `identity_path`.
pub(crate) fn open_identity_bytes(
    identity_path: &Path,
    identity_bytes: &[u8],
    passphrase: PassphraseSource<'_>,
) -> Result<DeviceIdentity, StoreError> {
    if DeviceIdentity::is_passphrase_protected(identity_bytes) {
        let pass = passphrase()?;
        DeviceIdentity::from_file_bytes(identity_bytes, Some(&pass)).map_err(|e| match e {
            attune_crypto::CryptoError::WrongPassphrase => StoreError::WrongPassphrase,
            other => StoreError::damaged(identity_path, other),
        })
    } else {
        DeviceIdentity::from_file_bytes(identity_bytes, None)
            .map_err(|e| StoreError::damaged(identity_path, e))
    }
}

pub(crate) fn device_name_or_default(name: &str) -> String {
    if name.trim().is_empty() {
        "this device".to_string()
    } else {
        name.trim().to_string()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<Store>();
}
