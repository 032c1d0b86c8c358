//! The SQLite schema: migrations applied in order at open; `PRAGMA
//! user_version` records how many ran.

use sqlx::SqlitePool;

use crate::storage::rows;
use crate::storage::sql_backend::backend;
use crate::storage::StorageError;

/// Schema migrations, applied in order.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_snapshots.sql"),
    include_str!("../../../migrations/sqlite/0003_reseed.sql"),
    include_str!("../../../migrations/sqlite/0004_pairing.sql"),
];

/// Applies the migrations this database has not run yet, each in its own transaction.
pub(super) async fn migrate(pool: &SqlitePool) -> Result<(), StorageError> {
    let applied: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(pool)
        .await
        .map_err(backend)?;
    let applied = rows::schema_version(applied, MIGRATIONS.len())?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let mut tx = pool.begin().await.map_err(backend)?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // PRAGMA takes no bound parameters; the value is our own constant.
        sqlx::raw_sql(&format!("PRAGMA user_version = {}", index + 1))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
    }
    Ok(())
}
