//! The embedded SQLite backend: one file, WAL, `synchronous=FULL`, zero setup.
//!
//! All writes go through a pool of exactly one connection, so the relay's own
//! writers never contend for SQLite's lock (and never see `SQLITE_BUSY` when a
//! deferred transaction upgrades); reads use a separate small pool and see the
//! last committed state thanks to WAL.
//!
//! The schema and its migrations are in `migrate`, the group commit in
//! `envelopes`, and what SQLite does its own way in the shared queries in
//! `dialect`. Everything else, and the [`Storage`](super::Storage) methods
//! themselves, is written once for both databases (`storage/sql_backend/`,
//! with the SQL in `storage/sql.rs`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

mod dialect;
mod envelopes;
mod migrate;
mod pairing;

use super::sql_backend::{backend, SqlBackend};
use super::{PendingPush, PushOutcome, StorageError};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "relay.sqlite3";

/// How long a connection waits for SQLite's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Storage in one SQLite file.
pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
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
impl SqlBackend for SqliteStorage {
    type Db = Sqlite;

    fn reads(&self) -> &SqlitePool {
        &self.reader
    }

    fn writes(&self) -> &SqlitePool {
        &self.writer
    }

    async fn commit_pushes_in(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        pushes: &[PendingPush],
        received: i64,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        envelopes::commit_pushes_in(tx, pushes, received).await
    }

    async fn close_pools(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
