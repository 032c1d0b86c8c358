//! The encrypted local store: one directory per device (its files are listed
//! in [`crate::layout`]); the journal keys it holds are in [`keys`].
//!
//! A mutation is saved in this order: the change goes to `pending/` (fsync),
//! then the entry document, then its month view, then the pending record is
//! removed. A crash at any point leaves a pending record that the next open
//! replays (applying a change twice is harmless), so nothing acknowledged is
//! lost and views never stay stale.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use attune_core::{
    ApplyReport, Edit, Entry, EntryChange, EntryDoc, EntryId, NewEntry, Query, Timestamp,
};
use attune_crypto::{
    open_blob, private_name, seal_blob, wrap_journal_key, DeviceIdentity, JournalKey,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::files::{self, DirLock};
use crate::layout::MANIFEST_FILE;
use crate::manifest::{Manifest, Mismatch};
use crate::safety::SafetyPlan;
use crate::StoreError;

mod keys;

pub use crate::layout::OUTBOX_DIR;
pub(crate) use crate::layout::{GENESIS_FILE, IDENTITY_FILE, SAFETY_FILE, SUBDIRS};

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

#[derive(Serialize, Deserialize)]
struct MonthView {
    v: u8,
    month: String,
    entries: BTreeMap<EntryId, Entry>,
}

#[derive(Serialize, Deserialize)]
struct PendingRecord {
    v: u8,
    /// Written on this device (goes to the outbox) rather than received.
    local: bool,
    changes: Vec<EntryChange>,
}

/// A problem found by [`Store::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file concerned.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// An open journal: holds the lock, the journal key, and the loaded views.
pub struct Store {
    dir: PathBuf,
    config: Config,
    /// The at-rest key: this device's own, never a journal key (see [`crate::at_rest`]).
    key: JournalKey,
    keys: BTreeMap<u32, JournalKey>,
    identity: DeviceIdentity,
    views: BTreeMap<String, MonthView>,
    all_views_loaded: bool,
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
        files::write_private(&dir.join("keys").join("epoch-1.age"), &wrapped)?;
        let at_rest = crate::at_rest::create(dir, &identity)?;
        // The journal id comes from the recovery secret, so the words alone find it again.
        let recovery = attune_crypto::RecoverySecret::generate();
        let device_name = if options.device_name.trim().is_empty() {
            "this device".to_string()
        } else {
            options.device_name.trim().to_string()
        };
        let config = Config {
            v: 1,
            journal_id: hex::encode(recovery.journal_id()),
            device_id: random_hex16(),
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
        let genesis = keys::kit_signed_genesis(dir, &config, &identity, &recovery, &key)?;
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
        let lock = DirLock::acquire(dir, LOCK_WAIT)?;
        let mut warnings = Vec::new();
        let mut removed = files::remove_leftover_temps(dir)?;
        for sub in SUBDIRS {
            removed += files::remove_leftover_temps(&dir.join(sub))?;
        }
        if removed > 0 {
            warnings.push(format!("cleaned up {removed} half-written temporary file(s) from an interrupted run; nothing saved was lost"));
        }
        let identity = load_identity(dir, passphrase)?;
        if config.journal_id.is_empty() {
            return Err(StoreError::JoinPending);
        }
        let keys = Self::load_keys(dir, &identity)?;
        // Journals from before per-device at-rest keys sealed their files with
        // the lowest epoch's journal key: migrate them to a key of their own.
        let at_rest = crate::at_rest::load_or_migrate(dir, &identity, keys.values().next())?;
        let mut store = Store::assemble(dir, config, at_rest.key, keys, identity, lock, warnings);
        if at_rest.migrated {
            store.rebuild_views()?;
            store.warnings.push(
                "this device's files were re-sealed with a key of its own (a one-time upgrade); nothing was lost"
                    .into(),
            );
        }
        store.replay_pending()?;
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
            key,
            keys,
            identity,
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

    fn entry_path(&self, id: EntryId) -> PathBuf {
        self.dir.join("entries").join(format!("{id}.am"))
    }

    fn view_name(&self, month: &str) -> String {
        private_name(&self.key, "view", month)
    }

    fn view_path(&self, name: &str) -> PathBuf {
        self.dir.join("views").join(format!("{name}.view"))
    }

    /// Write a new entry; it is on disk when this returns.
    pub fn create(&mut self, now: Timestamp, new: NewEntry) -> Result<Entry, StoreError> {
        let id = EntryId(attune_crypto::random_bytes::<16>());
        let (doc, change) = EntryDoc::create(id, &self.config.actor(), now, new)?;
        self.persist(vec![(doc, vec![change])], true)?
            .into_iter()
            .next()
            .ok_or(StoreError::NoSuchEntry(id.to_string()))
    }

    /// Apply one edit action to an entry; returns the entry as it reads now.
    pub fn edit(
        &mut self,
        id: EntryId,
        now: Timestamp,
        edits: &[Edit],
    ) -> Result<Entry, StoreError> {
        let mut doc = self
            .load_doc(id)?
            .ok_or_else(|| StoreError::NoSuchEntry(id.to_string()))?;
        match doc.edit(now, edits)? {
            Some(change) => self
                .persist(vec![(doc, vec![change])], true)?
                .into_iter()
                .next()
                .ok_or(StoreError::NoSuchEntry(id.to_string())),
            None => Ok(doc.entry()?),
        }
    }

    /// Apply changes from other devices (idempotent, any order). Durable when this returns.
    pub fn apply_changes(&mut self, changes: Vec<EntryChange>) -> Result<ApplyReport, StoreError> {
        self.apply_changes_inner(changes, false, false)
    }

    /// `rewrite`: save documents and views even when no change is new (crash replay:
    /// the document may be saved while its view is not).
    fn apply_changes_inner(
        &mut self,
        changes: Vec<EntryChange>,
        rewrite: bool,
        local: bool,
    ) -> Result<ApplyReport, StoreError> {
        let mut by_entry: BTreeMap<EntryId, Vec<EntryChange>> = BTreeMap::new();
        for c in changes {
            by_entry.entry(c.entry).or_default().push(c);
        }
        let mut total = ApplyReport::default();
        let mut batch = Vec::new();
        for (id, changes) in by_entry {
            let mut doc = match self.load_doc(id)? {
                Some(doc) => doc,
                None => EntryDoc::empty(id, &self.config.actor()),
            };
            let report = doc.apply_changes(changes.iter().map(|c| c.bytes.as_slice()))?;
            total.applied += report.applied;
            total.duplicates += report.duplicates;
            total.waiting += report.waiting;
            if rewrite || report.applied > 0 || report.waiting > 0 {
                batch.push((doc, changes));
            }
        }
        self.persist(batch, local)?;
        Ok(total)
    }

    /// Add many entry documents at once (imports, benchmarks): each document is
    /// written atomically, each month view once, all flushed to disk together.
    pub fn insert_docs(&mut self, docs: &[EntryDoc]) -> Result<(), StoreError> {
        self.write_docs_and_views_batched(docs)
    }

    /// Every entry document as saved (compressed Automerge), decrypted: what a snapshot holds.
    pub fn export_docs(&self) -> Result<Vec<(EntryId, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for id in self.entry_ids()? {
            let path = self.entry_path(id);
            let sealed = match fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StoreError::io(&path, e)),
            };
            let plain = open_blob(&self.key, "entry", &id.to_string(), &sealed)
                .map_err(|e| StoreError::damaged(&path, e))?;
            out.push((id, plain.to_vec()));
        }
        Ok(out)
    }

    /// Merge entry documents from a snapshot into this journal (idempotent, any order).
    ///
    /// An entry this device lacks is taken whole: its saved document as it
    /// came, and its view row from `entry` when given (so thousands of entries
    /// need no Automerge work); one it has receives the snapshot's changes it
    /// is missing. Every written file is durable when this returns, flushed
    /// once for the whole batch. Returns the number of entries written.
    pub fn merge_docs(
        &mut self,
        docs: Vec<(EntryId, Vec<u8>, Option<Entry>)>,
    ) -> Result<usize, StoreError> {
        let actor = self.config.actor();
        let damaged = |id: EntryId, e: &dyn std::fmt::Display| {
            StoreError::damaged(&self.dir.join("snapshot"), format!("entry {id}: {e}"))
        };
        let mut loaded = Vec::new();
        let mut taken = Vec::new();
        for (id, bytes, entry) in docs {
            if self.entry_path(id).exists() {
                let theirs = EntryDoc::load(id, &bytes, &actor).map_err(|e| damaged(id, &e))?;
                let Some(mut mine) = self.load_doc(id)? else {
                    continue;
                };
                let all = theirs.all_changes();
                let report = mine.apply_changes(all.iter().map(Vec::as_slice))?;
                if report.applied > 0 || report.waiting > 0 {
                    loaded.push(mine);
                }
                continue;
            }
            match entry.filter(|e| e.id == id) {
                Some(entry) => taken.push((id, bytes, Some(entry))),
                // No view row given: read it from the document.
                None => {
                    let doc = EntryDoc::load(id, &bytes, &actor).map_err(|e| damaged(id, &e))?;
                    let entry = doc.entry().ok();
                    taken.push((id, bytes, entry));
                }
            }
        }
        let n = loaded.len() + taken.len();
        let mut rows: Vec<(EntryId, Vec<u8>, Option<Entry>)> = loaded
            .iter()
            .map(|doc| (doc.id(), doc.save(), doc.entry().ok()))
            .collect();
        rows.extend(taken);
        self.write_saved_docs_batched(rows)?;
        Ok(n)
    }

    /// Writes saved documents and their view rows, flushed to disk once for all files.
    fn write_saved_docs_batched(
        &mut self,
        rows: Vec<(EntryId, Vec<u8>, Option<Entry>)>,
    ) -> Result<(), StoreError> {
        let mut files_out = Vec::with_capacity(rows.len());
        let mut touched = BTreeSet::new();
        self.load_manifest()?;
        for (id, saved, entry) in rows {
            let sealed = seal_blob(&self.key, "entry", &id.to_string(), &saved)?;
            if let Some(manifest) = self.manifest.as_mut() {
                manifest.record(id, &sealed);
            }
            files_out.push((self.entry_path(id), sealed));
            if let Some(entry) = entry {
                let month = entry.created.local_month();
                self.load_month(&month)?;
                if let Some(view) = self.views.get_mut(&month) {
                    view.entries.insert(id, entry);
                }
                touched.insert(month);
            }
        }
        for month in touched {
            let Some(view) = self.views.get(&month) else {
                continue;
            };
            let name = self.view_name(&month);
            let path = self.view_path(&name);
            let plain = postcard::to_allocvec(view).map_err(|e| StoreError::damaged(&path, e))?;
            files_out.push((path, seal_blob(&self.key, "view", &name, &plain)?));
        }
        if let Some(manifest) = &self.manifest {
            files_out.push((
                self.dir.join(MANIFEST_FILE),
                seal_blob(&self.key, "state", MANIFEST_FILE, &manifest.encode())?,
            ));
        }
        files::write_atomic_batch(&files_out)
    }

    /// [`Store::write_docs_and_views`] for many documents: one flush for all files.
    fn write_docs_and_views_batched(&mut self, docs: &[EntryDoc]) -> Result<(), StoreError> {
        let rows = docs
            .iter()
            .map(|doc| (doc.id(), doc.save(), doc.entry().ok()))
            .collect();
        self.write_saved_docs_batched(rows)
    }

    /// The view row of every entry (what this device shows in lists), by id.
    pub fn view_rows(&mut self) -> Result<BTreeMap<EntryId, Entry>, StoreError> {
        // Every month (deleted entries included: they are rows of the views too).
        self.load_for(&Query::default())?;
        Ok(self
            .views
            .values()
            .flat_map(|v| v.entries.iter().map(|(id, e)| (*id, e.clone())))
            .collect())
    }

    /// Every change of every entry (what a device that has never synced must send).
    pub fn all_changes(&self) -> Result<Vec<EntryChange>, StoreError> {
        let mut out = Vec::new();
        for id in self.entry_ids()? {
            if let Some(doc) = self.load_doc(id)? {
                out.extend(
                    doc.all_changes()
                        .into_iter()
                        .map(|bytes| EntryChange { entry: id, bytes }),
                );
            }
        }
        Ok(out)
    }

    /// Save changed documents: pending record, documents, views, then drop the record.
    ///
    /// `local` changes were made on this device: when sync is on, their record
    /// moves to the outbox instead of being removed, so sync ships exactly them.
    fn persist(
        &mut self,
        batch: Vec<(EntryDoc, Vec<EntryChange>)>,
        local: bool,
    ) -> Result<Vec<Entry>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let changes: Vec<EntryChange> = batch.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        let pending_path = self.write_pending(changes, local)?;
        let entries = self.write_docs_and_views(batch.iter().map(|(doc, _)| doc))?;
        if local && self.config.relay.is_some() {
            let outbox = self.dir.join(OUTBOX_DIR);
            files::create_private_dir(&outbox)?;
            let target = outbox.join(pending_path.file_name().unwrap_or_default());
            fs::rename(&pending_path, &target).map_err(|e| StoreError::io(&target, e))?;
            files::sync_dir(&outbox).map_err(|e| StoreError::io(&outbox, e))?;
        } else {
            fs::remove_file(&pending_path).map_err(|e| StoreError::io(&pending_path, e))?;
        }
        Ok(entries)
    }

    /// Changes written here and not yet sealed for the relay, oldest first, with their files.
    pub fn outbox_changes(&self) -> Result<Vec<(PathBuf, Vec<EntryChange>)>, StoreError> {
        let dir = self.dir.join(OUTBOX_DIR);
        let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("chg"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        paths.sort();
        let mut out = Vec::new();
        for path in paths {
            let record = self
                .read_record(&path)
                .map_err(|reason| StoreError::damaged(&path, reason))?;
            out.push((path, record.changes));
        }
        Ok(out)
    }

    /// Put every change of the journal in the outbox (a journal that starts syncing).
    pub fn queue_history_for_sync(&mut self) -> Result<usize, StoreError> {
        self.queue_own_history_for_sync()
    }

    /// Put every change this device wrote in the outbox again: other devices
    /// accept changes only from their author, and apply each at most once.
    /// Used when a journal starts syncing, and when the relay serves one of
    /// this device's envelopes damaged.
    pub fn queue_own_history_for_sync(&mut self) -> Result<usize, StoreError> {
        let actor = self.config.actor();
        let changes: Vec<EntryChange> = self
            .all_changes()?
            .into_iter()
            .filter(|c| c.author().is_ok_and(|a| a == actor))
            .collect();
        let n = changes.len();
        let outbox = self.dir.join(OUTBOX_DIR);
        files::create_private_dir(&outbox)?;
        for chunk in changes.chunks(64) {
            let path = self.write_pending(chunk.to_vec(), true)?;
            let target = outbox.join(path.file_name().unwrap_or_default());
            fs::rename(&path, &target).map_err(|e| StoreError::io(&target, e))?;
        }
        files::sync_dir(&outbox).map_err(|e| StoreError::io(&outbox, e))?;
        Ok(n)
    }

    /// Queue an empty batch for the relay, so that the other devices hear from
    /// this one (its new name, say) even when nothing was written.
    pub fn queue_announcement(&mut self) -> Result<(), StoreError> {
        if self.config.relay.is_none() {
            return Ok(());
        }
        let outbox = self.dir.join(OUTBOX_DIR);
        files::create_private_dir(&outbox)?;
        let path = self.write_pending(Vec::new(), true)?;
        let target = outbox.join(path.file_name().unwrap_or_default());
        fs::rename(&path, &target).map_err(|e| StoreError::io(&target, e))?;
        files::sync_dir(&outbox).map_err(|e| StoreError::io(&outbox, e))
    }

    fn read_record(&self, path: &Path) -> Result<PendingRecord, String> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        files::read(path)
            .and_then(|b| open_blob(&self.key, "pending", &name, &b).map_err(Into::into))
            .map_err(|e| e.to_string())
            .and_then(|plain| postcard::from_bytes(&plain).map_err(|e| e.to_string()))
    }

    /// Read a sealed state file of this device (`None` if it does not exist yet).
    pub fn read_sealed_state(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Ok(sealed) => open_blob(&self.key, "state", name, &sealed)
                .map(Some)
                .map_err(|e| StoreError::damaged(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// Write a sealed state file of this device, atomically.
    pub fn write_sealed_state(&self, name: &str, plain: &[u8]) -> Result<(), StoreError> {
        files::write_atomic(
            &self.dir.join(name),
            &seal_blob(&self.key, "state", name, plain)?,
        )
    }

    /// Loads the entry manifest, or makes one from the entry files as they are
    /// (a journal from before it existed, or just migrated).
    fn load_manifest(&mut self) -> Result<(), StoreError> {
        if self.manifest.is_some() {
            return Ok(());
        }
        let loaded = match self.read_sealed_state(MANIFEST_FILE) {
            Ok(bytes) => bytes.and_then(|b| Manifest::decode(&b)),
            Err(StoreError::Damaged { .. }) => None,
            Err(e) => return Err(e),
        };
        let manifest = match loaded {
            Some(manifest) => manifest,
            None => {
                let manifest = Manifest::of(self.entry_files()?);
                self.write_sealed_state(MANIFEST_FILE, &manifest.encode())?;
                manifest
            }
        };
        self.manifest = Some(manifest);
        Ok(())
    }

    fn save_manifest(&self) -> Result<(), StoreError> {
        match &self.manifest {
            Some(manifest) => self.write_sealed_state(MANIFEST_FILE, &manifest.encode()),
            None => Ok(()),
        }
    }

    /// Every entry file's id and sealed bytes.
    fn entry_files(&self) -> Result<Vec<(EntryId, Vec<u8>)>, StoreError> {
        self.entry_ids()?
            .into_iter()
            .map(|id| Ok((id, files::read(&self.entry_path(id))?)))
            .collect()
    }

    /// Durably record changes about to be saved; the next open replays them if we crash.
    fn write_pending(&self, changes: Vec<EntryChange>, local: bool) -> Result<PathBuf, StoreError> {
        let record = PendingRecord {
            v: 1,
            local,
            changes,
        };
        // Names sort by time so that replay keeps the original order.
        let pending_name = format!("{:016x}{}", now_ms(), &random_hex16()[..8]);
        let pending_path = self.dir.join("pending").join(format!("{pending_name}.chg"));
        let plain =
            postcard::to_allocvec(&record).map_err(|e| StoreError::damaged(&pending_path, e))?;
        files::write_atomic(
            &pending_path,
            &seal_blob(&self.key, "pending", &pending_name, &plain)?,
        )?;
        Ok(pending_path)
    }

    /// Test hook: save a new entry only as far as the pending record, as if the
    /// process were killed right after the writer was told it was saved.
    #[doc(hidden)]
    pub fn create_then_crash(
        &mut self,
        now: Timestamp,
        new: NewEntry,
    ) -> Result<EntryId, StoreError> {
        let id = EntryId(attune_crypto::random_bytes::<16>());
        let (_, change) = EntryDoc::create(id, &self.config.actor(), now, new)?;
        self.write_pending(vec![change], true)?;
        Ok(id)
    }

    fn write_docs_and_views<'a>(
        &mut self,
        docs: impl Iterator<Item = &'a EntryDoc>,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut touched_months = BTreeSet::new();
        let mut out = Vec::new();
        self.load_manifest()?;
        for doc in docs {
            let id = doc.id();
            let path = self.entry_path(id);
            let sealed = seal_blob(&self.key, "entry", &id.to_string(), &doc.save())?;
            files::write_atomic(&path, &sealed)?;
            if let Some(manifest) = self.manifest.as_mut() {
                manifest.record(id, &sealed);
            }
            // An entry whose first change has not arrived yet has nothing to show.
            if let Ok(entry) = doc.entry() {
                let month = entry.created.local_month();
                self.load_month(&month)?;
                if let Some(view) = self.views.get_mut(&month) {
                    view.entries.insert(id, entry.clone());
                }
                touched_months.insert(month);
                out.push(entry);
            }
        }
        for month in touched_months {
            self.save_view(&month)?;
        }
        self.save_manifest()?;
        Ok(out)
    }

    fn save_view(&self, month: &str) -> Result<(), StoreError> {
        let Some(view) = self.views.get(month) else {
            return Ok(());
        };
        let name = self.view_name(month);
        let path = self.view_path(&name);
        let plain = postcard::to_allocvec(view).map_err(|e| StoreError::damaged(&path, e))?;
        files::write_atomic(&path, &seal_blob(&self.key, "view", &name, &plain)?)
    }

    fn replay_pending(&mut self) -> Result<(), StoreError> {
        let dir = self.dir.join("pending");
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| StoreError::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("chg"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let _ = &name;
            let record = self.read_record(&path);
            match record {
                Ok(record) => {
                    let n = record.changes.len();
                    self.apply_changes_inner(record.changes, true, record.local)?;
                    self.warnings.push(format!(
                        "finished saving {n} change(s) interrupted by an earlier crash"
                    ));
                }
                Err(reason) => {
                    // Written atomically, so a damaged record was tampered with or
                    // torn by the disk; set it aside rather than lose it.
                    let aside = path.with_extension("damaged");
                    let _ = fs::rename(&path, &aside);
                    self.warnings.push(format!(
                        "{} could not be read ({reason}); it was set aside as {}",
                        path.display(),
                        aside.display()
                    ));
                    continue;
                }
            }
            fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        }
        Ok(())
    }

    /// Load the entry document, or `None` if this device has never seen the entry.
    fn load_doc(&self, id: EntryId) -> Result<Option<EntryDoc>, StoreError> {
        let path = self.entry_path(id);
        let sealed = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let plain = open_blob(&self.key, "entry", &id.to_string(), &sealed)
            .map_err(|e| StoreError::damaged(&path, e))?;
        EntryDoc::load(id, &plain, &self.config.actor())
            .map(Some)
            .map_err(|e| StoreError::damaged(&path, e))
    }

    /// Load the view of `month` if it is not loaded yet (a missing view is an empty month).
    fn load_month(&mut self, month: &str) -> Result<(), StoreError> {
        if self.views.contains_key(month) {
            return Ok(());
        }
        let name = self.view_name(month);
        let path = self.view_path(&name);
        let view = match fs::read(&path) {
            Ok(sealed) => match self.open_view(&name, &sealed) {
                Ok(view) => view,
                Err(reason) => {
                    self.warnings.push(format!(
                        "{} was damaged ({reason}); rebuilt it from the entries",
                        path.display()
                    ));
                    self.rebuild_views()?;
                    return Ok(());
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => MonthView {
                v: 1,
                month: month.to_string(),
                entries: BTreeMap::new(),
            },
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        self.views.insert(month.to_string(), view);
        Ok(())
    }

    fn open_view(&self, name: &str, sealed: &[u8]) -> Result<MonthView, String> {
        let plain = open_blob(&self.key, "view", name, sealed).map_err(|e| e.to_string())?;
        let view: MonthView = postcard::from_bytes(&plain).map_err(|e| e.to_string())?;
        if view.v != 1 {
            return Err(format!("unsupported view version {}", view.v));
        }
        Ok(view)
    }

    fn load_all_views(&mut self) -> Result<(), StoreError> {
        if self.all_views_loaded {
            return Ok(());
        }
        let dir = self.dir.join("views");
        let mut damaged = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))? {
            let path = entry.map_err(|e| StoreError::io(&dir, e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("view") {
                continue;
            }
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match self.open_view(&name, &files::read(&path)?) {
                Ok(view) => {
                    self.views.entry(view.month.clone()).or_insert(view);
                }
                Err(reason) => damaged.push(format!("{} was damaged ({reason})", path.display())),
            }
        }
        if !damaged.is_empty() {
            self.warnings.extend(
                damaged
                    .into_iter()
                    .map(|d| format!("{d}; rebuilt the views from the entries")),
            );
            self.rebuild_views()?;
        }
        self.all_views_loaded = true;
        Ok(())
    }

    /// Rebuild every month view from the entry documents (after damage).
    pub fn rebuild_views(&mut self) -> Result<(), StoreError> {
        let mut views: BTreeMap<String, MonthView> = BTreeMap::new();
        for id in self.entry_ids()? {
            match self.load_doc(id) {
                Ok(Some(doc)) => {
                    if let Ok(entry) = doc.entry() {
                        let month = entry.created.local_month();
                        views
                            .entry(month.clone())
                            .or_insert_with(|| MonthView {
                                v: 1,
                                month,
                                entries: BTreeMap::new(),
                            })
                            .entries
                            .insert(id, entry);
                    }
                }
                Ok(None) => {}
                Err(e) => self.warnings.push(e.to_string()),
            }
        }
        let dir = self.dir.join("views");
        for entry in fs::read_dir(&dir)
            .map_err(|e| StoreError::io(&dir, e))?
            .flatten()
        {
            let _ = fs::remove_file(entry.path());
        }
        self.views = views;
        let months: Vec<String> = self.views.keys().cloned().collect();
        for month in months {
            self.save_view(&month)?;
        }
        self.all_views_loaded = true;
        Ok(())
    }

    /// Ids of every entry document on disk.
    pub fn entry_ids(&self) -> Result<Vec<EntryId>, StoreError> {
        let dir = self.dir.join("entries");
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))? {
            let name = entry.map_err(|e| StoreError::io(&dir, e))?.file_name();
            if let Some(id) = name
                .to_string_lossy()
                .strip_suffix(".am")
                .and_then(|s| s.parse().ok())
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Turn what a writer typed (a full id or its first characters) into an entry id.
    pub fn resolve(&self, typed: &str) -> Result<EntryId, StoreError> {
        let prefix = typed.trim().to_lowercase();
        if prefix.len() < 4 {
            return Err(StoreError::NoSuchEntry(typed.to_string()));
        }
        let matches: Vec<EntryId> = self
            .entry_ids()?
            .into_iter()
            .filter(|id| id.to_string().starts_with(&prefix))
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(StoreError::NoSuchEntry(typed.to_string())),
            many => Err(StoreError::AmbiguousId {
                prefix: typed.to_string(),
                candidates: many.iter().map(|id| id.short()).collect(),
            }),
        }
    }

    /// One entry as it reads now (deleted ones too).
    pub fn get(&mut self, id: EntryId) -> Result<Entry, StoreError> {
        match self.load_doc(id) {
            Ok(Some(doc)) => Ok(doc.entry()?),
            Ok(None) => Err(StoreError::NoSuchEntry(id.to_string())),
            Err(damaged) => {
                // The document is damaged: show the last materialised copy and say so.
                self.load_all_views()?;
                let copy = self
                    .views
                    .values()
                    .find_map(|v| v.entries.get(&id))
                    .cloned();
                match copy {
                    Some(entry) => {
                        self.warnings
                            .push(format!("{damaged}; showing the last saved copy"));
                        Ok(entry)
                    }
                    None => Err(damaged),
                }
            }
        }
    }

    /// Entries matching `query`, newest first. Loads only the months the query needs.
    pub fn list(&mut self, query: &Query) -> Result<Vec<Entry>, StoreError> {
        self.load_for(query)?;
        Ok(
            attune_core::list(self.views.values().flat_map(|v| v.entries.values()), query)
                .into_iter()
                .cloned()
                .collect(),
        )
    }

    /// Entries containing every word of `text`, with a snippet each.
    pub fn search(
        &mut self,
        text: &str,
        query: &Query,
    ) -> Result<Vec<(Entry, String)>, StoreError> {
        self.load_for(query)?;
        Ok(attune_core::search(
            self.views.values().flat_map(|v| v.entries.values()),
            text,
            query,
        )
        .into_iter()
        .map(|hit| (hit.entry.clone(), hit.snippet))
        .collect())
    }

    fn load_for(&mut self, query: &Query) -> Result<(), StoreError> {
        match (query.from_ms, self.all_views_loaded) {
            (Some(from), false) => {
                // Local months can start up to 14 hours from UTC; widen by a day each side.
                let until = query.until_ms.unwrap_or_else(|| now_ms() + 86_400_000);
                let mut t = from - 86_400_000;
                let mut months = BTreeSet::new();
                while t <= until + 86_400_000 {
                    months.insert(Timestamp::new(t, 0).local_month());
                    t += 86_400_000;
                }
                for month in months {
                    self.load_month(&month)?;
                }
                Ok(())
            }
            _ => self.load_all_views(),
        }
    }

    /// Check every file of the journal; returns the damaged ones.
    pub fn check(&mut self) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        // List rows are derived from the documents (a snapshot brings the
        // author's): any that differ are rebuilt from the documents here.
        let rows = self.view_rows()?;
        let mut rows_differ = false;
        for id in self.entry_ids()? {
            match self.load_doc(id) {
                Ok(Some(doc)) => match doc.entry() {
                    Ok(entry) => rows_differ |= rows.get(&id) != Some(&entry),
                    Err(e) => problems.push(Problem {
                        path: self.entry_path(id),
                        reason: e.to_string(),
                    }),
                },
                Ok(None) => {}
                Err(StoreError::Damaged { path, reason }) => {
                    problems.push(Problem { path, reason })
                }
                Err(e) => return Err(e),
            }
        }
        let dir = self.dir.join("views");
        for entry in fs::read_dir(&dir)
            .map_err(|e| StoreError::io(&dir, e))?
            .flatten()
        {
            let path = entry.path();
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Err(reason) = self.open_view(&name, &files::read(&path)?) {
                problems.push(Problem { path, reason });
            }
        }
        self.load_manifest()?;
        if let Some(manifest) = &self.manifest {
            for (id, mismatch) in manifest.compare(self.entry_files()?) {
                if problems.iter().any(|p| p.path == self.entry_path(id)) {
                    continue; // already reported as unreadable
                }
                let reason = match mismatch {
                    Mismatch::Replaced => "this is not the version of the entry this device saved last: an older copy was put back (restored from a backup, or tampered with)",
                    Mismatch::Missing => "this entry's file is missing",
                    Mismatch::Unknown => "this device never saved this entry file: it was put here from elsewhere",
                };
                problems.push(Problem {
                    path: self.entry_path(id),
                    reason: reason.into(),
                });
            }
        }
        if rows_differ && problems.is_empty() {
            self.rebuild_views()?;
            self.warnings
                .push("some list rows differed from their entries; rebuilt them".into());
        }
        Ok(problems)
    }

    /// The writer's safety plan (empty if never written).
    pub fn safety_plan(&self) -> Result<SafetyPlan, StoreError> {
        let path = self.dir.join(SAFETY_FILE);
        match fs::read(&path) {
            Ok(sealed) => {
                let plain = open_blob(&self.key, "safety-plan", "", &sealed)
                    .map_err(|e| StoreError::damaged(&path, e))?;
                serde_json::from_slice(&plain).map_err(|e| StoreError::damaged(&path, e))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SafetyPlan::default()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// Save the writer's safety plan.
    pub fn set_safety_plan(&mut self, plan: &SafetyPlan) -> Result<(), StoreError> {
        let path = self.dir.join(SAFETY_FILE);
        let plain = serde_json::to_vec(plan).map_err(|e| StoreError::damaged(&path, e))?;
        files::write_atomic(&path, &seal_blob(&self.key, "safety-plan", "", &plain)?)
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

pub(crate) fn load_identity(
    dir: &Path,
    passphrase: PassphraseSource<'_>,
) -> Result<DeviceIdentity, StoreError> {
    let identity_path = dir.join(IDENTITY_FILE);
    let identity_bytes = files::read(&identity_path)?;
    if DeviceIdentity::is_passphrase_protected(&identity_bytes) {
        let pass = passphrase()?;
        DeviceIdentity::from_file_bytes(&identity_bytes, Some(&pass)).map_err(|e| match e {
            attune_crypto::CryptoError::WrongPassphrase => StoreError::WrongPassphrase,
            other => StoreError::damaged(&identity_path, other),
        })
    } else {
        DeviceIdentity::from_file_bytes(&identity_bytes, None)
            .map_err(|e| StoreError::damaged(&identity_path, e))
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
