//! What differs between the two databases, as the shared queries need it.

use async_trait::async_trait;
use attune_proto::JournalId;
use sqlx::{Database, Transaction};

use crate::storage::sql::Statement;
use crate::storage::StorageError;

/// A database the shared queries run on, implemented by `sqlx::Sqlite` and
/// `sqlx::Postgres` in their backend modules.
#[async_trait]
pub(crate) trait Dialect: Database {
    /// The statement that writes one device of the latest roster into the
    /// devices view, replacing its row (`$1` journal, `$2` device, `$3`
    /// verifying key, `$4` roster version, in this dialect's placeholders).
    const UPSERT_DEVICE: &'static str;

    /// The rendering of `statement` this database runs.
    fn text(statement: &'static Statement) -> &'static str;

    /// How many rows a statement inserted, updated or deleted.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// Serialises the rest of `tx` with every other write to `journal`;
    /// false when the journal does not exist.
    async fn lock_journal(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
    ) -> Result<bool, StorageError>;

    /// Takes `freed` bytes off the journal's usage and raises its compaction
    /// point to `cursor` (never lowers it); returns the compaction point now.
    async fn record_compaction(
        tx: &mut Transaction<'_, Self>,
        journal: JournalId,
        freed: i64,
        cursor: i64,
    ) -> Result<i64, StorageError>;
}
