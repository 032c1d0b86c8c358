//! The SQL both backends speak.
//!
//! A [`Statement`] is written once, with PostgreSQL's numbered placeholders
//! (`$1`, `$2`, …); SQLite runs the same text with its own numbered ones
//! (`?1`, `?2`, …), which bind the same way. Statements the dialects do not
//! share (locks, arrays, `GREATEST`, upserts of the devices view, migrations)
//! stay in their backend. What the statements return is decoded by
//! [`super::rows`].

use std::sync::OnceLock;

/// One SQL statement in the text both dialects accept, placeholders aside.
pub(crate) struct Statement {
    /// The text, with `$N` placeholders.
    text: &'static str,
    /// The text with `?N` placeholders, made on first use.
    sqlite: OnceLock<String>,
}

impl Statement {
    pub(crate) const fn new(text: &'static str) -> Statement {
        Statement {
            text,
            sqlite: OnceLock::new(),
        }
    }

    /// The statement for PostgreSQL.
    pub(crate) fn postgres(&self) -> &'static str {
        self.text
    }

    /// The statement for SQLite (no statement here has a `$` other than its placeholders).
    pub(crate) fn sqlite(&'static self) -> &'static str {
        self.sqlite.get_or_init(|| self.text.replace('$', "?"))
    }
}

// --- Journals ---------------------------------------------------------------

/// Creates a journal (`$1` id, `$2` time) unless one with its id exists.
pub(crate) static INSERT_JOURNAL: Statement = Statement::new(
    "INSERT INTO journals (journal_id, created_unix) VALUES ($1, $2) \
     ON CONFLICT (journal_id) DO NOTHING",
);
/// Marks journal `$2` as re-seeded at `$1` (Unix seconds).
pub(crate) static MARK_RESEEDED: Statement =
    Statement::new("UPDATE journals SET reseeded_unix = $1 WHERE journal_id = $2");
/// A row if the journal `$1` exists.
pub(crate) static JOURNAL_EXISTS: Statement =
    Statement::new("SELECT 1 FROM journals WHERE journal_id = $1");
/// [`StatsRow`](super::rows::StatsRow) of journal `$1`.
pub(crate) static JOURNAL_STATS: Statement = Statement::new(
    "SELECT head_seq, used_bytes, compacted_through, reseeded_unix FROM journals WHERE journal_id = $1",
);
/// Sets head (`$1`) and used bytes (`$2`) of journal `$3` after a push group.
pub(crate) static UPDATE_JOURNAL_TIP: Statement =
    Statement::new("UPDATE journals SET head_seq = $1, used_bytes = $2 WHERE journal_id = $3");
/// Adds `$1` bytes to the usage of journal `$2` if that keeps it at or below `$3`
/// (no row changed: over the quota).
pub(crate) static CHARGE_JOURNAL: Statement = Statement::new(
    "UPDATE journals SET used_bytes = used_bytes + $1 \
     WHERE journal_id = $2 AND used_bytes + $1 <= $3",
);

// --- Envelopes --------------------------------------------------------------

/// [`TipRow`](super::rows::TipRow) of device `$2` in journal `$1` (no row: nothing stored yet).
pub(crate) static DEVICE_TIP: Statement = Statement::new(
    "SELECT device_seq, hash FROM envelopes WHERE journal_id = $1 AND device_id = $2 \
     ORDER BY device_seq DESC LIMIT 1",
);
/// Rows of [`Page::take`](super::rows::Page::take) for journal `$1`: up to `$3` envelopes after relay sequence `$2`.
pub(crate) static ENVELOPES_AFTER: Statement = Statement::new(
    "SELECT relay_seq, received_unix, bytes FROM envelopes \
     WHERE journal_id = $1 AND relay_seq > $2 ORDER BY relay_seq LIMIT $3",
);
/// The hash of envelope `$3` of device `$2` in journal `$1`, if stored.
pub(crate) static ENVELOPE_HASH: Statement = Statement::new(
    "SELECT hash FROM envelopes WHERE journal_id = $1 AND device_id = $2 AND device_seq = $3",
);
/// [`MaximumRow`](super::rows::MaximumRow)s of journal `$1`: per device, the highest sequence at or below relay sequence `$2`.
pub(crate) static DEVICE_MAXIMA: Statement = Statement::new(
    "SELECT device_id, MAX(device_seq) FROM envelopes \
     WHERE journal_id = $1 AND relay_seq <= $2 GROUP BY device_id",
);
/// The compaction delete (`$1` journal, `$2` cursor), returning each deleted row's size.
///
/// Deletes the envelopes at or below the cursor, except each device's newest
/// stored envelope: the push rules chain a device's next envelope to it.
pub(crate) static COMPACT: Statement = Statement::new(
    "DELETE FROM envelopes \
     WHERE journal_id = $1 AND relay_seq <= $2 \
     AND device_seq < (SELECT MAX(newest.device_seq) FROM envelopes AS newest \
                       WHERE newest.journal_id = envelopes.journal_id \
                       AND newest.device_id = envelopes.device_id) \
     RETURNING CAST(LENGTH(bytes) AS BIGINT)",
);

// --- Rosters, devices, keys -------------------------------------------------

/// Every roster of journal `$1` (its bytes), oldest first.
pub(crate) static ROSTERS: Statement =
    Statement::new("SELECT bytes FROM rosters WHERE journal_id = $1 ORDER BY version");
/// The latest roster of journal `$1` (its bytes).
pub(crate) static LATEST_ROSTER: Statement =
    Statement::new("SELECT bytes FROM rosters WHERE journal_id = $1 ORDER BY version DESC LIMIT 1");
/// The latest roster version of journal `$1` (NULL when it has none).
pub(crate) static LATEST_ROSTER_VERSION: Statement =
    Statement::new("SELECT MAX(version) FROM rosters WHERE journal_id = $1");
/// Stores roster version `$2` of journal `$1` with its hash `$3` and bytes `$4`.
pub(crate) static INSERT_ROSTER: Statement = Statement::new(
    "INSERT INTO rosters (journal_id, version, hash, bytes) VALUES ($1, $2, $3, $4)",
);
/// Empties the devices view of journal `$1` (before the latest roster's devices are written).
pub(crate) static DELETE_DEVICES: Statement =
    Statement::new("DELETE FROM devices WHERE journal_id = $1");
/// A row if device `$2` is in the latest roster of journal `$1`.
pub(crate) static IS_MEMBER: Statement =
    Statement::new("SELECT 1 FROM devices WHERE journal_id = $1 AND device_id = $2");
/// The journal whose latest roster lists device `$1` (a recovery kit's).
pub(crate) static JOURNAL_OF_MEMBER: Statement =
    Statement::new("SELECT journal_id FROM devices WHERE device_id = $1 LIMIT 1");
/// Stores key `$4` of device `$2`, epoch `$3`, in journal `$1`, unless one is stored.
pub(crate) static INSERT_KEY: Statement = Statement::new(
    "INSERT INTO wrapped_keys (journal_id, device_id, epoch, blob) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (journal_id, device_id, epoch) DO NOTHING",
);
/// The stored key of device `$2`, epoch `$3`, in journal `$1`.
pub(crate) static STORED_KEY: Statement = Statement::new(
    "SELECT blob FROM wrapped_keys WHERE journal_id = $1 AND device_id = $2 AND epoch = $3",
);
/// [`KeyRow`](super::rows::KeyRow)s of device `$2` in journal `$1`, by epoch.
pub(crate) static WRAPPED_KEYS: Statement = Statement::new(
    "SELECT epoch, blob FROM wrapped_keys WHERE journal_id = $1 AND device_id = $2 \
     ORDER BY epoch",
);

// --- Snapshots --------------------------------------------------------------

/// [`SnapshotRow`](super::rows::SnapshotRow) of journal `$1`.
pub(crate) static SNAPSHOT: Statement =
    Statement::new("SELECT bytes, hash FROM snapshots WHERE journal_id = $1");
/// The hash of journal `$1`'s stored snapshot.
pub(crate) static SNAPSHOT_HASH: Statement =
    Statement::new("SELECT hash FROM snapshots WHERE journal_id = $1");
/// The cursor of journal `$1`'s stored snapshot if its hash is `$2`.
pub(crate) static SNAPSHOT_CURSOR: Statement =
    Statement::new("SELECT cursor_seq FROM snapshots WHERE journal_id = $1 AND hash = $2");
/// Stores (or replaces) journal `$1`'s snapshot: hash `$2`, cursor `$3`, bytes `$4`, time `$5`.
pub(crate) static UPSERT_SNAPSHOT: Statement = Statement::new(
    "INSERT INTO snapshots (journal_id, hash, cursor_seq, bytes, received_unix) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (journal_id) DO UPDATE SET \
     hash = excluded.hash, cursor_seq = excluded.cursor_seq, \
     bytes = excluded.bytes, received_unix = excluded.received_unix",
);

/// Every shared statement (for the placeholder test).
#[cfg(test)]
static ALL: &[&Statement] = &[
    &INSERT_JOURNAL,
    &MARK_RESEEDED,
    &JOURNAL_EXISTS,
    &JOURNAL_STATS,
    &UPDATE_JOURNAL_TIP,
    &CHARGE_JOURNAL,
    &DEVICE_TIP,
    &ENVELOPES_AFTER,
    &ENVELOPE_HASH,
    &DEVICE_MAXIMA,
    &COMPACT,
    &ROSTERS,
    &LATEST_ROSTER,
    &LATEST_ROSTER_VERSION,
    &INSERT_ROSTER,
    &DELETE_DEVICES,
    &IS_MEMBER,
    &JOURNAL_OF_MEMBER,
    &INSERT_KEY,
    &STORED_KEY,
    &WRAPPED_KEYS,
    &SNAPSHOT,
    &SNAPSHOT_HASH,
    &SNAPSHOT_CURSOR,
    &UPSERT_SNAPSHOT,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers of the `$N` placeholders of `sql`, in order of appearance.
    fn placeholders(sql: &str) -> Vec<usize> {
        sql.split('$')
            .skip(1)
            .map(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn sqlite_numbers_its_placeholders_like_postgres() {
        for statement in ALL {
            let pg = statement.postgres();
            let lite = statement.sqlite();
            assert_eq!(pg.replace('$', "?"), lite);
            // Numbered from 1 without holes, so positional binds fill both alike.
            let mut numbers = placeholders(pg);
            numbers.sort_unstable();
            numbers.dedup();
            let expected: Vec<usize> = (1..=numbers.len()).collect();
            assert_eq!(numbers, expected, "{pg}");
        }
    }
}
