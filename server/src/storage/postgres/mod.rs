//! The PostgreSQL backend: several relay instances may share one database.
//!
//! - **Durability.** Every connection runs with `synchronous_commit=on`, so a
//!   commit is flushed to the WAL before the relay acknowledges it.
//! - **Gap-free relay sequences across instances.** A push group locks the
//!   rows of its journals (`SELECT … FOR UPDATE`, in journal-id order so two
//!   instances never deadlock) before planning, then re-reads the device tips
//!   under that lock. Nothing is cached across transactions; the shared
//!   planner ([`plan_push`]) decides exactly as for SQLite.
//! - **Cross-instance live fan-out.** The committing transaction issues
//!   `NOTIFY attune_envelopes, '<instance>:<scope>:<journal>:<first>:<last>'`
//!   (delivered only if it commits). The scope is a short hash of the
//!   database and schema, since notifications cross schemas: relays (or
//!   tests) using other schemas of the same database ignore each other. Every instance runs one listener task
//!   ([`Storage::start_remote_fanout`]) that loads the envelopes other
//!   instances announced and publishes them to its local [`Hub`]. Payloads
//!   carry ids and numbers only, never envelope bytes.
//! - **Revocation across instances.** A roster update locks the journal's row
//!   like a push group, so every push committed after it (through any
//!   instance) is checked against the new devices; it is announced on
//!   [`ROSTER_CHANNEL`], and each listener closes its live connections of
//!   removed devices ([`fanout`]). Sessions are checked against the devices
//!   table on every request ([`Storage::is_member`]).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use attune_proto::{
    Cover, DeviceId, DeviceSeq, JournalId, RelaySeq, Roster, StoredEnvelope, WrappedKey,
};
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};
use tokio::task::JoinHandle;

mod fanout;
mod rosters;

use self::fanout::RemoteFanout;
pub use self::fanout::{Announcement, RosterAnnouncement};
pub use self::rosters::ROSTER_CHANNEL;
use self::rosters::{
    append_roster_in, decode_keys, insert_roster, is_member_in, put_wrapped_keys_in,
};
use super::push_plan::{plan_push, Step};
use super::{
    decode_snapshot, decode_stored, to_i64, to_u64, CompactOutcome, CoverFacts, DeviceTip,
    JournalStats, JournalTip, PendingPush, PreparedSnapshot, PushOutcome, PushRejection, Storage,
    StorageError, StoredSnapshot, COMPACT_SQL,
};
use crate::fanout::Hub;

/// The channel on which committed ranges are announced to the other instances.
pub const NOTIFY_CHANNEL: &str = "attune_envelopes";

/// Schema migrations, applied in order; the table `attune_schema` records which ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_snapshots.sql"),
];

/// Key of the advisory lock that serialises migrations of instances starting together.
const MIGRATION_LOCK: i64 = 0x6174_7475_6e65; // "attune"

/// Connections in the pool (the listener holds one more of its own).
const POOL_SIZE: u32 = 10;

/// Flush buffered envelope rows into one INSERT once they hold this many bytes.
const INSERT_BYTES: usize = 8 * 1024 * 1024;
/// … or this many rows.
const INSERT_ROWS: usize = 1000;

/// Storage in a PostgreSQL database (the schema comes from the connection's `search_path`).
pub struct PostgresStorage {
    pool: PgPool,
    /// Random id of this relay instance, so that its listener skips its own announcements.
    instance: String,
    /// Hash of the database and schema, so that listeners skip other schemas' announcements.
    scope: String,
}

fn backend(e: sqlx::Error) -> StorageError {
    StorageError::Backend(Box::new(e))
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user@host:port/database?…`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let options = PgConnectOptions::from_str(url).map_err(backend)?;
        Self::connect_with(options).await
    }

    /// Connects with explicit options and applies pending migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StorageError> {
        // Acknowledge only what is flushed, whatever the server's default says.
        let options = options.options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(backend)?;
        migrate(&pool).await?;
        let (database, schema): (String, String) =
            sqlx::query_as("SELECT current_database()::text, COALESCE(current_schema(), '')::text")
                .fetch_one(&pool)
                .await
                .map_err(backend)?;
        let scope = blake3::hash(format!("{database}\0{schema}").as_bytes());
        let scope = hex::encode(&scope.as_bytes()[..8]);
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| {
            StorageError::Backend(format!("no randomness for the instance id: {e}").into())
        })?;
        Ok(Self {
            pool,
            instance: hex::encode(id),
            scope,
        })
    }

    /// This instance's id, as it appears in its announcements.
    pub fn instance(&self) -> &str {
        &self.instance
    }
}

async fn migrate(pool: &PgPool) -> Result<(), StorageError> {
    let mut tx = pool.begin().await.map_err(backend)?;
    let result = migrate_in(&mut tx).await;
    settle(tx, result).await
}

async fn migrate_in(tx: &mut Transaction<'_, Postgres>) -> Result<(), StorageError> {
    // Instances starting together migrate one after the other.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS attune_schema (\
            version BIGINT NOT NULL PRIMARY KEY, \
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    let applied: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM attune_schema")
        .fetch_one(&mut **tx)
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
        sqlx::raw_sql(sql)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO attune_schema (version) VALUES ($1)")
            .bind(to_i64(index as u64 + 1, "schema version")?)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// Commits on success; on failure rolls back NOW, so that no row lock outlives the call
/// (a dropped transaction would only be rolled back when its connection is next used).
async fn settle<T>(
    tx: Transaction<'_, Postgres>,
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

fn blob32(bytes: &[u8], what: &str) -> Result<[u8; 32], StorageError> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Corrupt(format!("{what} has {} bytes", bytes.len())))
}

fn decode_roster(bytes: &[u8]) -> Result<Roster, StorageError> {
    Roster::decode(bytes).map_err(|e| StorageError::Corrupt(format!("stored roster: {e}")))
}

fn journal_id(bytes: &[u8]) -> Result<JournalId, StorageError> {
    bytes
        .try_into()
        .map(JournalId)
        .map_err(|_| StorageError::Corrupt(format!("journal id has {} bytes", bytes.len())))
}

/// Locks a journal's row for the rest of the transaction; false when it does not exist.
async fn lock_journal(
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
) -> Result<bool, StorageError> {
    let row = sqlx::query("SELECT 1 FROM journals WHERE journal_id = $1 FOR UPDATE")
        .bind(&journal.0[..])
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(row.is_some())
}

async fn load_device_tip(
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
    device: DeviceId,
) -> Result<DeviceTip, StorageError> {
    let row = sqlx::query(
        "SELECT device_seq, hash FROM envelopes WHERE journal_id = $1 AND device_id = $2 \
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
            seq: DeviceSeq(to_u64(row.try_get(0).map_err(backend)?, "device seq")?),
            hash: blob32(
                row.try_get::<&[u8], _>(1).map_err(backend)?,
                "envelope hash",
            )?,
        }),
    }
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
    let rows = sqlx::query(
        "SELECT device_seq, relay_seq, hash FROM envelopes \
         WHERE journal_id = $1 AND device_id = $2 AND device_seq = ANY($3)",
    )
    .bind(&push.journal.0[..])
    .bind(&push.device.0[..])
    .bind(&wanted)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    for row in rows {
        let seq = DeviceSeq(to_u64(row.try_get(0).map_err(backend)?, "device seq")?);
        let relay = RelaySeq(to_u64(row.try_get(1).map_err(backend)?, "relay seq")?);
        let hash = blob32(
            row.try_get::<&[u8], _>(2).map_err(backend)?,
            "envelope hash",
        )?;
        stored.insert(seq, (relay, hash));
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

/// Up to `limit` envelopes after `after`, bounded in bytes (see [`Storage::envelopes_after`]).
async fn load_after(
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
    let mut rows = sqlx::query(
        "SELECT relay_seq, received_unix, bytes FROM envelopes \
         WHERE journal_id = $1 AND relay_seq > $2 ORDER BY relay_seq LIMIT $3",
    )
    .bind(&journal.0[..])
    .bind(after_i64)
    .bind(i64::from(limit))
    .fetch(pool);
    let mut out = Vec::new();
    let mut total = 0usize;
    // Streamed, so a page of large envelopes stops reading at the byte budget.
    while let Some(row) = rows.try_next().await.map_err(backend)? {
        let bytes: &[u8] = row.try_get(2).map_err(backend)?;
        total = total.saturating_add(bytes.len());
        if total > max_bytes && !out.is_empty() {
            break;
        }
        let relay_seq = RelaySeq(to_u64(row.try_get(0).map_err(backend)?, "relay seq")?);
        let received = to_u64(row.try_get(1).map_err(backend)?, "time")?;
        if let Some(stored) = decode_stored(journal, relay_seq, received, bytes) {
            out.push(stored);
        }
    }
    Ok(out)
}

async fn load_stats(
    pool: &PgPool,
    journal: JournalId,
) -> Result<Option<JournalStats>, StorageError> {
    let row = sqlx::query(
        "SELECT head_seq, used_bytes, compacted_through FROM journals WHERE journal_id = $1",
    )
    .bind(&journal.0[..])
    .fetch_optional(pool)
    .await
    .map_err(backend)?;
    row.map(|row| {
        Ok(JournalStats {
            head: RelaySeq(to_u64(row.try_get(0).map_err(backend)?, "head")?),
            used_bytes: to_u64(row.try_get(1).map_err(backend)?, "used bytes")?,
            compacted_through: RelaySeq(to_u64(
                row.try_get(2).map_err(backend)?,
                "compacted through",
            )?),
        })
    })
    .transpose()
}

async fn replace_snapshot_in(
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
    previous: Option<[u8; 32]>,
    snapshot: &PreparedSnapshot,
    received_unix: u64,
) -> Result<bool, StorageError> {
    if !lock_journal(tx, journal).await? {
        return Err(StorageError::UnknownJournal(journal));
    }
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT hash FROM snapshots WHERE journal_id = $1")
            .bind(&journal.0[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    if stored.as_deref() != previous.as_ref().map(|h| &h[..]) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO snapshots (journal_id, hash, cursor_seq, bytes, received_unix) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (journal_id) DO UPDATE SET \
         hash = EXCLUDED.hash, cursor_seq = EXCLUDED.cursor_seq, \
         bytes = EXCLUDED.bytes, received_unix = EXCLUDED.received_unix",
    )
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
    tx: &mut Transaction<'_, Postgres>,
    journal: JournalId,
    snapshot_hash: [u8; 32],
) -> Result<Option<CompactOutcome>, StorageError> {
    if !lock_journal(tx, journal).await? {
        return Ok(None);
    }
    let cursor: Option<i64> =
        sqlx::query_scalar("SELECT cursor_seq FROM snapshots WHERE journal_id = $1 AND hash = $2")
            .bind(&journal.0[..])
            .bind(&snapshot_hash[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let deleted: Vec<i64> = sqlx::query_scalar(COMPACT_SQL)
        .bind(&journal.0[..])
        .bind(cursor)
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?;
    let freed: i64 = deleted.iter().sum();
    let through: i64 = sqlx::query_scalar(
        "UPDATE journals SET used_bytes = used_bytes - $1, \
         compacted_through = GREATEST(compacted_through, $2) WHERE journal_id = $3 \
         RETURNING compacted_through",
    )
    .bind(freed)
    .bind(cursor)
    .bind(&journal.0[..])
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(Some(CompactOutcome {
        deleted: deleted.len() as u64,
        freed_bytes: to_u64(freed, "freed bytes")?,
        compacted_through: RelaySeq(to_u64(through, "compacted through")?),
    }))
}

async fn create_journal_in(
    tx: &mut Transaction<'_, Postgres>,
    genesis: &Roster,
    created_unix: u64,
) -> Result<(), StorageError> {
    // A concurrent insert of the same id waits for ours, then does nothing.
    let inserted = sqlx::query(
        "INSERT INTO journals (journal_id, created_unix) VALUES ($1, $2) \
             ON CONFLICT (journal_id) DO NOTHING",
    )
    .bind(&genesis.journal_id.0[..])
    .bind(to_i64(created_unix, "time")?)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    if inserted.rows_affected() == 0 {
        return Err(StorageError::JournalExists(genesis.journal_id));
    }
    insert_roster(tx, genesis).await?;
    Ok(())
}

/// One push group, inside its transaction (see the module documentation).
async fn commit_pushes_in(
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
    let rows = sqlx::query(
        "SELECT journal_id, head_seq, used_bytes FROM journals \
             WHERE journal_id = ANY($1) ORDER BY journal_id FOR UPDATE",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let mut journals: HashMap<JournalId, JournalTip> = HashMap::with_capacity(rows.len());
    for row in rows {
        let id = journal_id(row.try_get::<&[u8], _>(0).map_err(backend)?)?;
        let tip = JournalTip {
            head: RelaySeq(to_u64(row.try_get(1).map_err(backend)?, "head")?),
            used_bytes: to_u64(row.try_get(2).map_err(backend)?, "used bytes")?,
        };
        journals.insert(id, tip);
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
        sqlx::query("UPDATE journals SET head_seq = $1, used_bytes = $2 WHERE journal_id = $3")
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

#[async_trait]
impl Storage for PostgresStorage {
    async fn create_journal(
        &self,
        genesis: &Roster,
        created_unix: u64,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = create_journal_in(&mut tx, genesis, created_unix).await;
        settle(tx, result).await
    }

    async fn rosters(&self, journal: JournalId) -> Result<Vec<Roster>, StorageError> {
        let rows = sqlx::query("SELECT bytes FROM rosters WHERE journal_id = $1 ORDER BY version")
            .bind(&journal.0[..])
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| decode_roster(row.try_get(0).map_err(backend)?))
            .collect()
    }

    async fn latest_roster(&self, journal: JournalId) -> Result<Option<Roster>, StorageError> {
        let row = sqlx::query(
            "SELECT bytes FROM rosters WHERE journal_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&journal.0[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| decode_roster(row.try_get(0).map_err(backend)?))
            .transpose()
    }

    async fn append_roster(
        &self,
        roster: &Roster,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let announce_as = format!("{}:{}", self.instance, self.scope);
        let result = append_roster_in(&mut tx, &announce_as, roster, keys).await;
        settle(tx, result).await
    }

    async fn put_wrapped_keys(
        &self,
        journal: JournalId,
        keys: &[WrappedKey],
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = put_wrapped_keys_in(&mut tx, journal, keys).await;
        settle(tx, result).await
    }

    async fn wrapped_keys(
        &self,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Vec<WrappedKey>, StorageError> {
        let rows = sqlx::query(
            "SELECT epoch, blob FROM wrapped_keys WHERE journal_id = $1 AND device_id = $2 \
             ORDER BY epoch",
        )
        .bind(&journal.0[..])
        .bind(&device.0[..])
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        decode_keys(device, &rows)
    }

    async fn is_member(&self, journal: JournalId, device: DeviceId) -> Result<bool, StorageError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        is_member_in(&mut conn, journal, device).await
    }

    async fn commit_pushes(
        &self,
        pushes: &[PendingPush],
        received_unix: u64,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        let received = to_i64(received_unix, "time")?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let announce_as = format!("{}:{}", self.instance, self.scope);
        let result = commit_pushes_in(&mut tx, &announce_as, pushes, received).await;
        settle(tx, result).await
    }

    async fn envelopes_after(
        &self,
        journal: JournalId,
        after: RelaySeq,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredEnvelope>, StorageError> {
        load_after(&self.pool, journal, after, limit, max_bytes).await
    }

    async fn journal_stats(
        &self,
        journal: JournalId,
    ) -> Result<Option<JournalStats>, StorageError> {
        load_stats(&self.pool, journal).await
    }

    async fn snapshot(&self, journal: JournalId) -> Result<Option<StoredSnapshot>, StorageError> {
        let row = sqlx::query("SELECT bytes, hash FROM snapshots WHERE journal_id = $1")
            .bind(&journal.0[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| {
            decode_snapshot(
                row.try_get(0).map_err(backend)?,
                row.try_get(1).map_err(backend)?,
            )
        })
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
                "SELECT hash FROM envelopes \
                 WHERE journal_id = $1 AND device_id = $2 AND device_seq = $3",
            )
            .bind(&journal.0[..])
            .bind(&cover.device_id.0[..])
            .bind(to_i64(cover.device_seq.0, "device seq")?)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            facts
                .hashes
                .push(hash.map(|h| blob32(&h, "envelope hash")).transpose()?);
        }
        let rows = sqlx::query(
            "SELECT device_id, MAX(device_seq) FROM envelopes \
             WHERE journal_id = $1 AND relay_seq <= $2 GROUP BY device_id",
        )
        .bind(&journal.0[..])
        .bind(to_i64(cursor.0, "cursor")?)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        for row in rows {
            let device: Vec<u8> = row.try_get(0).map_err(backend)?;
            let device = DeviceId(
                device
                    .try_into()
                    .map_err(|_| StorageError::Corrupt("device id length".into()))?,
            );
            let seq: i64 = row.try_get(1).map_err(backend)?;
            facts
                .maxima
                .push((device, DeviceSeq(to_u64(seq, "device seq")?)));
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = replace_snapshot_in(&mut tx, journal, previous, snapshot, received_unix).await;
        settle(tx, result).await
    }

    async fn compact(
        &self,
        journal: JournalId,
        snapshot_hash: [u8; 32],
    ) -> Result<Option<CompactOutcome>, StorageError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let result = compact_in(&mut tx, journal, snapshot_hash).await;
        settle(tx, result).await
    }

    fn start_remote_fanout(&self, hub: Arc<Hub>) -> Option<JoinHandle<()>> {
        let listener = RemoteFanout {
            pool: self.pool.clone(),
            instance: self.instance.clone(),
            scope: self.scope.clone(),
            hub,
        };
        Some(tokio::spawn(listener.run()))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_is_listed() {
        assert_eq!(MIGRATIONS.len(), 2);
    }
}
