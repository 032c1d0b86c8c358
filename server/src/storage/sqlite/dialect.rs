//! What SQLite does its own way: no row locks (one writer connection
//! serialises every write), `MAX` of two values, `INSERT OR REPLACE`.

use async_trait::async_trait;
use attune_proto::JournalId;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{Sqlite, Transaction};

use crate::storage::sql::Statement;
use crate::storage::sql_backend::{backend, Dialect};
use crate::storage::StorageError;

#[async_trait]
impl Dialect for Sqlite {
    const UPSERT_DEVICE: &'static str =
        "INSERT OR REPLACE INTO devices (journal_id, device_id, verifying_key, roster_version) \
         VALUES (?, ?, ?, ?)";

    fn text(statement: &'static Statement) -> &'static str {
        statement.sqlite()
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    /// Nothing to lock: every write goes through the one writer connection,
    /// one transaction at a time. The journal is not looked up (true).
    async fn lock_journal(
        _tx: &mut Transaction<'_, Sqlite>,
        _journal: JournalId,
    ) -> Result<bool, StorageError> {
        Ok(true)
    }

    async fn record_compaction(
        tx: &mut Transaction<'_, Sqlite>,
        journal: JournalId,
        freed: i64,
        cursor: i64,
    ) -> Result<i64, StorageError> {
        sqlx::query(
            "UPDATE journals SET used_bytes = used_bytes - ?, \
             compacted_through = MAX(compacted_through, ?) WHERE journal_id = ?",
        )
        .bind(freed)
        .bind(cursor)
        .bind(&journal.0[..])
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT compacted_through FROM journals WHERE journal_id = ?")
            .bind(&journal.0[..])
            .fetch_one(&mut **tx)
            .await
            .map_err(backend)
    }
}
