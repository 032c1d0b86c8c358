//! The embedded SQLite backend: one file, WAL, `synchronous=FULL`, zero setup.
//!
//! All writes go through a pool of exactly one connection, so the relay's own
//! writers never contend for SQLite's lock (and never see `SQLITE_BUSY` when a
//! deferred transaction upgrades); reads use a separate small pool and see the
//! last committed state thanks to WAL.
//!
//! The schema and its migrations are in `migrate`, pushes and pulls in
//! `envelopes`, rosters, keys and membership in `rosters`, snapshots and
//! compaction in `snapshots`; the SQL they share with PostgreSQL is in
//! `storage/sql.rs`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use attune_proto::{Cover, DeviceId, JournalId, RelaySeq, Roster, StoredEnvelope, WrappedKey};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

mod envelopes;
mod migrate;
mod rosters;
mod snapshots;

use super::rows::{self, to_i64, KeyRow};
use super::sql;
use super::{
    CompactOutcome, CoverFacts, JournalStats, PendingPush, PreparedSnapshot, PushOutcome, Storage,
    StorageError, StoredSnapshot,
};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "relay.sqlite3";

/// How long a connection waits for SQLite's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Storage in one SQLite file.
pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
}

fn backend(e: sqlx::Error) -> StorageError {
    StorageError::Backend(Box::new(e))
}

/// Commits on success; on failure rolls back now, before the one writer connection is reused.
async fn settle<T>(
    tx: Transaction<'_, Sqlite>,
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

impl SqliteStorage {
    /// Opens (creating if needed) `relay.sqlite3` in `dir` and applies pending migrations.
    pub async fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Backend(Box::new(e)))?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(backend)?
            .filename(dir.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk (WAL fsynced) before we acknowledge it.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(backend)?;
        migrate::migrate(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await
            .map_err(backend)?;
        Ok(Self { writer, reader })
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn create_journal(
        &self,
        genesis: &Roster,
        created_unix: u64,
    ) -> Result<(), StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result = rosters::create_journal_in(&mut tx, genesis, created_unix).await;
        settle(tx, result).await
    }

    async fn rosters(&self, journal: JournalId) -> Result<Vec<Roster>, StorageError> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(sql::ROSTERS.sqlite())
            .bind(&journal.0[..])
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        rows.iter().map(|bytes| rows::roster(bytes)).collect()
    }

    async fn latest_roster(&self, journal: JournalId) -> Result<Option<Roster>, StorageError> {
        let row: Option<Vec<u8>> = sqlx::query_scalar(sql::LATEST_ROSTER.sqlite())
            .bind(&journal.0[..])
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?;
        row.map(|bytes| rows::roster(&bytes)).transpose()
    }

    async fn append_roster(
        &self,
        roster: &Roster,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result = rosters::append_roster_in(&mut tx, roster, keys).await;
        settle(tx, result).await
    }

    async fn put_wrapped_keys(
        &self,
        journal: JournalId,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result = rosters::put_wrapped_keys_in(&mut tx, journal, keys).await;
        settle(tx, result).await
    }

    async fn wrapped_keys(
        &self,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError> {
        let rows: Vec<KeyRow> = sqlx::query_as(sql::WRAPPED_KEYS.sqlite())
            .bind(&journal.0[..])
            .bind(&device.0[..])
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        rows::wrapped_keys(device, rows)
    }

    async fn is_member(&self, journal: JournalId, device: DeviceId) -> Result<bool, StorageError> {
        let mut conn = self.reader.acquire().await.map_err(backend)?;
        rosters::is_member_in(&mut conn, journal, device).await
    }

    async fn commit_pushes(
        &self,
        pushes: &[PendingPush],
        received_unix: u64,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        let received = to_i64(received_unix, "time")?;
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result = envelopes::commit_pushes_in(&mut tx, pushes, received).await;
        settle(tx, result).await
    }

    async fn envelopes_after(
        &self,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError> {
        envelopes::load_after(&self.reader, journal, after, limit, max_bytes).await
    }

    async fn journal_stats(
        &self,
        journal: JournalId,
    ) -> Result<Option<JournalStats>, StorageError> {
        envelopes::load_stats(&self.reader, journal).await
    }

    async fn snapshot(&self, journal: JournalId) -> Result<Option<StoredSnapshot>, StorageError> {
        snapshots::load_snapshot(&self.reader, journal).await
    }

    async fn cover_facts(
        &self,
        journal: JournalId,
        cursor: RelaySeq,
        covers: &[Cover],
    ) -> Result<CoverFacts, StorageError> {
        snapshots::cover_facts(&self.reader, journal, cursor, covers).await
    }

    async fn replace_snapshot(
        &self,
        journal: JournalId,
        previous: Option<[u8; 32]>,
        snapshot: &PreparedSnapshot,
        received_unix: u64,
    ) -> Result<bool, StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result =
            snapshots::replace_snapshot_in(&mut tx, journal, previous, snapshot, received_unix)
                .await;
        settle(tx, result).await
    }

    async fn compact(
        &self,
        journal: JournalId,
        snapshot_hash: [u8; 32],
    ) -> Result<Option<CompactOutcome>, StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result = snapshots::compact_in(&mut tx, journal, snapshot_hash).await;
        settle(tx, result).await
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
