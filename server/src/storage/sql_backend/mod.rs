//! The Rust both SQL backends run around the shared SQL, written once.
//!
//! Three traits split what is the same from what is not:
//!
//! - [`Dialect`], implemented by each database type (`sqlx::Sqlite`,
//!   `sqlx::Postgres`) in its backend module: which rendering of a
//!   [`Statement`](super::sql::Statement) it runs, and the few steps the
//!   dialects do their own way (row locks, `MAX`/`GREATEST`, the devices upsert).
//! - [`RosterQueries`] and [`EnvelopeQueries`]: every query both backends run
//!   alike, implemented once for any database that has a [`Dialect`] (the
//!   sqlx bounds that takes are stated on those two impls and nowhere else).
//! - [`SqlBackend`], implemented by each storage type: its pools, its group
//!   commit, and what it tells other relay instances. [`Storage`] is
//!   implemented once, below, for every [`SqlBackend`].

mod dialect;
mod envelopes;
mod pairing;
mod rosters;

use std::sync::Arc;

use async_trait::async_trait;
use attune_proto::{Cover, DeviceId, JournalId, RelaySeq, Roster, StoredEnvelope, WrappedKey};
use sqlx::{Database, Pool, Transaction};
use tokio::task::JoinHandle;

pub(crate) use self::dialect::Dialect;
pub(crate) use self::envelopes::{EnvelopeQueries, GroupDevices};
pub(crate) use self::pairing::{PairingLock, PairingQueries};
pub(crate) use self::rosters::RosterQueries;
use super::rows::to_i64;
use super::{
    CompactOutcome, CoverFacts, JournalStats, PendingPush, PreparedSnapshot, PushOutcome, Storage,
    StorageError, StoredSnapshot,
};
use crate::fanout::Hub;

/// A database error, as a [`StorageError`].
pub(crate) fn backend(e: sqlx::Error) -> StorageError {
    StorageError::Backend(Box::new(e))
}

/// Commits on success; on failure rolls back NOW: SQLite reuses its one writer
/// connection next, and no PostgreSQL row lock may outlive the call (a dropped
/// transaction would only be rolled back when its connection is next used).
pub(crate) async fn settle<D: Database, T>(
    tx: Transaction<'_, D>,
    result: Result<T, StorageError>,
) -> Result<T, StorageError> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(backend)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a failed transaction failed");
            }
            Err(e)
        }
    }
}

/// A storage on an SQL database: where it reads and writes, and what it does its own way.
#[async_trait]
pub(crate) trait SqlBackend: Send + Sync + 'static {
    /// The database.
    type Db: RosterQueries + EnvelopeQueries + PairingQueries;

    /// The pool that reads.
    fn reads(&self) -> &Pool<Self::Db>;

    /// The pool whose transactions write.
    fn writes(&self) -> &Pool<Self::Db>;

    /// One push group, inside its transaction (see [`Storage::commit_pushes`]):
    /// the backends batch, lock and look up differently.
    async fn commit_pushes_in(
        &self,
        tx: &mut Transaction<'_, Self::Db>,
        pushes: &[PendingPush],
        received: i64,
    ) -> Result<Vec<PushOutcome>, StorageError>;

    /// Tells the other relay instances sharing the database, once `tx`
    /// commits, that `journal` has a new roster. One instance (the default) has nobody to tell.
    async fn announce_roster(
        &self,
        tx: &mut Transaction<'_, Self::Db>,
        journal: JournalId,
    ) -> Result<(), StorageError> {
        let _ = (tx, journal);
        Ok(())
    }

    /// See [`Storage::start_remote_fanout`] (the default: none).
    fn remote_fanout(&self, hub: Arc<Hub>) -> Option<JoinHandle<()>> {
        let _ = hub;
        None
    }

    /// Closes the pools.
    async fn close_pools(&self);
}

#[async_trait]
impl<B: SqlBackend> Storage for B {
    async fn create_journal(
        &self,
        genesis: &Roster,
        created_unix: u64,
    ) -> Result<(), StorageError> {
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result = B::Db::create_journal_in(&mut tx, genesis, created_unix).await;
        settle(tx, result).await
    }

    async fn reseed_journal(
        &self,
        rosters: &[Roster],
        keys: &[WrappedKey],
        reseeded_unix: u64,
        quota_bytes: u64,
    ) -> Result<(), StorageError> {
        let Some((genesis, versions)) = rosters.split_first() else {
            return Ok(());
        };
        let journal = genesis.journal_id;
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result = async {
            B::Db::create_journal_in(&mut tx, genesis, reseeded_unix).await?;
            for roster in versions {
                B::Db::append_roster_in(&mut tx, roster, &[], quota_bytes).await?;
            }
            B::Db::insert_keys(&mut tx, journal, keys, quota_bytes).await?;
            B::Db::mark_reseeded_in(&mut tx, journal, reseeded_unix).await?;
            self.announce_roster(&mut tx, journal).await
        }
        .await;
        settle(tx, result).await
    }

    async fn journal_of_member(&self, device: DeviceId) -> Result<Option<JournalId>, StorageError> {
        B::Db::journal_of_member(self.reads(), device).await
    }

    async fn rosters(&self, journal: JournalId) -> Result<Vec<Roster>, StorageError> {
        B::Db::rosters(self.reads(), journal).await
    }

    async fn latest_roster(&self, journal: JournalId) -> Result<Option<Roster>, StorageError> {
        B::Db::latest_roster(self.reads(), journal).await
    }

    async fn append_roster_within(
        &self,
        roster: &Roster,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError> {
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result = async {
            B::Db::append_roster_in(&mut tx, roster, keys, quota_bytes).await?;
            self.announce_roster(&mut tx, roster.journal_id).await
        }
        .await;
        settle(tx, result).await
    }

    async fn put_wrapped_keys_within(
        &self,
        journal: JournalId,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError> {
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result = B::Db::put_wrapped_keys_in(&mut tx, journal, keys, quota_bytes).await;
        settle(tx, result).await
    }

    async fn is_member(&self, journal: JournalId, device: DeviceId) -> Result<bool, StorageError> {
        let mut conn = self.reads().acquire().await.map_err(backend)?;
        B::Db::is_member_in(&mut conn, journal, device).await
    }

    async fn wrapped_keys(
        &self,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError> {
        B::Db::wrapped_keys(self.reads(), journal, device).await
    }

    async fn commit_pushes(
        &self,
        pushes: &[PendingPush],
        received_unix: u64,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        let received = to_i64(received_unix, "time")?;
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result = self.commit_pushes_in(&mut tx, pushes, received).await;
        settle(tx, result).await
    }

    async fn envelopes_after(
        &self,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError> {
        B::Db::envelopes_after(self.reads(), journal, after, limit, max_bytes).await
    }

    async fn journal_stats(
        &self,
        journal: JournalId,
    ) -> Result<Option<JournalStats>, StorageError> {
        B::Db::journal_stats(self.reads(), journal).await
    }

    async fn snapshot(&self, journal: JournalId) -> Result<Option<StoredSnapshot>, StorageError> {
        B::Db::snapshot(self.reads(), journal).await
    }

    async fn cover_facts(
        &self,
        journal: JournalId,
        cursor: RelaySeq,
        covers: &[Cover],
    ) -> Result<CoverFacts, StorageError> {
        B::Db::cover_facts(self.reads(), journal, cursor, covers).await
    }

    async fn replace_snapshot(
        &self,
        journal: JournalId,
        previous: Option<[u8; 32]>,
        snapshot: &PreparedSnapshot,
        received_unix: u64,
    ) -> Result<bool, StorageError> {
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result =
            B::Db::replace_snapshot_in(&mut tx, journal, previous, snapshot, received_unix).await;
        settle(tx, result).await
    }

    async fn compact(
        &self,
        journal: JournalId,
        snapshot_hash: [u8; 32],
    ) -> Result<Option<CompactOutcome>, StorageError> {
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result = B::Db::compact_in(&mut tx, journal, snapshot_hash).await;
        settle(tx, result).await
    }

    fn start_remote_fanout(&self, hub: Arc<Hub>) -> Option<JoinHandle<()>> {
        self.remote_fanout(hub)
    }

    async fn close(&self) {
        self.close_pools().await;
    }
}
