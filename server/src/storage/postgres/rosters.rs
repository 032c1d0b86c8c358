//! Roster updates across PostgreSQL instances: their announcement, and the
//! devices a listener checks its live connections against.
//!
//! Roster appends lock the journal's row like push groups do (see
//! `Dialect::lock_journal`), so a push committed after a roster update
//! (through any instance) sees the new devices, and one committed before it
//! is ordered before it.

use attune_proto::{DeviceId, JournalId};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::storage::rows;
use crate::storage::sql_backend::backend;
use crate::storage::StorageError;

/// The channel on which roster updates are announced to the other instances
/// (payload `<instance>:<scope>:<journal hex>`), so they close the live
/// connections of removed devices.
pub const ROSTER_CHANNEL: &str = "attune_rosters";

/// Announces a roster update of `journal` to the other instances
/// (`announce_as`: `<instance>:<scope>`).
pub(super) async fn announce_roster(
    tx: &mut Transaction<'_, Postgres>,
    announce_as: &str,
    journal: JournalId,
) -> Result<(), StorageError> {
    // Delivered to the other instances only if (and when) this transaction commits.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(ROSTER_CHANNEL)
        .bind(format!("{announce_as}:{journal}"))
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The devices of the latest roster of `journal` (empty when it does not exist).
pub(super) async fn members(
    conn: &mut PgConnection,
    journal: JournalId,
) -> Result<Vec<DeviceId>, StorageError> {
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT device_id FROM devices WHERE journal_id = $1")
            .bind(&journal.0[..])
            .fetch_all(conn)
            .await
            .map_err(backend)?;
    rows.iter().map(|id| rows::device_id(id)).collect()
}
