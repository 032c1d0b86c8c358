//! Pairing rendezvous: the SQL both dialects share, and [`PairingStore`] for every [`SqlBackend`].
//!
//! The statements live here rather than in `storage/sql.rs` because no other
//! part of the storage uses these two tables. The only difference between
//! the dialects is how opens are serialised ([`PairingLock`]): the global
//! and per-address counts must not be raced past by two instances.

use async_trait::async_trait;
use sqlx::{Encode, Executor, IntoArguments, Pool, Transaction, Type};

use super::{backend, settle, Dialect, SqlBackend};
use crate::pairing::{proves, PairingError, Side, MAX_MESSAGES_PER_SIDE};
use crate::storage::pairing::{OpenPairing, PairingMail, PairingResult, PairingStore};
use crate::storage::rows::to_i64;
use crate::storage::sql::Statement;
use crate::storage::StorageError;

/// Messages of rendezvous expired at `$1`.
static DELETE_EXPIRED_MESSAGES: Statement = Statement::new(
    "DELETE FROM pairing_messages WHERE nameplate IN \
     (SELECT nameplate FROM pairings WHERE expires_unix <= $1)",
);
/// Rendezvous expired at `$1`.
static DELETE_EXPIRED: Statement = Statement::new("DELETE FROM pairings WHERE expires_unix <= $1");
/// How many rendezvous are stored.
static COUNT_OPEN: Statement = Statement::new("SELECT COUNT(*) FROM pairings");
/// How many rendezvous opener `$1` has.
static COUNT_BY_OPENER: Statement =
    Statement::new("SELECT COUNT(*) FROM pairings WHERE opener = $1");
/// Opens rendezvous `$1` (journal `$2`, opener `$3`, commitment `$4`, expiry `$5`) unless the number is taken.
static INSERT_PAIRING: Statement = Statement::new(
    "INSERT INTO pairings (nameplate, journal_id, opener, cancel_commitment, expires_unix) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (nameplate) DO NOTHING",
);
/// `expires_unix, closed` of rendezvous `$1`, its row locked (PostgreSQL) until the transaction ends.
static LOCK_PAIRING: Statement = Statement::new(
    "UPDATE pairings SET closed = closed WHERE nameplate = $1 RETURNING expires_unix, closed",
);
/// `expires_unix, closed` of rendezvous `$1`.
static PAIRING_STATE: Statement =
    Statement::new("SELECT expires_unix, closed FROM pairings WHERE nameplate = $1");
/// `cancel_commitment, expires_unix` of rendezvous `$1`.
static PAIRING_COMMITMENT: Statement =
    Statement::new("SELECT cancel_commitment, expires_unix FROM pairings WHERE nameplate = $1");
/// Closes rendezvous `$1`.
static CLOSE_PAIRING: Statement =
    Statement::new("UPDATE pairings SET closed = 1 WHERE nameplate = $1");
/// How many messages side `$2` posted to rendezvous `$1`.
static COUNT_MESSAGES: Statement =
    Statement::new("SELECT COUNT(*) FROM pairing_messages WHERE nameplate = $1 AND side = $2");
/// Appends message `$3` (`$4` its bytes) of side `$2` to rendezvous `$1`.
static INSERT_MESSAGE: Statement = Statement::new(
    "INSERT INTO pairing_messages (nameplate, side, idx, body) VALUES ($1, $2, $3, $4)",
);
/// Bodies of side `$2` of rendezvous `$1` from index `$3` on, in order.
static MESSAGES_FROM: Statement = Statement::new(
    "SELECT body FROM pairing_messages WHERE nameplate = $1 AND side = $2 AND idx >= $3 \
     ORDER BY idx",
);

/// How a backend keeps two opens from racing past the caps.
#[async_trait]
pub(crate) trait PairingLock: Dialect {
    /// Serialises the rest of `tx` with every other open of a rendezvous.
    async fn lock_pairing_opens(tx: &mut Transaction<'_, Self>) -> Result<(), StorageError>;
}

fn side_code(side: Side) -> i64 {
    match side {
        Side::Existing => 0,
        Side::New => 1,
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Existing => Side::New,
        Side::New => Side::Existing,
    }
}

/// Whether a stored rendezvous may still be used at `now`.
fn usable(expires: i64, now: i64) -> Result<(), PairingError> {
    if now >= expires {
        Err(PairingError::Expired)
    } else {
        Ok(())
    }
}

/// The pairing queries on any dialect; the sqlx bounds are stated on the impl below only.
#[async_trait]
pub(crate) trait PairingQueries: PairingLock {
    /// See [`PairingStore::open_pairing`].
    async fn open_pairing(pool: &Pool<Self>, open: &OpenPairing, now: i64) -> PairingResult<u32>;
    /// See [`PairingStore::post_pairing`].
    async fn post_pairing(
        pool: &Pool<Self>,
        nameplate: u32,
        side: Side,
        message: &[u8],
        now: i64,
    ) -> PairingResult<()>;
    /// See [`PairingStore::read_pairing`].
    async fn read_pairing(
        pool: &Pool<Self>,
        nameplate: u32,
        reader: Side,
        after: i64,
        now: i64,
    ) -> PairingResult<PairingMail>;
    /// See [`PairingStore::close_pairing`].
    async fn close_pairing(
        pool: &Pool<Self>,
        nameplate: u32,
        token: &[u8; 32],
        now: i64,
    ) -> PairingResult<()>;
    /// See [`PairingStore::sweep_pairings`].
    async fn sweep_pairings(tx: &mut Transaction<'_, Self>, now: i64) -> Result<u64, StorageError>;
}

#[async_trait]
impl<D> PairingQueries for D
where
    D: PairingLock,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'c> &'c Pool<D>: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'q> &'q [u8]: Encode<'q, D> + Type<D>,
    for<'q> &'q str: Encode<'q, D> + Type<D>,
    for<'r> i64: Encode<'r, D> + sqlx::Decode<'r, D> + Type<D>,
    for<'r> Vec<u8>: sqlx::Decode<'r, D> + Type<D>,
    for<'r> (i64, i64): sqlx::FromRow<'r, D::Row>,
    for<'r> (Vec<u8>, i64): sqlx::FromRow<'r, D::Row>,
    for<'r> (i64,): sqlx::FromRow<'r, D::Row>,
    for<'r> (Vec<u8>,): sqlx::FromRow<'r, D::Row>,
{
    async fn open_pairing(pool: &Pool<D>, open: &OpenPairing, now: i64) -> PairingResult<u32> {
        let mut tx = pool.begin().await.map_err(backend)?;
        let result = async {
            D::lock_pairing_opens(&mut tx).await?;
            D::sweep_pairings(&mut tx, now).await?;
            let (total,): (i64,) = sqlx::query_as(D::text(&COUNT_OPEN))
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            if usize::try_from(total).unwrap_or(usize::MAX) >= open.max_open {
                return Ok(Err(PairingError::Full));
            }
            let (mine,): (i64,) = sqlx::query_as(D::text(&COUNT_BY_OPENER))
                .bind(open.opener.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            if usize::try_from(mine).unwrap_or(usize::MAX) >= open.max_per_opener {
                return Ok(Err(PairingError::TooManyFromAddress));
            }
            let expires = to_i64(open.expires_unix, "pairing expiry")?;
            for &nameplate in &open.candidates {
                let inserted = sqlx::query(D::text(&INSERT_PAIRING))
                    .bind(i64::from(nameplate))
                    .bind(&open.journal.0[..])
                    .bind(open.opener.as_str())
                    .bind(&open.cancel_commitment[..])
                    .bind(expires)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if D::rows_affected(&inserted) == 1 {
                    return Ok(Ok(nameplate));
                }
            }
            Ok(Err(PairingError::Full))
        }
        .await;
        settle(tx, result).await
    }

    async fn post_pairing(
        pool: &Pool<D>,
        nameplate: u32,
        side: Side,
        message: &[u8],
        now: i64,
    ) -> PairingResult<()> {
        let mut tx = pool.begin().await.map_err(backend)?;
        let result = async {
            // Locks the rendezvous: two posts of one side through two instances take turns.
            let state: Option<(i64, i64)> = sqlx::query_as(D::text(&LOCK_PAIRING))
                .bind(i64::from(nameplate))
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            let Some((expires, closed)) = state else {
                return Ok(Err(PairingError::Unknown));
            };
            if let Err(e) = usable(expires, now) {
                return Ok(Err(e));
            }
            if closed != 0 {
                return Ok(Err(PairingError::Closed));
            }
            let (posted,): (i64,) = sqlx::query_as(D::text(&COUNT_MESSAGES))
                .bind(i64::from(nameplate))
                .bind(side_code(side))
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            if usize::try_from(posted).unwrap_or(usize::MAX) >= MAX_MESSAGES_PER_SIDE {
                return Ok(Err(PairingError::TooManyMessages));
            }
            sqlx::query(D::text(&INSERT_MESSAGE))
                .bind(i64::from(nameplate))
                .bind(side_code(side))
                .bind(posted)
                .bind(message)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            Ok(Ok(()))
        }
        .await;
        settle(tx, result).await
    }

    async fn read_pairing(
        pool: &Pool<D>,
        nameplate: u32,
        reader: Side,
        after: i64,
        now: i64,
    ) -> PairingResult<PairingMail> {
        // The state first: whatever a side posted before closing is then in
        // the messages read next, so a reader never sees "closed" without them.
        let state: Option<(i64, i64)> = sqlx::query_as(D::text(&PAIRING_STATE))
            .bind(i64::from(nameplate))
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
        let Some((expires, closed)) = state else {
            return Ok(Err(PairingError::Unknown));
        };
        if let Err(e) = usable(expires, now) {
            return Ok(Err(e));
        }
        let rows: Vec<(Vec<u8>,)> = sqlx::query_as(D::text(&MESSAGES_FROM))
            .bind(i64::from(nameplate))
            .bind(side_code(other(reader)))
            .bind(after)
            .fetch_all(pool)
            .await
            .map_err(backend)?;
        Ok(Ok(PairingMail {
            messages: rows.into_iter().map(|(body,)| body).collect(),
            closed: closed != 0,
        }))
    }

    async fn close_pairing(
        pool: &Pool<D>,
        nameplate: u32,
        token: &[u8; 32],
        now: i64,
    ) -> PairingResult<()> {
        let mut tx = pool.begin().await.map_err(backend)?;
        let result = async {
            let row: Option<(Vec<u8>, i64)> = sqlx::query_as(D::text(&PAIRING_COMMITMENT))
                .bind(i64::from(nameplate))
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            let Some((commitment, expires)) = row else {
                return Ok(Err(PairingError::Unknown));
            };
            if let Err(e) = usable(expires, now) {
                return Ok(Err(e));
            }
            if !proves(&commitment, token) {
                return Ok(Err(PairingError::CancelRefused));
            }
            sqlx::query(D::text(&CLOSE_PAIRING))
                .bind(i64::from(nameplate))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            Ok(Ok(()))
        }
        .await;
        settle(tx, result).await
    }

    async fn sweep_pairings(tx: &mut Transaction<'_, D>, now: i64) -> Result<u64, StorageError> {
        sqlx::query(D::text(&DELETE_EXPIRED_MESSAGES))
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        let deleted = sqlx::query(D::text(&DELETE_EXPIRED))
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(D::rows_affected(&deleted))
    }
}

#[async_trait]
impl<B: SqlBackend> PairingStore for B {
    async fn open_pairing(&self, open: &OpenPairing, now_unix: u64) -> PairingResult<u32> {
        B::Db::open_pairing(self.writes(), open, to_i64(now_unix, "time")?).await
    }

    async fn post_pairing(
        &self,
        nameplate: u32,
        side: Side,
        message: &[u8],
        now_unix: u64,
    ) -> PairingResult<()> {
        let now = to_i64(now_unix, "time")?;
        B::Db::post_pairing(self.writes(), nameplate, side, message, now).await
    }

    async fn read_pairing(
        &self,
        nameplate: u32,
        reader: Side,
        after: usize,
        now_unix: u64,
    ) -> PairingResult<PairingMail> {
        let now = to_i64(now_unix, "time")?;
        // An index past any rendezvous' messages reads nothing, whatever its size.
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        B::Db::read_pairing(self.reads(), nameplate, reader, after, now).await
    }

    async fn close_pairing(
        &self,
        nameplate: u32,
        cancel_token: &[u8; 32],
        now_unix: u64,
    ) -> PairingResult<()> {
        let now = to_i64(now_unix, "time")?;
        B::Db::close_pairing(self.writes(), nameplate, cancel_token, now).await
    }

    async fn sweep_pairings(&self, now_unix: u64) -> Result<u64, StorageError> {
        let now = to_i64(now_unix, "time")?;
        let mut tx = self.writes().begin().await.map_err(backend)?;
        let result = B::Db::sweep_pairings(&mut tx, now).await;
        settle(tx, result).await
    }
}
