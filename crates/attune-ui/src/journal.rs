//! The journal as the server reaches it: opened for each call with the
//! identity unlocked once, so the lock is held only while a call works and
//! `attune` commands keep working beside the UI.

use std::path::PathBuf;

use attune_client::Store;
use attune_core::Timestamp;
use attune_crypto::DeviceIdentity;

use crate::error::ApiError;

/// Where the journal is and the identity that opens it.
#[derive(Clone)]
pub struct Journal {
    dir: PathBuf,
    identity: DeviceIdentity,
}

impl Journal {
    /// The journal in `dir`, opened with `identity`.
    pub fn new(dir: PathBuf, identity: DeviceIdentity) -> Journal {
        Journal { dir, identity }
    }

    /// The journal's directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Open the journal (blocking).
    pub fn open(&self) -> Result<Store, attune_client::StoreError> {
        Store::open_with_identity(&self.dir, self.identity.clone())
    }

    /// Run `work` on the opened journal on a blocking thread.
    pub async fn with<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let journal = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = journal.open()?;
            work(&mut store)
        })
        .await?
    }
}

/// The local offset from UTC now, in minutes (safe on any thread).
pub fn local_offset_minutes() -> i16 {
    (jiff::Zoned::now().offset().seconds() / 60) as i16
}

/// Now, with the local offset.
pub fn now() -> Timestamp {
    Timestamp::new(attune_client::store::now_ms(), local_offset_minutes())
}

/// The start of the local day `YYYY-MM-DD` (UTC ms); `field` names it in the refusal.
pub fn day_start_ms(text: &str, field: &str) -> Result<i64, ApiError> {
    let date: jiff::civil::Date = text.trim().parse().map_err(|_| {
        ApiError::bad_request(format!("{field}: {text:?} is not a date (YYYY-MM-DD)"))
    })?;
    let zoned = date
        .to_zoned(jiff::tz::TimeZone::system())
        .map_err(|e| ApiError::bad_request(format!("{field}: {e}")))?;
    Ok(zoned.timestamp().as_millisecond())
}

/// The start of the day after `YYYY-MM-DD` (an inclusive "until" date).
pub fn day_end_ms(text: &str, field: &str) -> Result<i64, ApiError> {
    let date: jiff::civil::Date = text.trim().parse().map_err(|_| {
        ApiError::bad_request(format!("{field}: {text:?} is not a date (YYYY-MM-DD)"))
    })?;
    let next = date
        .tomorrow()
        .map_err(|e| ApiError::bad_request(format!("{field}: {e}")))?;
    day_start_ms(&next.to_string(), field)
}
