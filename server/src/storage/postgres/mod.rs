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
//!   ([`Storage::start_remote_fanout`](super::Storage::start_remote_fanout)) that loads the envelopes other
//!   instances announced and publishes them to its local [`Hub`]. Payloads
//!   carry ids and numbers only, never envelope bytes.
//! - **Revocation across instances.** A roster update locks the journal's row
//!   like a push group, so every push committed after it (through any
//!   instance) is checked against the new devices; it is announced on
//!   [`ROSTER_CHANNEL`], and each listener closes its live connections of
//!   removed devices (`fanout`). Sessions are checked against the devices
//!   table on every request ([`Storage::is_member`](super::Storage::is_member)).
//!
//! The schema and its migrations are in `migrate`, the group commit in
//! `envelopes`, roster announcements in `rosters`, the listener in `fanout`,
//! and what PostgreSQL does its own way in the shared queries in `dialect`.
//! Everything else, and the [`Storage`](super::Storage) methods themselves, is written once
//! for both databases (`storage/sql_backend/`, with the SQL in `storage/sql.rs`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use attune_proto::JournalId;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use tokio::task::JoinHandle;

mod dialect;
mod envelopes;
mod fanout;
mod migrate;
mod pairing;
mod rosters;

use self::fanout::RemoteFanout;
pub use self::fanout::{Announcement, RosterAnnouncement};
pub use self::rosters::ROSTER_CHANNEL;
use super::sql_backend::{backend, SqlBackend};
use super::{PendingPush, PushOutcome, StorageError};
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

#[async_trait]
impl SqlBackend for PostgresStorage {
    type Db = Postgres;

    fn reads(&self) -> &PgPool {
        &self.pool
    }

    fn writes(&self) -> &PgPool {
        &self.pool
    }

    async fn commit_pushes_in(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        pushes: &[PendingPush],
        received: i64,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        envelopes::commit_pushes_in(tx, &self.announce_as(), pushes, received).await
    }

    async fn announce_roster(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        journal: JournalId,
    ) -> Result<(), StorageError> {
        rosters::announce_roster(tx, &self.announce_as(), journal).await
    }

    fn remote_fanout(&self, hub: Arc<Hub>) -> Option<JoinHandle<()>> {
        let listener = RemoteFanout {
            pool: self.pool.clone(),
            instance: self.instance.clone(),
            scope: self.scope.clone(),
            hub,
        };
        Some(tokio::spawn(listener.run()))
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }
}
