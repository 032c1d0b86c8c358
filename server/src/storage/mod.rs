//! Durable storage of journals, rosters, wrapped keys and envelopes, behind one trait.
//!
//! The [`Storage`] trait is what the relay needs and nothing more. Backends
//! store bytes and answer with typed values; the push rules (next device
//! sequence, idempotent re-push, quota, gap-free relay sequence) are decided by
//! the shared pure planner in [`push_plan`], so every backend enforces exactly
//! the same rules. SQLite is the embedded default ([`sqlite`]); PostgreSQL
//! ([`postgres`]) lets several relay instances share one database. Both run
//! the same test suite (`server/tests/storage_suite.rs`). What they agree on
//! is written once: the SQL (`sql.rs`), the decoding of what it returns
//! (`rows.rs`), and the Rust around it, [`Storage`] itself included
//! (`sql_backend/`); each backend module keeps only what its database does
//! differently (connections, migrations, locks, the group commit's batching).

pub mod pairing;
pub mod postgres;
pub mod push_plan;
mod rows;
pub mod snapshot_plan;
mod sql;
mod sql_backend;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use attune_proto::{
    Ack, Cover, DeviceId, DeviceSeq, Envelope, Epoch, JournalId, RelaySeq, Roster, Snapshot,
    StoredEnvelope, WrappedKey,
};
use tokio::task::JoinHandle;

use crate::fanout::Hub;

pub use pairing::{OpenPairing, PairingMail, PairingResult, PairingStore};
pub use push_plan::{DeviceTip, JournalTip, PushRejection};
pub use snapshot_plan::{check_snapshot, CoverFacts, SnapshotRejection};

/// What can go wrong in a storage call, apart from push rejections (which are outcomes).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A journal with this id already exists.
    #[error("journal {0} already exists")]
    JournalExists(JournalId),
    /// No journal with this id exists.
    #[error("journal {0} does not exist")]
    UnknownJournal(JournalId),
    /// The roster's version is not the next one (someone else updated the roster first).
    #[error("roster version {version} of journal {journal} is not the next version")]
    RosterConflict {
        /// The journal.
        journal: JournalId,
        /// The version that could not be appended.
        version: u64,
    },
    /// A different key is already stored for this device and epoch (keys are never replaced).
    #[error("a different key of epoch {epoch} is already stored for device {device}")]
    KeyExists {
        /// The device the key is wrapped to.
        device: DeviceId,
        /// Its epoch.
        epoch: Epoch,
    },
    /// Storing this would take the journal past its quota; nothing was stored.
    #[error("journal {journal} would pass its quota of {quota_bytes} bytes")]
    QuotaExceeded {
        /// The journal.
        journal: JournalId,
        /// Its quota.
        quota_bytes: u64,
    },
    /// Stored data does not parse: the database was damaged or edited.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A number does not fit the database's integer type.
    #[error("value out of range for storage: {0}")]
    OutOfRange(String),
    /// The database itself failed (I/O, locking, connection).
    #[error("database error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// An envelope ready to store: decoded, with its canonical bytes and hash computed once.
#[derive(Clone, Debug)]
pub struct PreparedEnvelope {
    /// The decoded envelope.
    pub envelope: Envelope,
    /// Its encoding (what is stored and counted against the quota).
    pub bytes: Vec<u8>,
    /// BLAKE3 of `bytes`, the same as [`Envelope::hash`].
    pub hash: [u8; 32],
}

impl PreparedEnvelope {
    /// Encodes and hashes an envelope.
    pub fn new(envelope: Envelope) -> Self {
        let bytes = envelope.encode();
        let hash = *blake3::hash(&bytes).as_bytes();
        Self {
            envelope,
            bytes,
            hash,
        }
    }
}

/// One push request of one device, as handed to the group-commit writer.
#[derive(Clone, Debug)]
pub struct PendingPush {
    /// The journal pushed to.
    pub journal: JournalId,
    /// The authenticated device that pushed (every envelope's `device_id`).
    pub device: DeviceId,
    /// The envelopes, in the order pushed.
    pub envelopes: Vec<PreparedEnvelope>,
    /// The journal's storage quota in bytes.
    pub quota_bytes: u64,
}

/// The ack of one envelope, and whether it was newly stored (false for an idempotent re-push).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acked {
    /// The ack returned to the device.
    pub ack: Ack,
    /// True when this commit stored it; false when it was already stored with the same hash.
    pub fresh: bool,
}

/// The outcome of one push: all envelopes acked, or the whole push refused (nothing of it stored).
pub type PushOutcome = Result<Vec<Acked>, PushRejection>;

/// Counters of a journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalStats {
    /// The latest relay sequence (0 when empty).
    pub head: RelaySeq,
    /// Bytes counted against the quota: stored envelopes, wrapped keys, and
    /// roster versions after the genesis.
    pub used_bytes: u64,
    /// Every envelope up to here was deleted by compaction (0: none).
    pub compacted_through: RelaySeq,
    /// A device re-created the journal here from its roster chain (see [`Storage::reseed_journal`]).
    pub reseeded: bool,
}

/// The newest snapshot of a journal, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// [`Snapshot::hash`] of it.
    pub hash: [u8; 32],
}

/// A verified snapshot ready to store.
#[derive(Clone, Debug)]
pub struct PreparedSnapshot {
    /// Its encoding.
    pub bytes: Vec<u8>,
    /// BLAKE3 of `bytes`.
    pub hash: [u8; 32],
    /// Its cursor.
    pub cursor: RelaySeq,
}

/// What one compaction deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactOutcome {
    /// Envelopes deleted.
    pub deleted: u64,
    /// Their bytes, no longer counted against the quota.
    pub freed_bytes: u64,
    /// Every envelope up to here is gone.
    pub compacted_through: RelaySeq,
}

/// The relay's storage. Every method is atomic; writes are durable when they return `Ok`.
/// Pairing rendezvous are part of it ([`PairingStore`]).
#[async_trait]
pub trait Storage: PairingStore + Send + Sync + 'static {
    /// Creates a journal with its (already verified) genesis roster. The
    /// genesis is not counted against the quota (the relay bounds its size);
    /// every later roster version is.
    async fn create_journal(&self, genesis: &Roster, created_unix: u64)
        -> Result<(), StorageError>;

    /// Re-creates a journal this relay does not hold from a device's
    /// (already verified) roster chain, genesis first, and the keys wrapped
    /// to its latest devices, in ONE transaction, and marks it re-seeded
    /// ([`JournalStats::reseeded`]): [`StorageError::JournalExists`] if it
    /// exists; the versions after the genesis and the keys count against
    /// `quota_bytes` as appends do. An empty chain stores nothing.
    async fn reseed_journal(
        &self,
        rosters: &[Roster],
        keys: &[WrappedKey],
        reseeded_unix: u64,
        quota_bytes: u64,
    ) -> Result<(), StorageError>;

    /// The journal whose latest roster lists `device`, if any (how a recovery kit finds its journal).
    async fn journal_of_member(&self, device: DeviceId) -> Result<Option<JournalId>, StorageError>;

    /// Every roster version of a journal, oldest first (empty when the journal does not exist).
    async fn rosters(&self, journal: JournalId) -> Result<Vec<Roster>, StorageError>;

    /// The latest roster of a journal, or `None` when the journal does not exist.
    async fn latest_roster(&self, journal: JournalId) -> Result<Option<Roster>, StorageError>;

    /// Appends an (already verified) roster and the wrapped keys that come
    /// with it, in ONE transaction: [`StorageError::RosterConflict`] unless
    /// its version is latest + 1, [`StorageError::KeyExists`] if a key would
    /// replace a different one, [`StorageError::QuotaExceeded`] if the
    /// roster's bytes and the new keys' ([`stored_key_bytes`]) would take the
    /// journal's usage past `quota_bytes`; in each case nothing is stored.
    async fn append_roster_within(
        &self,
        roster: &Roster,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError>;

    /// [`Storage::append_roster_within`] without a quota (for tools and tests;
    /// the relay's routes always pass one).
    async fn append_roster(
        &self,
        roster: &Roster,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        self.append_roster_within(roster, keys, u64::MAX).await
    }

    /// Stores wrapped keys, all or none. Insert-only: a key identical to the
    /// stored one of its (device, epoch) is accepted again (and not counted
    /// twice), a different one is [`StorageError::KeyExists`]. New keys count
    /// ([`stored_key_bytes`]) against the journal's usage, in the same
    /// transaction: past `quota_bytes`, [`StorageError::QuotaExceeded`].
    async fn put_wrapped_keys_within(
        &self,
        journal: JournalId,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError>;

    /// [`Storage::put_wrapped_keys_within`] without a quota (for tools and
    /// tests; the relay's routes always pass one).
    async fn put_wrapped_keys(
        &self,
        journal: JournalId,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        self.put_wrapped_keys_within(journal, keys, u64::MAX).await
    }

    /// Whether `device` is in the latest roster of `journal` (false when the journal does not exist).
    ///
    /// Read from the database on every call, so a removal through any relay
    /// instance sharing the database counts at once.
    async fn is_member(&self, journal: JournalId, device: DeviceId) -> Result<bool, StorageError>;

    /// The wrapped keys of one device, by epoch.
    async fn wrapped_keys(
        &self,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError>;

    /// Commits a group of pushes in ONE transaction, deciding each with [`push_plan::plan_push`].
    ///
    /// A push of a device that is not in the journal's latest roster (as
    /// committed when the group commits) is refused with
    /// [`PushRejection::NotInRoster`]. Returns one outcome per push, in order.
    /// A refused push stores nothing; the others are unaffected. `Err` means
    /// nothing at all was committed.
    async fn commit_pushes(
        &self,
        pushes: &[PendingPush],
        received_unix: u64,
    ) -> Result<Vec<PushOutcome>, StorageError>;

    /// Up to `limit` envelopes with relay sequence above `after`, in order,
    /// stopping before their stored bytes would pass `max_bytes` (but always
    /// returning the first one, whatever its size).
    ///
    /// An envelope whose stored bytes no longer decode is logged and left out:
    /// the devices see the gap and report it, and everything else still flows.
    async fn envelopes_after(
        &self,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError>;

    /// Head and usage of a journal, or `None` when it does not exist.
    async fn journal_stats(&self, journal: JournalId)
        -> Result<Option<JournalStats>, StorageError>;

    /// The newest snapshot of a journal, if one was stored.
    async fn snapshot(&self, journal: JournalId) -> Result<Option<StoredSnapshot>, StorageError>;

    /// For each cover, the hash of the stored envelope it names; and per
    /// device, the highest device sequence stored at or below `cursor`.
    async fn cover_facts(
        &self,
        journal: JournalId,
        cursor: RelaySeq,
        covers: &[Cover],
    ) -> Result<CoverFacts, StorageError>;

    /// Stores `snapshot` as the journal's newest if the stored one is still
    /// `previous` (by hash; `None`: no snapshot yet); false if another replaced it meanwhile.
    async fn replace_snapshot(
        &self,
        journal: JournalId,
        previous: Option<[u8; 32]>,
        snapshot: &PreparedSnapshot,
        received_unix: u64,
    ) -> Result<bool, StorageError>;

    /// Deletes every envelope at or below the cursor of the stored snapshot
    /// named by `snapshot_hash` (all of them are covered by it: checked when it
    /// was stored). `None` when that is not the stored snapshot.
    async fn compact(
        &self,
        journal: JournalId,
        snapshot_hash: [u8; 32],
    ) -> Result<Option<CompactOutcome>, StorageError>;

    /// Starts the backend's cross-instance fan-out, if it has one: a task that
    /// publishes to `hub` the envelopes that OTHER relay instances sharing the
    /// database committed. The relay owns the task and aborts it at shutdown.
    /// An embedded backend (one instance) has none.
    fn start_remote_fanout(&self, hub: Arc<Hub>) -> Option<JoinHandle<()>> {
        let _ = hub;
        None
    }

    /// Flushes and closes the backend (called once at shutdown).
    async fn close(&self);
}

/// What one stored wrapped key counts against its journal's quota: its blob,
/// and its row's device id and epoch (so that many small keys count too).
pub fn stored_key_bytes(key: &WrappedKey) -> u64 {
    const ROW_BYTES: u64 = 64;
    u64::try_from(key.blob.len())
        .unwrap_or(u64::MAX)
        .saturating_add(ROW_BYTES)
}

/// The device sequence that a device's next envelope must carry.
pub fn next_device_seq(tip: &DeviceTip) -> DeviceSeq {
    DeviceSeq(tip.seq.0.saturating_add(1))
}
