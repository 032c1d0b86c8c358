//! Journals, rosters, wrapped keys and membership: the queries both dialects run alike.

use async_trait::async_trait;
use attune_proto::{DeviceId, JournalId, Roster, WrappedKey};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Transaction, Type};

use super::{backend, Dialect};
use crate::storage::rows::{self, to_i64, to_u64, KeyRow};
use crate::storage::sql;
use crate::storage::{stored_key_bytes, StorageError};

/// Journals, rosters, wrapped keys and membership on any [`Dialect`].
///
/// The `_in` functions run on the caller's connection or inside its
/// transaction; the others read from a pool. Implemented once, below, for
/// every database that has what the queries need from sqlx; those bounds are
/// stated on that impl only, so callers just name this trait.
#[async_trait]
pub(crate) trait RosterQueries: Dialect {
    /// See [`Storage::rosters`](crate::storage::Storage::rosters).
    async fn rosters(pool: &Pool<Self>, journal: JournalId) -> Result<Vec<Roster>, StorageError>;

    /// See [`Storage::latest_roster`](crate::storage::Storage::latest_roster).
    async fn latest_roster(
        pool: &Pool<Self>,
        journal: JournalId,
    ) -> Result<Option<Roster>, StorageError>;

    /// See [`Storage::wrapped_keys`](crate::storage::Storage::wrapped_keys).
    async fn wrapped_keys(
        pool: &Pool<Self>,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError>;

    /// See [`Storage::journal_of_member`](crate::storage::Storage::journal_of_member).
    async fn journal_of_member(
        pool: &Pool<Self>,
        device: DeviceId,
    ) -> Result<Option<JournalId>, StorageError>;

    /// Whether `device` is in the latest roster of `journal` (the devices view).
    async fn is_member_in(
        conn: &mut Self::Connection,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<bool, StorageError>;

    /// Creates a journal with its genesis roster (see [`Storage::create_journal`](crate::storage::Storage::create_journal)).
    async fn create_journal_in(
        tx: &mut Transaction<'_, Self>,
        genesis: &Roster,
        created_unix: u64,
    ) -> Result<(), StorageError>;

    /// Marks a journal as re-seeded at `reseeded_unix`.
    async fn mark_reseeded_in(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        reseeded_unix: u64,
    ) -> Result<(), StorageError>;

    /// Appends the next roster version and its keys, under the journal's lock
    /// (see [`Storage::append_roster_within`](crate::storage::Storage::append_roster_within)).
    async fn append_roster_in(
        tx: &mut Transaction<'_, Self>,
        roster: &Roster,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError>;

    /// Stores wrapped keys of an existing journal, under its lock (see
    /// [`Storage::put_wrapped_keys_within`](crate::storage::Storage::put_wrapped_keys_within)).
    async fn put_wrapped_keys_in(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError>;

    /// Writes a roster row and replaces the devices view with its devices.
    async fn insert_roster(
        tx: &mut Transaction<'_, Self>,
        roster: &Roster,
    ) -> Result<(), StorageError>;

    /// Inserts keys, never replacing one: an identical stored key is fine, a
    /// different one is refused. The new ones count against the journal's usage (up to `quota_bytes`).
    async fn insert_keys(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError>;

    /// Adds `bytes` to the journal's usage, or refuses with
    /// [`StorageError::QuotaExceeded`] when that would pass `quota_bytes`.
    async fn charge(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        bytes: u64,
        quota_bytes: u64,
    ) -> Result<(), StorageError>;
}

// SQLite and PostgreSQL both meet these bounds; no caller has to repeat them.
#[async_trait]
impl<D> RosterQueries for D
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'q> &'q [u8]: Encode<'q, D> + Type<D>,
    for<'r> i64: Encode<'r, D> + Decode<'r, D> + Type<D>,
    for<'r> Vec<u8>: Decode<'r, D> + Type<D>,
    usize: ColumnIndex<D::Row>,
{
    async fn rosters(pool: &Pool<D>, journal: JournalId) -> Result<Vec<Roster>, StorageError> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(D::text(&sql::ROSTERS))
            .bind(&journal.0[..])
            .fetch_all(pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|bytes| rows::roster(bytes)).collect()
    }

    async fn latest_roster(
        pool: &Pool<D>,
        journal: JournalId,
    ) -> Result<Option<Roster>, StorageError> {
        let row: Option<Vec<u8>> = sqlx::query_scalar(D::text(&sql::LATEST_ROSTER))
            .bind(&journal.0[..])
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
        row.map(|bytes| rows::roster(&bytes)).transpose()
    }

    async fn wrapped_keys(
        pool: &Pool<D>,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError> {
        let rows: Vec<KeyRow> = sqlx::query_as(D::text(&sql::WRAPPED_KEYS))
            .bind(&journal.0[..])
            .bind(&device.0[..])
            .fetch_all(pool)
            .await
            .map_err(backend)?;
        rows::wrapped_keys(device, rows)
    }

    async fn journal_of_member(
        pool: &Pool<D>,
        device: DeviceId,
    ) -> Result<Option<JournalId>, StorageError> {
        let row: Option<Vec<u8>> = sqlx::query_scalar(D::text(&sql::JOURNAL_OF_MEMBER))
            .bind(&device.0[..])
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
        row.map(|id| rows::journal_id(&id)).transpose()
    }

    async fn is_member_in(
        conn: &mut D::Connection,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<bool, StorageError> {
        let found = sqlx::query(D::text(&sql::IS_MEMBER))
            .bind(&journal.0[..])
            .bind(&device.0[..])
            .fetch_optional(conn)
            .await
            .map_err(backend)?;
        Ok(found.is_some())
    }

    async fn create_journal_in(
        tx: &mut Transaction<'_, D>,
        genesis: &Roster,
        created_unix: u64,
    ) -> Result<(), StorageError> {
        // PostgreSQL: a concurrent insert of the same id waits for ours, then does nothing.
        let inserted = sqlx::query(D::text(&sql::INSERT_JOURNAL))
            .bind(&genesis.journal_id.0[..])
            .bind(to_i64(created_unix, "time")?)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        if D::rows_affected(&inserted) == 0 {
            return Err(StorageError::JournalExists(genesis.journal_id));
        }
        // The genesis is not counted: its size is bounded before it gets here,
        // and the quota is for what the members add to their journal.
        D::insert_roster(tx, genesis).await
    }

    async fn mark_reseeded_in(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        reseeded_unix: u64,
    ) -> Result<(), StorageError> {
        sqlx::query(D::text(&sql::MARK_RESEEDED))
            .bind(to_i64(reseeded_unix, "time")?)
            .bind(&journal.0[..])
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn append_roster_in(
        tx: &mut Transaction<'_, D>,
        roster: &Roster,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError> {
        let journal = roster.journal_id;
        // Serialises roster appends and push groups of all instances on this journal.
        if !D::lock_journal(tx, journal).await? {
            return Err(StorageError::UnknownJournal(journal));
        }
        let latest: Option<i64> = sqlx::query_scalar(D::text(&sql::LATEST_ROSTER_VERSION))
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
        let size = u64::try_from(roster.encode().len()).unwrap_or(u64::MAX);
        D::charge(tx, journal, size, quota_bytes).await?;
        D::insert_roster(tx, roster).await?;
        D::insert_keys(tx, journal, keys, quota_bytes).await
    }

    async fn put_wrapped_keys_in(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError> {
        // Serialises this with push groups and roster appends on the journal,
        // which also change its usage.
        if !D::lock_journal(tx, journal).await? {
            return Err(StorageError::UnknownJournal(journal));
        }
        let exists = sqlx::query(D::text(&sql::JOURNAL_EXISTS))
            .bind(&journal.0[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
        if exists.is_none() {
            return Err(StorageError::UnknownJournal(journal));
        }
        // PostgreSQL: concurrent inserts of one (device, epoch) meet at the
        // primary key; the later one waits, finds the earlier one's row, and compares.
        D::insert_keys(tx, journal, keys, quota_bytes).await
    }

    async fn insert_roster(
        tx: &mut Transaction<'_, D>,
        roster: &Roster,
    ) -> Result<(), StorageError> {
        let journal = &roster.journal_id.0[..];
        let version = to_i64(roster.version, "roster version")?;
        let bytes = roster.encode();
        sqlx::query(D::text(&sql::INSERT_ROSTER))
            .bind(journal)
            .bind(version)
            .bind(&roster.hash()[..])
            .bind(&bytes[..])
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        sqlx::query(D::text(&sql::DELETE_DEVICES))
            .bind(journal)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        for device in &roster.devices {
            sqlx::query(D::UPSERT_DEVICE)
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

    async fn insert_keys(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        keys: &[WrappedKey],
        quota_bytes: u64,
    ) -> Result<(), StorageError> {
        let mut added: u64 = 0;
        for key in keys {
            let epoch = i64::from(key.epoch.0);
            let inserted = sqlx::query(D::text(&sql::INSERT_KEY))
                .bind(&journal.0[..])
                .bind(&key.device_id.0[..])
                .bind(epoch)
                .bind(&key.blob[..])
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            if D::rows_affected(&inserted) > 0 {
                added = added.saturating_add(stored_key_bytes(key));
                continue;
            }
            let stored: Vec<u8> = sqlx::query_scalar(D::text(&sql::STORED_KEY))
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
        D::charge(tx, journal, added, quota_bytes).await
    }

    async fn charge(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        bytes: u64,
        quota_bytes: u64,
    ) -> Result<(), StorageError> {
        if bytes == 0 {
            return Ok(());
        }
        let over = || StorageError::QuotaExceeded {
            journal,
            quota_bytes,
        };
        // Neither fits a BIGINT only when it is far past any quota.
        let bytes = i64::try_from(bytes).map_err(|_| over())?;
        let quota = i64::try_from(quota_bytes).unwrap_or(i64::MAX);
        let charged = sqlx::query(D::text(&sql::CHARGE_JOURNAL))
            .bind(bytes)
            .bind(&journal.0[..])
            .bind(quota)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        if D::rows_affected(&charged) == 0 {
            return Err(over());
        }
        Ok(())
    }
}
