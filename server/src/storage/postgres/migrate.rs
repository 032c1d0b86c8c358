//! The PostgreSQL schema: migrations applied in order at start, one
//! instance at a time; the table `attune_schema` records which ran.

use sqlx::{PgPool, Postgres, Transaction};

use crate::storage::rows::{self, to_i64};
use crate::storage::sql_backend::{backend, settle};
use crate::storage::StorageError;

/// Schema migrations, applied in order.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_init.sql"),
    include_str!("../../../migrations/postgres/0002_snapshots.sql"),
    include_str!("../../../migrations/postgres/0003_reseed.sql"),
    include_str!("../../../migrations/postgres/0004_pairing.sql"),
];

/// Key of the advisory lock that serialises migrations of instances starting together.
const MIGRATION_LOCK: i64 = 0x6174_7475_6e65; // "attune"

/// Applies the migrations this database has not run yet, in one transaction.
pub(super) async fn migrate(pool: &PgPool) -> Result<(), StorageError> {
    let mut tx = pool.begin().await.map_err(backend)?;
    let result = migrate_in(&mut tx).await;
    settle(tx, result).await
}

async fn migrate_in(tx: &mut Transaction<'_, Postgres>) -> Result<(), StorageError> {
    // Instances starting together migrate one after the other.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS attune_schema (\
            version BIGINT NOT NULL PRIMARY KEY, \
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    let applied: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM attune_schema")
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    let applied = rows::schema_version(applied, MIGRATIONS.len())?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        sqlx::raw_sql(sql)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO attune_schema (version) VALUES ($1)")
            .bind(to_i64(index as u64 + 1, "schema version")?)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_is_listed() {
        assert_eq!(MIGRATIONS.len(), 4);
    }
}
