//! The embedded SQLite backend: one file, WAL, `synchronous=FULL`, zero setup.
//!
//! All writes go through a pool of exactly one connection, so the relay's own
//! writers never contend for SQLite's lock (and never see `SQLITE_BUSY` when a
//! deferred transaction upgrades); reads use a separate small pool and see the
//! last committed state thanks to WAL.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use attune_proto::{
    Cover, DeviceId, DeviceSeq, JournalId, RelaySeq, Roster, StoredEnvelope, WrappedKey,
};
use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

mod rosters;

use self::rosters::{
    append_roster_in, decode_keys, insert_roster, is_member_in, put_wrapped_keys_in,
};
use super::push_plan::{plan_push, Step};
use super::{
    decode_snapshot, decode_stored, to_i64, to_u64, CompactOutcome, CoverFacts, DeviceTip,
    JournalStats, JournalTip, PendingPush, PreparedSnapshot, PushOutcome, PushRejection, Storage,
    StorageError, StoredSnapshot, COMPACT_SQL,
};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "relay.sqlite3";

/// Rows per multi-row INSERT (7 variables each; SQLite allows 32,766).
const INSERT_CHUNK: usize = 500;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_snapshots.sql"),
];

/// How long a connection waits for SQLite's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Storage in one SQLite file.
pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
}

fn backend(e: sqlx::Error) -> StorageError {
    StorageError::Backend(Box::new(e))
}

/// Commits on success; on failure rolls back now, before the one writer connection is reused.
async fn settle<T>(
    tx: Transaction<'_, Sqlite>,
    result: Result<T, StorageError>,
) -> Result<T, StorageError> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(backend)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a failed transaction failed");
            }
            Err(e)
        }
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) `relay.sqlite3` in `dir` and applies pending migrations.
    pub async fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Backend(Box::new(e)))?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(backend)?
            .filename(dir.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk (WAL fsynced) before we acknowledge it.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(backend)?;
        migrate(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await
            .map_err(backend)?;
        Ok(Self { writer, reader })
    }
}

async fn migrate(pool: &SqlitePool) -> Result<(), StorageError> {
    let applied: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(pool)
        .await
        .map_err(backend)?;
    let applied = usize::try_from(applied)
        .map_err(|_| StorageError::Corrupt(format!("schema version {applied}")))?;
    if applied > MIGRATIONS.len() {
        return Err(StorageError::Corrupt(format!(
            "the database has schema version {applied}, newer than this relay ({})",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let mut tx = pool.begin().await.map_err(backend)?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // PRAGMA takes no bound parameters; the value is our own constant.
        sqlx::raw_sql(&format!("PRAGMA user_version = {}", index + 1))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
    }
    Ok(())
}

fn blob32(bytes: &[u8], what: &str) -> Result<[u8; 32], StorageError> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Corrupt(format!("{what} has {} bytes", bytes.len())))
}

fn decode_roster(bytes: &[u8]) -> Result<Roster, StorageError> {
    Roster::decode(bytes).map_err(|e| StorageError::Corrupt(format!("stored roster: {e}")))
}

async fn load_journal_tip(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
) -> Result<Option<JournalTip>, StorageError> {
    let row = sqlx::query("SELECT head_seq, used_bytes FROM journals WHERE journal_id = ?")
        .bind(&journal.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    row.map(|row| {
        Ok(JournalTip {
            head: RelaySeq(to_u64(row.get(0), "head")?),
            used_bytes: to_u64(row.get(1), "used bytes")?,
        })
    })
    .transpose()
}

async fn load_device_tip(
    tx: &mut Transaction<'_, Sqlite>,
    journal: JournalId,
    device: DeviceId,
) -> Result<DeviceTip, StorageError> {
    let row = sqlx::query(
        "SELECT device_seq, hash FROM envelopes WHERE journal_id = ? AND device_id = ? \
         ORDER BY device_seq DESC LIMIT 1",
    )
    .bind(&journal.0[..])
    .bind(&device.0[..])
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    match row {
        None => Ok(DeviceTip::EMPTY),
        Some(row) => Ok(DeviceTip {
            seq: DeviceSeq(to_u64(row.get(0), "device seq")?),
            hash: blob32(row.get::<&[u8], _>(1), "envelope hash")?,
        }),
    }
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
        let row = sqlx::query(
            "SELECT relay_seq, hash FROM envelopes \
             WHERE journal_id = ? AND device_id = ? AND device_seq = ?",
        )
        .bind(&push.journal.0[..])
        .bind(&push.device.0[..])
        .bind(to_i64(seq.0, "device seq")?)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        if let Some(row) = row {
            let relay = RelaySeq(to_u64(row.get(0), "relay seq")?);
            stored.insert(
                seq,
                (relay, blob32(row.get::<&[u8], _>(1), "envelope hash")?),
            );
        }
    }
    Ok(stored)
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn create_journal(
        &self,
        genesis: &Roster,
        created_unix: u64,
    ) -> Result<(), StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let inserted = sqlx::query(
            "INSERT INTO journals (journal_id, created_unix) VALUES (?, ?) \
             ON CONFLICT (journal_id) DO NOTHING",
        )
        .bind(&genesis.journal_id.0[..])
        .bind(to_i64(created_unix, "time")?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if inserted.rows_affected() == 0 {
            return Err(StorageError::JournalExists(genesis.journal_id));
        }
        insert_roster(&mut tx, genesis).await?;
        tx.commit().await.map_err(backend)
    }

    async fn rosters(&self, journal: JournalId) -> Result<Vec<Roster>, StorageError> {
        let rows = sqlx::query("SELECT bytes FROM rosters WHERE journal_id = ? ORDER BY version")
            .bind(&journal.0[..])
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        rows.iter().map(|row| decode_roster(row.get(0))).collect()
    }

    async fn latest_roster(&self, journal: JournalId) -> Result<Option<Roster>, StorageError> {
        let row = sqlx::query(
            "SELECT bytes FROM rosters WHERE journal_id = ? ORDER BY version DESC LIMIT 1",
        )
        .bind(&journal.0[..])
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?;
        row.map(|row| decode_roster(row.get(0))).transpose()
    }

    async fn append_roster(
        &self,
        roster: &Roster,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result = append_roster_in(&mut tx, roster, keys).await;
        settle(tx, result).await
    }

    async fn put_wrapped_keys(
        &self,
        journal: JournalId,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let result = put_wrapped_keys_in(&mut tx, journal, keys).await;
        settle(tx, result).await
    }

    async fn wrapped_keys(
        &self,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError> {
        let rows = sqlx::query(
            "SELECT epoch, blob FROM wrapped_keys WHERE journal_id = ? AND device_id = ? ORDER BY epoch",
        )
        .bind(&journal.0[..])
        .bind(&device.0[..])
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        decode_keys(device, &rows)
    }

    async fn is_member(&self, journal: JournalId, device: DeviceId) -> Result<bool, StorageError> {
        let mut conn = self.reader.acquire().await.map_err(backend)?;
        is_member_in(&mut conn, journal, device).await
    }

    async fn commit_pushes(
        &self,
        pushes: &[PendingPush],
        received_unix: u64,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        let received = to_i64(received_unix, "time")?;
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let mut journals: HashMap<JournalId, Option<JournalTip>> = HashMap::new();
        let mut devices: HashMap<(JournalId, DeviceId), DeviceTip> = HashMap::new();
        let mut members: HashMap<(JournalId, DeviceId), bool> = HashMap::new();
        let mut outcomes = Vec::with_capacity(pushes.len());
        for push in pushes {
            let journal_tip = match journals.get(&push.journal) {
                Some(tip) => *tip,
                None => {
                    let tip = load_journal_tip(&mut tx, push.journal).await?;
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
                None => is_member_in(&mut tx, push.journal, push.device).await?,
            };
            members.insert(key, member);
            if !member {
                outcomes.push(Err(PushRejection::NotInRoster));
                continue;
            }
            let mut device_tip = match devices.get(&key) {
                Some(tip) => *tip,
                None => load_device_tip(&mut tx, push.journal, push.device).await?,
            };
            let repushed = load_repushed(&mut tx, push, &device_tip).await?;
            let steps = match plan_push(&mut journal_tip, &mut device_tip, push, &repushed) {
                Ok(steps) => steps,
                Err(rejection) => {
                    outcomes.push(Err(rejection));
                    continue;
                }
            };
            // One multi-row INSERT per push (in chunks well under SQLite's
            // variable limit): per-statement overhead, not fsync, dominates
            // once group commit shares the fsync.
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
                query.build().execute(&mut *tx).await.map_err(backend)?;
            }
            journals.insert(push.journal, Some(journal_tip));
            devices.insert(key, device_tip);
            outcomes.push(Ok(steps.iter().map(|s| s.acked(push)).collect()));
        }
        for (journal, tip) in &journals {
            let Some(tip) = tip else { continue };
            sqlx::query("UPDATE journals SET head_seq = ?, used_bytes = ? WHERE journal_id = ?")
                .bind(to_i64(tip.head.0, "head")?)
                .bind(to_i64(tip.used_bytes, "used bytes")?)
                .bind(&journal.0[..])
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(outcomes)
    }

    async fn envelopes_after(
        &self,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError> {
        // A cursor past what SQLite can hold simply has nothing after it.
        let Ok(after_i64) = i64::try_from(after.0) else {
            return Ok(Vec::new());
        };
        let mut rows = sqlx::query(
            "SELECT relay_seq, received_unix, bytes FROM envelopes \
             WHERE journal_id = ? AND relay_seq > ? ORDER BY relay_seq LIMIT ?",
        )
        .bind(&journal.0[..])
        .bind(after_i64)
        .bind(i64::from(limit))
        .fetch(&self.reader);
        let mut out = Vec::new();
        let mut total = 0usize;
        // Streamed, so a page of large envelopes stops reading at the byte budget.
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            let bytes: &[u8] = row.get(2);
            total = total.saturating_add(bytes.len());
            if total > max_bytes && !out.is_empty() {
                break;
            }
            let relay_seq = RelaySeq(to_u64(row.get(0), "relay seq")?);
            let received = to_u64(row.get(1), "time")?;
            if let Some(stored) = decode_stored(journal, relay_seq, received, bytes) {
                out.push(stored);
            }
        }
        Ok(out)
    }

    async fn journal_stats(
        &self,
        journal: JournalId,
    ) -> Result<Option<JournalStats>, StorageError> {
        let row = sqlx::query(
            "SELECT head_seq, used_bytes, compacted_through FROM journals WHERE journal_id = ?",
        )
        .bind(&journal.0[..])
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?;
        row.map(|row| {
            Ok(JournalStats {
                head: RelaySeq(to_u64(row.get(0), "head")?),
                used_bytes: to_u64(row.get(1), "used bytes")?,
                compacted_through: RelaySeq(to_u64(row.get(2), "compacted through")?),
            })
        })
        .transpose()
    }

    async fn snapshot(&self, journal: JournalId) -> Result<Option<StoredSnapshot>, StorageError> {
        let row = sqlx::query("SELECT bytes, hash FROM snapshots WHERE journal_id = ?")
            .bind(&journal.0[..])
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?;
        row.map(|row| decode_snapshot(row.get(0), row.get(1)))
            .transpose()
    }

    async fn cover_facts(
        &self,
        journal: JournalId,
        cursor: RelaySeq,
        covers: &[Cover],
    ) -> Result<CoverFacts, StorageError> {
        let mut facts = CoverFacts::default();
        for cover in covers {
            let hash: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT hash FROM envelopes WHERE journal_id = ? AND device_id = ? AND device_seq = ?",
            )
            .bind(&journal.0[..])
            .bind(&cover.device_id.0[..])
            .bind(to_i64(cover.device_seq.0, "device seq")?)
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?;
            facts
                .hashes
                .push(hash.map(|h| blob32(&h, "envelope hash")).transpose()?);
        }
        let rows = sqlx::query(
            "SELECT device_id, MAX(device_seq) FROM envelopes \
             WHERE journal_id = ? AND relay_seq <= ? GROUP BY device_id",
        )
        .bind(&journal.0[..])
        .bind(to_i64(cursor.0, "cursor")?)
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        for row in rows {
            let device: &[u8] = row.get(0);
            let device = DeviceId(
                device
                    .try_into()
                    .map_err(|_| StorageError::Corrupt("device id length".into()))?,
            );
            facts
                .maxima
                .push((device, DeviceSeq(to_u64(row.get(1), "device seq")?)));
        }
        Ok(facts)
    }

    async fn replace_snapshot(
        &self,
        journal: JournalId,
        previous: Option<[u8; 32]>,
        snapshot: &PreparedSnapshot,
        received_unix: u64,
    ) -> Result<bool, StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT hash FROM snapshots WHERE journal_id = ?")
                .bind(&journal.0[..])
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if stored.as_deref() != previous.as_ref().map(|h| &h[..]) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO snapshots (journal_id, hash, cursor_seq, bytes, received_unix) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (journal_id) DO UPDATE SET \
             hash = excluded.hash, cursor_seq = excluded.cursor_seq, \
             bytes = excluded.bytes, received_unix = excluded.received_unix",
        )
        .bind(&journal.0[..])
        .bind(&snapshot.hash[..])
        .bind(to_i64(snapshot.cursor.0, "cursor")?)
        .bind(&snapshot.bytes[..])
        .bind(to_i64(received_unix, "time")?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn compact(
        &self,
        journal: JournalId,
        snapshot_hash: [u8; 32],
    ) -> Result<Option<CompactOutcome>, StorageError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let cursor: Option<i64> = sqlx::query_scalar(
            "SELECT cursor_seq FROM snapshots WHERE journal_id = ? AND hash = ?",
        )
        .bind(&journal.0[..])
        .bind(&snapshot_hash[..])
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let deleted = sqlx::query(&COMPACT_SQL.replace("$1", "?1").replace("$2", "?2"))
            .bind(&journal.0[..])
            .bind(cursor)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let freed: i64 = deleted.iter().map(|row| row.get::<i64, _>(0)).sum();
        sqlx::query(
            "UPDATE journals SET used_bytes = used_bytes - ?, \
             compacted_through = MAX(compacted_through, ?) WHERE journal_id = ?",
        )
        .bind(freed)
        .bind(cursor)
        .bind(&journal.0[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let through: i64 =
            sqlx::query_scalar("SELECT compacted_through FROM journals WHERE journal_id = ?")
                .bind(&journal.0[..])
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(CompactOutcome {
            deleted: deleted.len() as u64,
            freed_bytes: to_u64(freed, "freed bytes")?,
            compacted_through: RelaySeq(to_u64(through, "compacted through")?),
        }))
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
