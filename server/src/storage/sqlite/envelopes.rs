//! Pushes and pulls in SQLite: the group commit through the one writer
//! connection, and pages of envelopes after a cursor.

use std::collections::HashMap;

use attune_proto::{DeviceId, DeviceSeq, JournalId, RelaySeq, StoredEnvelope};
use futures_util::TryStreamExt;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

use super::backend;
use super::rosters::is_member_in;
use crate::storage::push_plan::{plan_push, Step};
use crate::storage::rows::{self, to_i64, to_u64, Page, StatsRow, TipRow};
use crate::storage::sql;
use crate::storage::{
    DeviceTip, JournalStats, JournalTip, PendingPush, PushOutcome, PushRejection, StorageError,
};

/// Rows per multi-row INSERT (7 variables each; SQLite allows 32,766).
const INSERT_CHUNK: usize = 500;

async fn load_journal_tip(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
) -> Result<Option<JournalTip>, StorageError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT head_seq, used_bytes FROM journals WHERE journal_id = ?")
            .bind(&journal.0[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    row.map(|(head, used)| rows::journal_tip(head, used))
        .transpose()
}

async fn load_device_tip(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
    device: DeviceId,
) -> Result<DeviceTip, StorageError> {
    let row: Option<TipRow> = sqlx::query_as(sql::DEVICE_TIP.sqlite())
        .bind(&journal.0[..])
        .bind(&device.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    rows::device_tip(row)
}

/// Stored (relay seq, hash) of the pushed sequences at or below the device's tip.
async fn load_repushed(
    tx: &mut Transaction<'_, Sqlite>,
    push: &PendingPush,
    tip: &DeviceTip,
) -> Result<HashMap<DeviceSeq, (RelaySeq, [u8; 32])>, StorageError> {
    let mut stored = HashMap::new();
    for prepared in &push.envelopes {
        let seq = prepared.envelope.device_seq;
        if seq > tip.seq || stored.contains_key(&seq) {
            continue;
        }
        let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT relay_seq, hash FROM envelopes \
             WHERE journal_id = ? AND device_id = ? AND device_seq = ?",
        )
        .bind(&push.journal.0[..])
        .bind(&push.device.0[..])
        .bind(to_i64(seq.0, "device seq")?)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        if let Some((relay, hash)) = row {
            let relay = RelaySeq(to_u64(relay, "relay seq")?);
            stored.insert(seq, (relay, rows::blob32(&hash, "envelope hash")?));
        }
    }
    Ok(stored)
}

/// Inserts the envelopes a push's plan stores: one multi-row INSERT per
/// chunk, well under SQLite's variable limit (per-statement overhead, not
/// fsync, dominates once group commit shares the fsync).
async fn insert_planned(
    tx: &mut Transaction<'_, Sqlite>,
    push: &PendingPush,
    steps: &[Step],
    received: i64,
) -> Result<(), StorageError> {
    let inserts: Vec<(usize, RelaySeq)> = steps
        .iter()
        .filter_map(|step| match *step {
            Step::Insert { index, relay_seq } => Some((index, relay_seq)),
            _ => None,
        })
        .collect();
    for chunk in inserts.chunks(INSERT_CHUNK) {
        let mut rows = Vec::with_capacity(chunk.len());
        for &(index, relay_seq) in chunk {
            let prepared = &push.envelopes[index];
            rows.push((
                to_i64(relay_seq.0, "relay seq")?,
                to_i64(prepared.envelope.device_seq.0, "device seq")?,
                prepared,
            ));
        }
        let mut query = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO envelopes (journal_id, relay_seq, device_id, device_seq, hash, bytes, received_unix) ",
        );
        query.push_values(rows, |mut row, (relay_seq, device_seq, prepared)| {
            row.push_bind(&push.journal.0[..])
                .push_bind(relay_seq)
                .push_bind(&push.device.0[..])
                .push_bind(device_seq)
                .push_bind(&prepared.hash[..])
                .push_bind(&prepared.bytes[..])
                .push_bind(received);
        });
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
}

/// One push group, inside its transaction (see [`crate::storage::Storage::commit_pushes`]).
pub(super) async fn commit_pushes_in(
    tx: &mut Transaction<'_, Sqlite>,
    pushes: &[PendingPush],
    received: i64,
) -> Result<Vec<PushOutcome>, StorageError> {
    let mut journals: HashMap<JournalId, Option<JournalTip>> = HashMap::new();
    let mut devices: HashMap<(JournalId, DeviceId), DeviceTip> = HashMap::new();
    let mut members: HashMap<(JournalId, DeviceId), bool> = HashMap::new();
    let mut outcomes = Vec::with_capacity(pushes.len());
    for push in pushes {
        let journal_tip = match journals.get(&push.journal) {
            Some(tip) => *tip,
            None => {
                let tip = load_journal_tip(tx, push.journal).await?;
                journals.insert(push.journal, tip);
                tip
            }
        };
        let Some(mut journal_tip) = journal_tip else {
            outcomes.push(Err(PushRejection::UnknownJournal));
            continue;
        };
        let key = (push.journal, push.device);
        // Checked in this transaction: a roster update committed before it counts.
        let member = match members.get(&key) {
            Some(member) => *member,
            None => is_member_in(tx, push.journal, push.device).await?,
        };
        members.insert(key, member);
        if !member {
            outcomes.push(Err(PushRejection::NotInRoster));
            continue;
        }
        let mut device_tip = match devices.get(&key) {
            Some(tip) => *tip,
            None => load_device_tip(tx, push.journal, push.device).await?,
        };
        let repushed = load_repushed(tx, push, &device_tip).await?;
        let steps = match plan_push(&mut journal_tip, &mut device_tip, push, &repushed) {
            Ok(steps) => steps,
            Err(rejection) => {
                outcomes.push(Err(rejection));
                continue;
            }
        };
        insert_planned(tx, push, &steps, received).await?;
        journals.insert(push.journal, Some(journal_tip));
        devices.insert(key, device_tip);
        outcomes.push(Ok(steps.iter().map(|s| s.acked(push)).collect()));
    }
    for (journal, tip) in &journals {
        let Some(tip) = tip else { continue };
        sqlx::query(sql::UPDATE_JOURNAL_TIP.sqlite())
            .bind(to_i64(tip.head.0, "head")?)
            .bind(to_i64(tip.used_bytes, "used bytes")?)
            .bind(&journal.0[..])
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(outcomes)
}

/// Up to `limit` envelopes after `after`, bounded in bytes (see [`crate::storage::Storage::envelopes_after`]).
pub(super) async fn load_after(
    pool: &SqlitePool,
    journal: JournalId,
    after: RelaySeq,
    limit: u32,
    max_bytes: usize,
) -> Result<Vec<StoredEnvelope>, StorageError> {
    // A cursor past what SQLite can hold simply has nothing after it.
    let Ok(after_i64) = i64::try_from(after.0) else {
        return Ok(Vec::new());
    };
    let mut rows = sqlx::query(sql::ENVELOPES_AFTER.sqlite())
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

/// Head, usage and compaction point of a journal, or `None` when it does not exist.
pub(super) async fn load_stats(
    pool: &SqlitePool,
    journal: JournalId,
) -> Result<Option<JournalStats>, StorageError> {
    let row: Option<StatsRow> = sqlx::query_as(sql::JOURNAL_STATS.sqlite())
        .bind(&journal.0[..])
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    row.map(rows::journal_stats).transpose()
}
