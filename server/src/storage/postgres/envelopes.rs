//! The PostgreSQL group commit: the group's journals locked up front, re-pushes
//! looked up with `ANY`, envelopes inserted from arrays with `UNNEST`, and
//! the committed ranges announced to the other instances.

use std::collections::HashMap;

use attune_proto::{DeviceId, DeviceSeq, JournalId, RelaySeq};
use sqlx::{Postgres, Transaction};

use super::NOTIFY_CHANNEL;
use crate::storage::push_plan::{plan_push, Step};
use crate::storage::rows::{self, to_i64, to_u64};
use crate::storage::sql_backend::{backend, EnvelopeQueries, GroupDevices};
use crate::storage::{
    DeviceTip, JournalTip, PendingPush, PushOutcome, PushRejection, StorageError,
};

/// Flush buffered envelope rows into one INSERT once they hold this many bytes.
const INSERT_BYTES: usize = 8 * 1024 * 1024;
/// … or this many rows.
const INSERT_ROWS: usize = 1000;

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
    let rows: Vec<(Vec<u8>, i64, i64, i64)> = sqlx::query_as(
        "SELECT journal_id, head_seq, used_bytes, reseeded_unix FROM journals \
             WHERE journal_id = ANY($1) ORDER BY journal_id FOR UPDATE",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let mut journals: HashMap<JournalId, JournalTip> = HashMap::with_capacity(rows.len());
    for (id, head, used, reseeded) in rows {
        journals.insert(
            rows::journal_id(&id)?,
            rows::journal_tip(head, used, reseeded)?,
        );
    }
    let start = journals.clone();

    // Device tips are read under the lock, and kept only for this group.
    let mut devices = GroupDevices::default();
    let mut in_group: InGroup = HashMap::new();
    let mut rows = Rows::default();
    let mut outcomes = Vec::with_capacity(pushes.len());
    for push in pushes {
        let Some(journal_tip) = journals.get_mut(&push.journal) else {
            outcomes.push(Err(PushRejection::UnknownJournal));
            continue;
        };
        let Some(mut device_tip) = devices.tip(tx, push).await? else {
            outcomes.push(Err(PushRejection::NotInRoster));
            continue;
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
        devices.advance(push, device_tip);
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
        Postgres::update_journal_tip(tx, *journal, tip).await?;
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
