//! Rosters, wrapped keys and membership in SQLite, inside the caller's transaction.

use attune_proto::{DeviceId, JournalId, Roster, WrappedKey};
use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::backend;
use crate::storage::rows::{to_i64, to_u64};
use crate::storage::sql;
use crate::storage::StorageError;

/// Creates a journal with its genesis roster (see [`crate::storage::Storage::create_journal`]).
pub(super) async fn create_journal_in(
    tx: &mut Transaction<'_, Sqlite>,
    genesis: &Roster,
    created_unix: u64,
) -> Result<(), StorageError> {
    let inserted = sqlx::query(sql::INSERT_JOURNAL.sqlite())
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
    tx: &mut Transaction<'_, Sqlite>,
    roster: &Roster,
) -> Result<(), StorageError> {
    let journal = &roster.journal_id.0[..];
    let version = to_i64(roster.version, "roster version")?;
    sqlx::query(sql::INSERT_ROSTER.sqlite())
        .bind(journal)
        .bind(version)
        .bind(&roster.hash()[..])
        .bind(roster.encode())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::query(sql::DELETE_DEVICES.sqlite())
        .bind(journal)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    for device in &roster.devices {
        sqlx::query(
            "INSERT OR REPLACE INTO devices (journal_id, device_id, verifying_key, roster_version) \
             VALUES (?, ?, ?, ?)",
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

/// Appends the next roster version and its keys (see [`crate::storage::Storage::append_roster`]).
pub(super) async fn append_roster_in(
    tx: &mut Transaction<'_, Sqlite>,
    roster: &Roster,
    keys: &[WrappedKey],
) -> Result<(), StorageError> {
    let journal = roster.journal_id;
    let latest: Option<i64> = sqlx::query_scalar(sql::LATEST_ROSTER_VERSION.sqlite())
        .bind(&journal.0[..])
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    let Some(latest) = latest else {
        return Err(StorageError::UnknownJournal(journal));
    };
    if to_u64(latest, "roster version")?.checked_add(1) != Some(roster.version) {
        return Err(StorageError::RosterConflict {
            journal,
            version: roster.version,
        });
    }
    insert_roster(tx, roster).await?;
    insert_keys(tx, journal, keys).await
}

/// Stores wrapped keys of an existing journal (see [`crate::storage::Storage::put_wrapped_keys`]).
pub(super) async fn put_wrapped_keys_in(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
    keys: &[WrappedKey],
) -> Result<(), StorageError> {
    let exists = sqlx::query(sql::JOURNAL_EXISTS.sqlite())
        .bind(&journal.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    if exists.is_none() {
        return Err(StorageError::UnknownJournal(journal));
    }
    insert_keys(tx, journal, keys).await
}

/// Inserts keys, never replacing one: an identical stored key is fine, a different one is refused.
async fn insert_keys(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
    keys: &[WrappedKey],
) -> Result<(), StorageError> {
    for key in keys {
        let epoch = i64::from(key.epoch.0);
        let inserted = sqlx::query(sql::INSERT_KEY.sqlite())
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
        let stored: Vec<u8> = sqlx::query_scalar(sql::STORED_KEY.sqlite())
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
    conn: &mut SqliteConnection,
    journal: JournalId,
    device: DeviceId,
) -> Result<bool, StorageError> {
    let found = sqlx::query(sql::IS_MEMBER.sqlite())
        .bind(&journal.0[..])
        .bind(&device.0[..])
        .fetch_optional(conn)
        .await
        .map_err(backend)?;
    Ok(found.is_some())
}
