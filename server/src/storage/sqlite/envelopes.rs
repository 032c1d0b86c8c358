//! The SQLite group commit, through the one writer connection: journal tips
//! read as pushes need them, re-pushes looked up one by one, multi-row INSERTs.

use std::collections::HashMap;

use attune_proto::{DeviceSeq, JournalId, RelaySeq};
use sqlx::{Sqlite, Transaction};

use crate::storage::push_plan::{plan_push, Step};
use crate::storage::rows::{self, to_i64, to_u64};
use crate::storage::sql_backend::{backend, EnvelopeQueries, GroupDevices};
use crate::storage::{
    DeviceTip, JournalTip, PendingPush, PushOutcome, PushRejection, StorageError,
};

/// Rows per multi-row INSERT (7 variables each; SQLite allows 32,766).
const INSERT_CHUNK: usize = 500;

async fn load_journal_tip(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
) -> Result<Option<JournalTip>, StorageError> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT head_seq, used_bytes, reseeded_unix FROM journals WHERE journal_id = ?",
    )
    .bind(&journal.0[..])
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    row.map(|(head, used, reseeded)| rows::journal_tip(head, used, reseeded))
        .transpose()
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
    let mut devices = GroupDevices::default();
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
        let Some(mut device_tip) = devices.tip(tx, push).await? else {
            outcomes.push(Err(PushRejection::NotInRoster));
            continue;
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
        devices.advance(push, device_tip);
        outcomes.push(Ok(steps.iter().map(|s| s.acked(push)).collect()));
    }
    for (journal, tip) in &journals {
        let Some(tip) = tip else { continue };
        Sqlite::update_journal_tip(tx, *journal, tip).await?;
    }
    Ok(outcomes)
}
