//! How SQLite serialises pairing opens: it need not, every write already
//! goes through the one writer connection, one transaction at a time.

use async_trait::async_trait;
use sqlx::{Sqlite, Transaction};

use crate::storage::sql_backend::PairingLock;
use crate::storage::StorageError;

#[async_trait]
impl PairingLock for Sqlite {
    async fn lock_pairing_opens(_tx: &mut Transaction<'_, Sqlite>) -> Result<(), StorageError> {
        Ok(())
    }
}
