//! Rosters, wrapped keys and membership in SQLite, inside the caller's transaction.

use attune_proto::{DeviceId, Epoch, JournalId, Roster, WrappedKey};
use sqlx::{Row, Sqlite, SqliteConnection, Transaction};

use super::backend;
use crate::storage::{to_i64, to_u64, StorageError};

/// Writes a roster row and replaces the devices view with its devices.
pub(super) async fn insert_roster(
    tx: &mut Transaction<'_, Sqlite>,
    roster: &Roster,
) -> Result<(), StorageError> {
    let journal = &roster.journal_id.0[..];
    let version = to_i64(roster.version, "roster version")?;
    sqlx::query("INSERT INTO rosters (journal_id, version, hash, bytes) VALUES (?, ?, ?, ?)")
        .bind(journal)
        .bind(version)
        .bind(&roster.hash()[..])
        .bind(roster.encode())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::query("DELETE FROM devices WHERE journal_id = ?")
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
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM rosters WHERE journal_id = ?")
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
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM journals WHERE journal_id = ?")
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
        let inserted = sqlx::query(
            "INSERT INTO wrapped_keys (journal_id, device_id, epoch, blob) VALUES (?, ?, ?, ?) \
             ON CONFLICT (journal_id, device_id, epoch) DO NOTHING",
        )
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
        let stored: Vec<u8> = sqlx::query_scalar(
            "SELECT blob FROM wrapped_keys WHERE journal_id = ? AND device_id = ? AND epoch = ?",
        )
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
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM devices WHERE journal_id = ? AND device_id = ?")
            .bind(&journal.0[..])
            .bind(&device.0[..])
            .fetch_optional(conn)
            .await
            .map_err(backend)?;
    Ok(found.is_some())
}

/// The wrapped keys of one device, by epoch.
pub(super) fn decode_keys(
    device: DeviceId,
    rows: &[sqlx::sqlite::SqliteRow],
) -> Result<Vec<WrappedKey>, StorageError> {
    rows.iter()
        .map(|row| {
            let epoch: i64 = row.get(0);
            let epoch = u32::try_from(epoch)
                .map_err(|_| StorageError::Corrupt(format!("epoch {epoch}")))?;
            Ok(WrappedKey {
                device_id: device,
                epoch: Epoch(epoch),
                blob: row.get::<Vec<u8>, _>(1),
            })
        })
        .collect()
}
