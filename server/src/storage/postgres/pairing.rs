//! How PostgreSQL serialises pairing opens across instances: a transaction
//! advisory lock, so that two instances counting open rendezvous at once
//! cannot both pass the global or the per-address cap.

use async_trait::async_trait;
use sqlx::{Postgres, Transaction};

use crate::storage::sql_backend::{backend, PairingLock};
use crate::storage::StorageError;

/// Key of the advisory lock held by each open until its transaction ends.
const PAIRING_OPEN_LOCK: i64 = 0x0070_6169_7269_6e67; // "pairing"

#[async_trait]
impl PairingLock for Postgres {
    async fn lock_pairing_opens(tx: &mut Transaction<'_, Postgres>) -> Result<(), StorageError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PAIRING_OPEN_LOCK)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
