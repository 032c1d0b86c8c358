//! Pairing rendezvous in the database: what [`PairingStore`] promises.
//!
//! A rendezvous is one row (`pairings`) and its messages are rows of their
//! own (`pairing_messages`), so that every relay instance sharing the
//! database sees the same mailbox. The SQL is in `sql_backend/pairing.rs`;
//! each backend only says how opens are serialised (`sqlite/pairing.rs`,
//! `postgres/pairing.rs`). The rules themselves (limits, errors) are in
//! [`crate::pairing`].

use async_trait::async_trait;
use attune_proto::JournalId;

use super::StorageError;
use crate::pairing::{PairingError, Side};

/// A storage answer: refused for a pairing reason (`Ok(Err(_))`), or the database failed (`Err(_)`).
pub type PairingResult<T> = Result<Result<T, PairingError>, StorageError>;

/// What opening a rendezvous needs.
#[derive(Clone, Debug)]
pub struct OpenPairing {
    /// The journal whose member opens it.
    pub journal: JournalId,
    /// The opener's client address as the limits key it (text), for the per-address cap.
    pub opener: String,
    /// The commitment to the cancel token (see [`crate::pairing::cancel_commitment`]).
    pub cancel_commitment: [u8; 32],
    /// When it stops working (Unix seconds).
    pub expires_unix: u64,
    /// Nameplates to try, in order, until one is free (random ones, from the caller).
    pub candidates: Vec<u32>,
    /// Open rendezvous at most, across the database.
    pub max_open: usize,
    /// Open rendezvous at most with this opener.
    pub max_per_opener: usize,
}

/// The other side's messages and whether the rendezvous is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingMail {
    /// The messages after the index asked for, oldest first.
    pub messages: Vec<Vec<u8>>,
    /// A side closed the rendezvous.
    pub closed: bool,
}

/// Pairing rendezvous shared by every relay instance of one database.
///
/// Each method is one transaction; `now_unix` is passed in so that tests can
/// move time. A rendezvous at or past its expiry answers
/// [`PairingError::Expired`] until it is deleted (by the next open).
#[async_trait]
pub trait PairingStore: Send + Sync {
    /// Deletes expired rendezvous, then opens one under the first free
    /// candidate nameplate: [`PairingError::Full`] at `max_open` (or when
    /// every candidate is taken), [`PairingError::TooManyFromAddress`] at
    /// `max_per_opener` of this opener. Returns the nameplate.
    async fn open_pairing(&self, open: &OpenPairing, now_unix: u64) -> PairingResult<u32>;

    /// Appends one message of `side` (at most
    /// [`MAX_MESSAGES_PER_SIDE`](crate::pairing::MAX_MESSAGES_PER_SIDE) each;
    /// size is checked by the caller). Refused once closed.
    async fn post_pairing(
        &self,
        nameplate: u32,
        side: Side,
        message: &[u8],
        now_unix: u64,
    ) -> PairingResult<()>;

    /// The messages of the side other than `reader` after index `after`.
    async fn read_pairing(
        &self,
        nameplate: u32,
        reader: Side,
        after: usize,
        now_unix: u64,
    ) -> PairingResult<PairingMail>;

    /// Closes the rendezvous if `cancel_token` opens its commitment
    /// ([`PairingError::CancelRefused`] otherwise). Messages stay readable until it expires.
    async fn close_pairing(
        &self,
        nameplate: u32,
        cancel_token: &[u8; 32],
        now_unix: u64,
    ) -> PairingResult<()>;

    /// Deletes every rendezvous expired at `now_unix`; returns how many.
    async fn sweep_pairings(&self, now_unix: u64) -> Result<u64, StorageError>;
}
