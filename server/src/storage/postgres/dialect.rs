//! What PostgreSQL does its own way: row locks that order writers of a
//! journal across instances, `GREATEST`, `RETURNING`, `ON CONFLICT … DO UPDATE`.

use async_trait::async_trait;
use attune_proto::JournalId;
use sqlx::postgres::PgQueryResult;
use sqlx::{Postgres, Transaction};

use crate::storage::sql::Statement;
use crate::storage::sql_backend::{backend, Dialect};
use crate::storage::StorageError;

#[async_trait]
impl Dialect for Postgres {
    const UPSERT_DEVICE: &'static str =
        "INSERT INTO devices (journal_id, device_id, verifying_key, roster_version) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (journal_id, device_id) DO UPDATE \
         SET verifying_key = excluded.verifying_key, roster_version = excluded.roster_version";

    fn text(statement: &'static Statement) -> &'static str {
        statement.postgres()
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    /// Locks the journal's row (`FOR UPDATE`) until `tx` ends, as push groups do.
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

    async fn record_compaction(
        tx: &mut Transaction<'_, Postgres>,
        journal: JournalId,
        freed: i64,
        cursor: i64,
    ) -> Result<i64, StorageError> {
        sqlx::query_scalar(
            "UPDATE journals SET used_bytes = used_bytes - $1, \
             compacted_through = GREATEST(compacted_through, $2) WHERE journal_id = $3 \
             RETURNING compacted_through",
        )
        .bind(freed)
        .bind(cursor)
        .bind(&journal.0[..])
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)
    }
}
