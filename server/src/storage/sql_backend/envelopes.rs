//! Envelopes, snapshots and compaction: the queries both dialects run alike.
//!
//! The group commit itself is not here: each backend batches, locks and
//! looks up its own way, with [`GroupDevices`] and
//! [`EnvelopeQueries::update_journal_tip`] from here.

use std::collections::HashMap;

use async_trait::async_trait;
use attune_proto::{Cover, DeviceId, JournalId, RelaySeq, StoredEnvelope};
use futures_util::TryStreamExt;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row, Transaction, Type};

use super::{backend, Dialect, RosterQueries};
use crate::storage::rows::{self, to_i64, to_u64, MaximumRow, Page, SnapshotRow, StatsRow, TipRow};
use crate::storage::sql;
use crate::storage::{
    CompactOutcome, CoverFacts, DeviceTip, JournalStats, JournalTip, PendingPush, PreparedSnapshot,
    StorageError, StoredSnapshot,
};

/// Envelopes, snapshots and compaction on any [`Dialect`].
///
/// The `_in` functions run on the caller's connection or inside its
/// transaction; the others read from a pool. Implemented once, below, for
/// every database that has what the queries need from sqlx; those bounds are
/// stated on that impl only, so callers just name this trait.
#[async_trait]
pub(crate) trait EnvelopeQueries: Dialect {
    /// Up to `limit` envelopes after `after`, bounded in bytes (see [`Storage::envelopes_after`](crate::storage::Storage::envelopes_after)).
    async fn envelopes_after(
        pool: &Pool<Self>,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError>;

    /// Head, usage and compaction point of a journal, or `None` when it does not exist.
    async fn journal_stats(
        pool: &Pool<Self>,
        journal: JournalId,
    ) -> Result<Option<JournalStats>, StorageError>;

    /// Where `device` stands in `journal` ([`DeviceTip::EMPTY`] when it has stored nothing).
    async fn device_tip(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<DeviceTip, StorageError>;

    /// Records a journal's head and usage after a push group.
    async fn update_journal_tip(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        tip: &JournalTip,
    ) -> Result<(), StorageError>;

    /// The newest snapshot of a journal, if one was stored.
    async fn snapshot(
        pool: &Pool<Self>,
        journal: JournalId,
    ) -> Result<Option<StoredSnapshot>, StorageError>;

    /// See [`Storage::cover_facts`](crate::storage::Storage::cover_facts).
    async fn cover_facts(
        pool: &Pool<Self>,
        journal: JournalId,
        cursor: RelaySeq,
        covers: &[Cover],
    ) -> Result<CoverFacts, StorageError>;

    /// See [`Storage::replace_snapshot`](crate::storage::Storage::replace_snapshot).
    async fn replace_snapshot_in(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        previous: Option<[u8; 32]>,
        snapshot: &PreparedSnapshot,
        received_unix: u64,
    ) -> Result<bool, StorageError>;

    /// See [`Storage::compact`](crate::storage::Storage::compact).
    async fn compact_in(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        snapshot_hash: [u8; 32],
    ) -> Result<Option<CompactOutcome>, StorageError>;
}

// SQLite and PostgreSQL both meet these bounds; no caller has to repeat them.
#[async_trait]
impl<D> EnvelopeQueries for D
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'q> &'q [u8]: Encode<'q, D> + Decode<'q, D> + Type<D>,
    for<'r> i64: Encode<'r, D> + Decode<'r, D> + Type<D>,
    for<'r> Vec<u8>: Decode<'r, D> + Type<D>,
    usize: ColumnIndex<D::Row>,
{
    async fn envelopes_after(
        pool: &Pool<D>,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError> {
        // A cursor past what the database can hold simply has nothing after it.
        let Ok(after_i64) = i64::try_from(after.0) else {
            return Ok(Vec::new());
        };
        let mut rows = sqlx::query(D::text(&sql::ENVELOPES_AFTER))
            .bind(&journal.0[..])
            .bind(after_i64)
            .bind(i64::from(limit))
            .fetch(pool);
        let mut page = Page::new(journal, max_bytes);
        // Streamed, so a page of large envelopes stops reading at the byte budget.
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            let taken = page.take(
                row.try_get(0).map_err(backend)?,
                row.try_get(1).map_err(backend)?,
                row.try_get(2).map_err(backend)?,
            )?;
            if !taken {
                break;
            }
        }
        Ok(page.into_envelopes())
    }

    async fn journal_stats(
        pool: &Pool<D>,
        journal: JournalId,
    ) -> Result<Option<JournalStats>, StorageError> {
        let row: Option<StatsRow> = sqlx::query_as(D::text(&sql::JOURNAL_STATS))
            .bind(&journal.0[..])
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
        row.map(rows::journal_stats).transpose()
    }

    async fn device_tip(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<DeviceTip, StorageError> {
        let row: Option<TipRow> = sqlx::query_as(D::text(&sql::DEVICE_TIP))
            .bind(&journal.0[..])
            .bind(&device.0[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
        rows::device_tip(row)
    }

    async fn update_journal_tip(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        tip: &JournalTip,
    ) -> Result<(), StorageError> {
        sqlx::query(D::text(&sql::UPDATE_JOURNAL_TIP))
            .bind(to_i64(tip.head.0, "head")?)
            .bind(to_i64(tip.used_bytes, "used bytes")?)
            .bind(&journal.0[..])
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn snapshot(
        pool: &Pool<D>,
        journal: JournalId,
    ) -> Result<Option<StoredSnapshot>, StorageError> {
        let row: Option<SnapshotRow> = sqlx::query_as(D::text(&sql::SNAPSHOT))
            .bind(&journal.0[..])
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
        row.map(rows::snapshot).transpose()
    }

    async fn cover_facts(
        pool: &Pool<D>,
        journal: JournalId,
        cursor: RelaySeq,
        covers: &[Cover],
    ) -> Result<CoverFacts, StorageError> {
        let mut facts = CoverFacts::default();
        for cover in covers {
            let hash: Option<Vec<u8>> = sqlx::query_scalar(D::text(&sql::ENVELOPE_HASH))
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
        let rows: Vec<MaximumRow> = sqlx::query_as(D::text(&sql::DEVICE_MAXIMA))
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

    async fn replace_snapshot_in(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        previous: Option<[u8; 32]>,
        snapshot: &PreparedSnapshot,
        received_unix: u64,
    ) -> Result<bool, StorageError> {
        // Serialised with pushes, roster updates and compaction of the journal.
        if !D::lock_journal(tx, journal).await? {
            return Err(StorageError::UnknownJournal(journal));
        }
        let stored: Option<Vec<u8>> = sqlx::query_scalar(D::text(&sql::SNAPSHOT_HASH))
            .bind(&journal.0[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
        if stored.as_deref() != previous.as_ref().map(|h| &h[..]) {
            return Ok(false);
        }
        sqlx::query(D::text(&sql::UPSERT_SNAPSHOT))
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

    async fn compact_in(
        tx: &mut Transaction<'_, D>,
        journal: JournalId,
        snapshot_hash: [u8; 32],
    ) -> Result<Option<CompactOutcome>, StorageError> {
        if !D::lock_journal(tx, journal).await? {
            return Ok(None);
        }
        let cursor: Option<i64> = sqlx::query_scalar(D::text(&sql::SNAPSHOT_CURSOR))
            .bind(&journal.0[..])
            .bind(&snapshot_hash[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let deleted: Vec<i64> = sqlx::query_scalar(D::text(&sql::COMPACT))
            .bind(&journal.0[..])
            .bind(cursor)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?;
        let freed: i64 = deleted.iter().sum();
        let through = D::record_compaction(tx, journal, freed, cursor).await?;
        Ok(Some(CompactOutcome {
            deleted: deleted.len() as u64,
            freed_bytes: to_u64(freed, "freed bytes")?,
            compacted_through: RelaySeq(to_u64(through, "compacted through")?),
        }))
    }
}

/// The devices of one push group: whether each is a member, and where it
/// stands, read once per group inside its transaction.
#[derive(Default)]
pub(crate) struct GroupDevices {
    members: HashMap<(JournalId, DeviceId), bool>,
    tips: HashMap<(JournalId, DeviceId), DeviceTip>,
}

impl GroupDevices {
    /// Where the device of `push` stands, or `None` when it is not in the
    /// journal's latest roster. Read in the group's transaction (PostgreSQL:
    /// under the journal's lock), so a roster update committed before it counts.
    pub(crate) async fn tip<D: RosterQueries + EnvelopeQueries>(
        &mut self,
        tx: &mut Transaction<'_, D>,
        push: &PendingPush,
    ) -> Result<Option<DeviceTip>, StorageError> {
        let key = (push.journal, push.device);
        let member = match self.members.get(&key) {
            Some(member) => *member,
            None => D::is_member_in(tx, push.journal, push.device).await?,
        };
        self.members.insert(key, member);
        if !member {
            return Ok(None);
        }
        match self.tips.get(&key) {
            Some(tip) => Ok(Some(*tip)),
            None => D::device_tip(tx, push.journal, push.device).await.map(Some),
        }
    }

    /// Records where the device of `push` stands once its envelopes are planned.
    pub(crate) fn advance(&mut self, push: &PendingPush, tip: DeviceTip) {
        self.tips.insert((push.journal, push.device), tip);
    }
}
