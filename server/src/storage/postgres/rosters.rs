//! Rosters, wrapped keys and membership in PostgreSQL, inside the caller's transaction.
//!
//! Roster appends lock the journal's row like push groups do, so a push
//! committed after a roster update (through any instance) sees the new
//! devices, and one committed before it is ordered before it.

use attune_proto::{DeviceId, JournalId, Roster, WrappedKey};
use sqlx::{PgConnection, Postgres, Transaction};

use super::{backend, lock_journal};
use crate::storage::rows::{self, to_i64, to_u64};
use crate::storage::sql;
use crate::storage::StorageError;

/// The channel on which roster updates are announced to the other instances
/// (payload `<instance>:<scope>:<journal hex>`), so they close the live
/// connections of removed devices.
pub const ROSTER_CHANNEL: &str = "attune_rosters";

/// Creates a journal with its genesis roster (see [`crate::storage::Storage::create_journal`]).
pub(super) async fn create_journal_in(
    tx: &mut Transaction<'_, Postgres>,
    genesis: &Roster,
    created_unix: u64,
) -> Result<(), StorageError> {
    // A concurrent insert of the same id waits for ours, then does nothing.
    let inserted = sqlx::query(sql::INSERT_JOURNAL.postgres())
        .bind(&genesis.journal_id.0[..])
        .bind(to_i64(created_unix, "time")?)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    if inserted.rows_affected() == 0 {
        return Err(StorageError::JournalExists(genesis.journal_id));
    }
    insert_roster(tx, genesis).await
}

/// Writes a roster row and replaces the devices view with its devices.
async fn insert_roster(
    tx: &mut Transaction<'_, Postgres>,
    roster: &Roster,
) -> Result<(), StorageError> {
    let journal = &roster.journal_id.0[..];
    let version = to_i64(roster.version, "roster version")?;
    sqlx::query(sql::INSERT_ROSTER.postgres())
        .bind(journal)
        .bind(version)
        .bind(&roster.hash()[..])
        .bind(roster.encode())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::query(sql::DELETE_DEVICES.postgres())
        .bind(journal)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    for device in &roster.devices {
        sqlx::query(
            "INSERT INTO devices (journal_id, device_id, verifying_key, roster_version) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (journal_id, device_id) DO UPDATE \
             SET verifying_key = excluded.verifying_key, roster_version = excluded.roster_version",
        )
        .bind(journal)
        .bind(&device.device_id.0[..])
        .bind(&device.verifying_key[..])
        .bind(version)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

/// Appends the next roster version and its keys, and announces it to the
/// other instances (`announce_as`: `<instance>:<scope>`).
pub(super) async fn append_roster_in(
    tx: &mut Transaction<'_, Postgres>,
    announce_as: &str,
    roster: &Roster,
    keys: &[WrappedKey],
) -> Result<(), StorageError> {
    let journal = roster.journal_id;
    // Serialises roster appends and push groups of all instances on this journal.
    if !lock_journal(tx, journal).await? {
        return Err(StorageError::UnknownJournal(journal));
    }
    let latest: Option<i64> = sqlx::query_scalar(sql::LATEST_ROSTER_VERSION.postgres())
        .bind(&journal.0[..])
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    let latest = to_u64(latest.unwrap_or(0), "roster version")?;
    if latest.checked_add(1) != Some(roster.version) {
        return Err(StorageError::RosterConflict {
            journal,
            version: roster.version,
        });
    }
    insert_roster(tx, roster).await?;
    insert_keys(tx, journal, keys).await?;
    // Delivered to the other instances only if (and when) this transaction commits.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(ROSTER_CHANNEL)
        .bind(format!("{announce_as}:{journal}"))
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Stores wrapped keys of an existing journal (see [`crate::storage::Storage::put_wrapped_keys`]).
pub(super) async fn put_wrapped_keys_in(
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
    keys: &[WrappedKey],
) -> Result<(), StorageError> {
    let exists = sqlx::query(sql::JOURNAL_EXISTS.postgres())
        .bind(&journal.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    if exists.is_none() {
        return Err(StorageError::UnknownJournal(journal));
    }
    // Concurrent inserts of one (device, epoch) meet at the primary key: the
    // later one waits, finds the earlier one's row, and compares.
    insert_keys(tx, journal, keys).await
}

/// Inserts keys, never replacing one: an identical stored key is fine, a different one is refused.
async fn insert_keys(
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
    keys: &[WrappedKey],
) -> Result<(), StorageError> {
    for key in keys {
        let epoch = i64::from(key.epoch.0);
        let inserted = sqlx::query(sql::INSERT_KEY.postgres())
            .bind(&journal.0[..])
            .bind(&key.device_id.0[..])
            .bind(epoch)
            .bind(&key.blob[..])
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        if inserted.rows_affected() > 0 {
            continue;
        }
        let stored: Vec<u8> = sqlx::query_scalar(sql::STORED_KEY.postgres())
            .bind(&journal.0[..])
            .bind(&key.device_id.0[..])
            .bind(epoch)
            .fetch_one(&mut **tx)
            .await
            .map_err(backend)?;
        if stored != key.blob {
            return Err(StorageError::KeyExists {
                device: key.device_id,
                epoch: key.epoch,
            });
        }
    }
    Ok(())
}

/// Whether `device` is in the latest roster of `journal` (the devices view).
pub(super) async fn is_member_in(
    conn: &mut PgConnection,
    journal: JournalId,
    device: DeviceId,
) -> Result<bool, StorageError> {
    let found = sqlx::query(sql::IS_MEMBER.postgres())
        .bind(&journal.0[..])
        .bind(&device.0[..])
        .fetch_optional(conn)
        .await
        .map_err(backend)?;
    Ok(found.is_some())
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
