//! Pushes and pulls in PostgreSQL: the group commit under row locks, and
//! pages of envelopes after a cursor.

use std::collections::HashMap;

use attune_proto::{DeviceId, DeviceSeq, JournalId, RelaySeq, StoredEnvelope};
use futures_util::TryStreamExt;
use sqlx::{PgPool, Postgres, Row, Transaction};

use super::rosters::is_member_in;
use super::{backend, NOTIFY_CHANNEL};
use crate::storage::push_plan::{plan_push, Step};
use crate::storage::rows::{self, to_i64, to_u64, Page, StatsRow, TipRow};
use crate::storage::sql;
use crate::storage::{
    DeviceTip, JournalStats, JournalTip, PendingPush, PushOutcome, PushRejection, StorageError,
};

/// Flush buffered envelope rows into one INSERT once they hold this many bytes.
const INSERT_BYTES: usize = 8 * 1024 * 1024;
/// … or this many rows.
const INSERT_ROWS: usize = 1000;

async fn load_device_tip(
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
    device: DeviceId,
) -> Result<DeviceTip, StorageError> {
    let row: Option<TipRow> = sqlx::query_as(sql::DEVICE_TIP.postgres())
        .bind(&journal.0[..])
        .bind(&device.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    rows::device_tip(row)
}

type Stored = HashMap<DeviceSeq, (RelaySeq, [u8; 32])>;
/// Envelopes inserted by earlier pushes of the same group, by (journal, device, device seq).
type InGroup = HashMap<(JournalId, DeviceId, DeviceSeq), (RelaySeq, [u8; 32])>;

/// Stored (relay seq, hash) of the pushed sequences at or below the device's tip,
/// from this group's own inserts or else from the database.
async fn load_repushed(
    tx: &mut Transaction<'_, Postgres>,
    push: &PendingPush,
    tip: &DeviceTip,
    in_group: &InGroup,
) -> Result<Stored, StorageError> {
    let mut stored = HashMap::new();
    let mut wanted = Vec::new();
    for prepared in &push.envelopes {
        let seq = prepared.envelope.device_seq;
        if seq > tip.seq || stored.contains_key(&seq) {
            continue;
        }
        match in_group.get(&(push.journal, push.device, seq)) {
            Some(found) => {
                stored.insert(seq, *found);
            }
            None => wanted.push(to_i64(seq.0, "device seq")?),
        }
    }
    if wanted.is_empty() {
        return Ok(stored);
    }
    let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT device_seq, relay_seq, hash FROM envelopes \
         WHERE journal_id = $1 AND device_id = $2 AND device_seq = ANY($3)",
    )
    .bind(&push.journal.0[..])
    .bind(&push.device.0[..])
    .bind(&wanted)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    for (seq, relay, hash) in rows {
        let seq = DeviceSeq(to_u64(seq, "device seq")?);
        let relay = RelaySeq(to_u64(relay, "relay seq")?);
        stored.insert(seq, (relay, rows::blob32(&hash, "envelope hash")?));
    }
    Ok(stored)
}

/// Envelope rows waiting for one multi-row INSERT (column arrays for `UNNEST`).
#[derive(Default)]
struct Rows<'a> {
    journal: Vec<&'a [u8]>,
    relay_seq: Vec<i64>,
    device: Vec<&'a [u8]>,
    device_seq: Vec<i64>,
    hash: Vec<&'a [u8]>,
    bytes: Vec<&'a [u8]>,
    size: usize,
}

impl<'a> Rows<'a> {
    fn full(&self) -> bool {
        self.size >= INSERT_BYTES || self.relay_seq.len() >= INSERT_ROWS
    }

    async fn flush(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
        received: i64,
    ) -> Result<(), StorageError> {
        if self.relay_seq.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO envelopes \
             (journal_id, relay_seq, device_id, device_seq, hash, bytes, received_unix) \
             SELECT j, r, d, s, h, b, $7 \
             FROM UNNEST($1::bytea[], $2::bigint[], $3::bytea[], $4::bigint[], $5::bytea[], $6::bytea[]) \
             AS t (j, r, d, s, h, b)",
        )
        .bind(&self.journal)
        .bind(&self.relay_seq)
        .bind(&self.device)
        .bind(&self.device_seq)
        .bind(&self.hash)
        .bind(&self.bytes)
        .bind(received)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
        *self = Rows::default();
        Ok(())
    }
}

/// Up to `limit` envelopes after `after`, bounded in bytes (see [`crate::storage::Storage::envelopes_after`]).
pub(super) async fn load_after(
    pool: &PgPool,
    journal: JournalId,
    after: RelaySeq,
    limit: u32,
    max_bytes: usize,
) -> Result<Vec<StoredEnvelope>, StorageError> {
    // A cursor past what PostgreSQL can hold simply has nothing after it.
    let Ok(after_i64) = i64::try_from(after.0) else {
        return Ok(Vec::new());
    };
    let mut rows = sqlx::query(sql::ENVELOPES_AFTER.postgres())
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
    pool: &PgPool,
    journal: JournalId,
) -> Result<Option<JournalStats>, StorageError> {
    let row: Option<StatsRow> = sqlx::query_as(sql::JOURNAL_STATS.postgres())
        .bind(&journal.0[..])
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    row.map(rows::journal_stats).transpose()
}

/// One push group, inside its transaction (see the module documentation of the backend).
pub(super) async fn commit_pushes_in(
    tx: &mut Transaction<'_, Postgres>,
    announce_as: &str,
    pushes: &[PendingPush],
    received: i64,
) -> Result<Vec<PushOutcome>, StorageError> {
    // Lock the group's journals, in id order: another instance committing to
    // the same journal waits here until we commit, and reads our head after.
    let mut ids: Vec<&[u8]> = pushes.iter().map(|p| &p.journal.0[..]).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(Vec<u8>, i64, i64)> = sqlx::query_as(
        "SELECT journal_id, head_seq, used_bytes FROM journals \
             WHERE journal_id = ANY($1) ORDER BY journal_id FOR UPDATE",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let mut journals: HashMap<JournalId, JournalTip> = HashMap::with_capacity(rows.len());
    for (id, head, used) in rows {
        journals.insert(rows::journal_id(&id)?, rows::journal_tip(head, used)?);
    }
    let start = journals.clone();

    // Device tips are read under the lock, and kept only for this group.
    let mut devices: HashMap<(JournalId, DeviceId), DeviceTip> = HashMap::new();
    let mut members: HashMap<(JournalId, DeviceId), bool> = HashMap::new();
    let mut in_group: InGroup = HashMap::new();
    let mut rows = Rows::default();
    let mut outcomes = Vec::with_capacity(pushes.len());
    for push in pushes {
        let Some(journal_tip) = journals.get_mut(&push.journal) else {
            outcomes.push(Err(PushRejection::UnknownJournal));
            continue;
        };
        let key = (push.journal, push.device);
        // Read under the journal's lock: a roster update committed before it counts.
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
        let repushed = load_repushed(tx, push, &device_tip, &in_group).await?;
        let steps = match plan_push(journal_tip, &mut device_tip, push, &repushed) {
            Ok(steps) => steps,
            Err(rejection) => {
                outcomes.push(Err(rejection));
                continue;
            }
        };
        for step in &steps {
            let Step::Insert { index, relay_seq } = *step else {
                continue;
            };
            let prepared = &push.envelopes[index];
            let device_seq = prepared.envelope.device_seq;
            rows.journal.push(&push.journal.0[..]);
            rows.relay_seq.push(to_i64(relay_seq.0, "relay seq")?);
            rows.device.push(&push.device.0[..]);
            rows.device_seq.push(to_i64(device_seq.0, "device seq")?);
            rows.hash.push(&prepared.hash[..]);
            rows.bytes.push(&prepared.bytes[..]);
            rows.size = rows.size.saturating_add(prepared.bytes.len());
            in_group.insert(
                (push.journal, push.device, device_seq),
                (relay_seq, prepared.hash),
            );
            if rows.full() {
                rows.flush(tx, received).await?;
            }
        }
        devices.insert(key, device_tip);
        outcomes.push(Ok(steps.iter().map(|s| s.acked(push)).collect()));
    }
    rows.flush(tx, received).await?;

    for (journal, tip) in &journals {
        let Some(before) = start.get(journal) else {
            continue;
        };
        if tip == before {
            continue;
        }
        sqlx::query(sql::UPDATE_JOURNAL_TIP.postgres())
            .bind(to_i64(tip.head.0, "head")?)
            .bind(to_i64(tip.used_bytes, "used bytes")?)
            .bind(&journal.0[..])
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        if tip.head > before.head {
            // Delivered to the listeners only if (and when) this transaction commits.
            let payload = format!(
                "{}:{}:{}:{}",
                announce_as,
                journal,
                before.head.0.saturating_add(1),
                tip.head.0
            );
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(NOTIFY_CHANNEL)
                .bind(payload)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
    }
    Ok(outcomes)
}
