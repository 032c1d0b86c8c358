//! The PostgreSQL backend: several relay instances may share one database.
//!
//! - **Durability.** Every connection runs with `synchronous_commit=on`, so a
//!   commit is flushed to the WAL before the relay acknowledges it.
//! - **Gap-free relay sequences across instances.** A push group locks the
//!   rows of its journals (`SELECT … FOR UPDATE`, in journal-id order so two
//!   instances never deadlock) before planning, then re-reads the device tips
//!   under that lock. Nothing is cached across transactions; the shared
//!   planner ([`plan_push`](super::push_plan::plan_push)) decides exactly as for SQLite.
//! - **Cross-instance live fan-out.** The committing transaction issues
//!   `NOTIFY attune_envelopes, '<instance>:<scope>:<journal>:<first>:<last>'`
//!   (delivered only if it commits). The scope is a short hash of the
//!   database and schema, since notifications cross schemas: relays (or
//!   tests) using other schemas of the same database ignore each other. Every instance runs one listener task
//!   ([`Storage::start_remote_fanout`]) that loads the envelopes other
//!   instances announced and publishes them to its local [`Hub`]. Payloads
//!   carry ids and numbers only, never envelope bytes.
//! - **Revocation across instances.** A roster update locks the journal's row
//!   like a push group, so every push committed after it (through any
//!   instance) is checked against the new devices; it is announced on
//!   [`ROSTER_CHANNEL`], and each listener closes its live connections of
//!   removed devices (`fanout`). Sessions are checked against the devices
//!   table on every request ([`Storage::is_member`]).
//!
//! The schema and its migrations are in `migrate`, pushes and pulls in
//! `envelopes`, rosters, keys and membership in `rosters`, snapshots and
//! compaction in `snapshots`, the listener in `fanout`; the SQL they share
//! with SQLite is in `storage/sql.rs`.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use attune_proto::{Cover, DeviceId, JournalId, RelaySeq, Roster, StoredEnvelope, WrappedKey};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use tokio::task::JoinHandle;

mod envelopes;
mod fanout;
mod migrate;
mod rosters;
mod snapshots;

use self::fanout::RemoteFanout;
pub use self::fanout::{Announcement, RosterAnnouncement};
pub use self::rosters::ROSTER_CHANNEL;
use super::rows::{self, to_i64, KeyRow};
use super::sql;
use super::{
    CompactOutcome, CoverFacts, JournalStats, PendingPush, PreparedSnapshot, PushOutcome, Storage,
    StorageError, StoredSnapshot,
};
use crate::fanout::Hub;

/// The channel on which committed ranges are announced to the other instances.
pub const NOTIFY_CHANNEL: &str = "attune_envelopes";

/// Connections in the pool (the listener holds one more of its own).
const POOL_SIZE: u32 = 10;

/// Storage in a PostgreSQL database (the schema comes from the connection's `search_path`).
pub struct PostgresStorage {
    pool: PgPool,
    /// Random id of this relay instance, so that its listener skips its own announcements.
    instance: String,
    /// Hash of the database and schema, so that listeners skip other schemas' announcements.
    scope: String,
}

fn backend(e: sqlx::Error) -> StorageError {
    StorageError::Backend(Box::new(e))
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user@host:port/database?…`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let options = PgConnectOptions::from_str(url).map_err(backend)?;
        Self::connect_with(options).await
    }

    /// Connects with explicit options and applies pending migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StorageError> {
        // Acknowledge only what is flushed, whatever the server's default says.
        let options = options.options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(backend)?;
        migrate::migrate(&pool).await?;
        let (database, schema): (String, String) =
            sqlx::query_as("SELECT current_database()::text, COALESCE(current_schema(), '')::text")
                .fetch_one(&pool)
                .await
                .map_err(backend)?;
        let scope = blake3::hash(format!("{database}\0{schema}").as_bytes());
        let scope = hex::encode(&scope.as_bytes()[..8]);
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| {
            StorageError::Backend(format!("no randomness for the instance id: {e}").into())
        })?;
        Ok(Self {
            pool,
            instance: hex::encode(id),
            scope,
        })
    }

    /// This instance's id, as it appears in its announcements.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// `<instance>:<scope>`, the start of this instance's announcements.
    fn announce_as(&self) -> String {
        format!("{}:{}", self.instance, self.scope)
    }
}

/// Commits on success; on failure rolls back NOW, so that no row lock outlives the call
/// (a dropped transaction would only be rolled back when its connection is next used).
async fn settle<T>(
    tx: Transaction<'_, Postgres>,
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

/// Locks a journal's row for the rest of the transaction; false when it does not exist.
async fn lock_journal(
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
) -> Result<bool, StorageError> {
    let row = sqlx::query("SELECT 1 FROM journals WHERE journal_id = $1 FOR UPDATE")
        .bind(&journal.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(row.is_some())
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn create_journal(
        &self,
        genesis: &Roster,
        created_unix: u64,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = rosters::create_journal_in(&mut tx, genesis, created_unix).await;
        settle(tx, result).await
    }

    async fn rosters(&self, journal: JournalId) -> Result<Vec<Roster>, StorageError> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(sql::ROSTERS.postgres())
            .bind(&journal.0[..])
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|bytes| rows::roster(bytes)).collect()
    }

    async fn latest_roster(&self, journal: JournalId) -> Result<Option<Roster>, StorageError> {
        let row: Option<Vec<u8>> = sqlx::query_scalar(sql::LATEST_ROSTER.postgres())
            .bind(&journal.0[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|bytes| rows::roster(&bytes)).transpose()
    }

    async fn append_roster(
        &self,
        roster: &Roster,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = rosters::append_roster_in(&mut tx, &self.announce_as(), roster, keys).await;
        settle(tx, result).await
    }

    async fn put_wrapped_keys(
        &self,
        journal: JournalId,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = rosters::put_wrapped_keys_in(&mut tx, journal, keys).await;
        settle(tx, result).await
    }

    async fn wrapped_keys(
        &self,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError> {
        let rows: Vec<KeyRow> = sqlx::query_as(sql::WRAPPED_KEYS.postgres())
            .bind(&journal.0[..])
            .bind(&device.0[..])
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows::wrapped_keys(device, rows)
    }

    async fn is_member(&self, journal: JournalId, device: DeviceId) -> Result<bool, StorageError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        rosters::is_member_in(&mut conn, journal, device).await
    }

    async fn commit_pushes(
        &self,
        pushes: &[PendingPush],
        received_unix: u64,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        let received = to_i64(received_unix, "time")?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result =
            envelopes::commit_pushes_in(&mut tx, &self.announce_as(), pushes, received).await;
        settle(tx, result).await
    }

    async fn envelopes_after(
        &self,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError> {
        envelopes::load_after(&self.pool, journal, after, limit, max_bytes).await
    }

    async fn journal_stats(
        &self,
        journal: JournalId,
    ) -> Result<Option<JournalStats>, StorageError> {
        envelopes::load_stats(&self.pool, journal).await
    }

    async fn snapshot(&self, journal: JournalId) -> Result<Option<StoredSnapshot>, StorageError> {
        snapshots::load_snapshot(&self.pool, journal).await
    }

    async fn cover_facts(
        &self,
        journal: JournalId,
        cursor: RelaySeq,
        covers: &[Cover],
    ) -> Result<CoverFacts, StorageError> {
        snapshots::cover_facts(&self.pool, journal, cursor, covers).await
    }

    async fn replace_snapshot(
        &self,
        journal: JournalId,
        previous: Option<[u8; 32]>,
        snapshot: &PreparedSnapshot,
        received_unix: u64,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = snapshots::compact_in(&mut tx, journal, snapshot_hash).await;
        settle(tx, result).await
    }

    fn start_remote_fanout(&self, hub: Arc<Hub>) -> Option<JoinHandle<()>> {
        let listener = RemoteFanout {
            pool: self.pool.clone(),
            instance: self.instance.clone(),
            scope: self.scope.clone(),
            hub,
        };
        Some(tokio::spawn(listener.run()))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
