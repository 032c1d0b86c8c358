//! Snapshots and compaction in SQLite.

use attune_proto::{Cover, JournalId, RelaySeq};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::backend;
use crate::storage::rows::{self, to_i64, to_u64, MaximumRow, SnapshotRow};
use crate::storage::sql;
use crate::storage::{CompactOutcome, CoverFacts, PreparedSnapshot, StorageError, StoredSnapshot};

/// The newest snapshot of a journal, if one was stored.
pub(super) async fn load_snapshot(
    pool: &SqlitePool,
    journal: JournalId,
) -> Result<Option<StoredSnapshot>, StorageError> {
    let row: Option<SnapshotRow> = sqlx::query_as(sql::SNAPSHOT.sqlite())
        .bind(&journal.0[..])
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    row.map(rows::snapshot).transpose()
}

/// See [`crate::storage::Storage::cover_facts`].
pub(super) async fn cover_facts(
    pool: &SqlitePool,
    journal: JournalId,
    cursor: RelaySeq,
    covers: &[Cover],
) -> Result<CoverFacts, StorageError> {
    let mut facts = CoverFacts::default();
    for cover in covers {
        let hash: Option<Vec<u8>> = sqlx::query_scalar(sql::ENVELOPE_HASH.sqlite())
            .bind(&journal.0[..])
            .bind(&cover.device_id.0[..])
            .bind(to_i64(cover.device_seq.0, "device seq")?)
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
        facts.hashes.push(
            hash.map(|h| rows::blob32(&h, "envelope hash"))
                .transpose()?,
        );
    }
    let rows: Vec<MaximumRow> = sqlx::query_as(sql::DEVICE_MAXIMA.sqlite())
        .bind(&journal.0[..])
        .bind(to_i64(cursor.0, "cursor")?)
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    for row in rows {
        facts.maxima.push(rows::device_maximum(row)?);
    }
    Ok(facts)
}

/// See [`crate::storage::Storage::replace_snapshot`]; inside the caller's transaction.
pub(super) async fn replace_snapshot_in(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
    previous: Option<[u8; 32]>,
    snapshot: &PreparedSnapshot,
    received_unix: u64,
) -> Result<bool, StorageError> {
    let stored: Option<Vec<u8>> = sqlx::query_scalar(sql::SNAPSHOT_HASH.sqlite())
        .bind(&journal.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    if stored.as_deref() != previous.as_ref().map(|h| &h[..]) {
        return Ok(false);
    }
    sqlx::query(sql::UPSERT_SNAPSHOT.sqlite())
        .bind(&journal.0[..])
        .bind(&snapshot.hash[..])
        .bind(to_i64(snapshot.cursor.0, "cursor")?)
        .bind(&snapshot.bytes[..])
        .bind(to_i64(received_unix, "time")?)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(true)
}

/// See [`crate::storage::Storage::compact`]; inside the caller's transaction.
pub(super) async fn compact_in(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
    snapshot_hash: [u8; 32],
) -> Result<Option<CompactOutcome>, StorageError> {
    let cursor: Option<i64> = sqlx::query_scalar(sql::SNAPSHOT_CURSOR.sqlite())
        .bind(&journal.0[..])
        .bind(&snapshot_hash[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let deleted: Vec<i64> = sqlx::query_scalar(sql::COMPACT.sqlite())
        .bind(&journal.0[..])
        .bind(cursor)
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?;
    let freed: i64 = deleted.iter().sum();
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
    let through: i64 =
        sqlx::query_scalar("SELECT compacted_through FROM journals WHERE journal_id = ?")
            .bind(&journal.0[..])
            .fetch_one(&mut **tx)
            .await
            .map_err(backend)?;
    Ok(Some(CompactOutcome {
        deleted: deleted.len() as u64,
        freed_bytes: to_u64(freed, "freed bytes")?,
        compacted_through: RelaySeq(to_u64(through, "compacted through")?),
    }))
}
