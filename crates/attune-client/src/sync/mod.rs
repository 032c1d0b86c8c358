//! The sync engine: sealed envelopes out through the outbox, verified envelopes in.
//!
//! Local changes go to the outbox on disk as soon as they are saved
//! ([`crate::Store`]); sync seals them into envelopes (stored in
//! `outbox/envelopes/` *before* any push, so a re-push sends the same bytes),
//! pushes them, and deletes them only once the relay acknowledged their
//! commit. Incoming envelopes are verified (roster, signature, epoch, AEAD,
//! per-device chain) and applied; the cursor and the chain advance only after
//! the changes are durable locally.

mod assembly;
mod bounded;
mod devices;
mod engine;
mod http;
mod inbound;
mod live;
mod membership;
pub(crate) mod parts;
mod pull;
mod push;
mod quarantine;
mod relay;
mod rendezvous;
mod report;
mod reseed;
mod snapshot;
mod snapshot_policy;
pub(crate) mod state;
mod word;

pub use crate::dir::layout::QUARANTINE_DIR;
pub use crate::outbox::seal_outbox;
pub use bounded::{ReadLimits, SNAPSHOT_MIB_VAR};
pub use devices::join::{add_device, finish_join, JoinRequest, JoinTicket};
pub use devices::pair::{join_with_code, pair_device, PairingOffer};
pub use devices::recover::recover;
pub use devices::revoke::{find_device, revoke_device, Revoked};
pub use devices::rotate::{rotate_recovery, Rotated};
pub use engine::{sync_once, sync_once_with};
pub use inbound::process_envelopes;
pub use live::{watch, Opener};
pub use membership::{connect, set_invite};
pub use push::push_outbox;
pub use relay::{LiveSocket, RelayClient};
pub use rendezvous::Rendezvous;
pub use report::SyncReport;
pub use reseed::{change_relay, reseed, RelayChange};
pub use snapshot::SnapshotTaken;
pub use snapshot_policy::{
    NO_AUTO_SNAPSHOT_VAR, SNAPSHOT_AFTER_BYTES, SNAPSHOT_AFTER_CHANGES, SNAPSHOT_EVERY,
};
pub use state::{ChangeBatch, SyncState};

/// Everything that can go wrong while syncing, each a sentence a writer can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// No relay is configured.
    #[error("no relay is set for this journal; run `attune relay set URL` first")]
    NoRelay,
    /// The relay could not be reached.
    #[error("could not reach the relay: {0}")]
    Network(String),
    /// The relay refused a request.
    #[error("the relay refused ({status} {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Stable error code.
        code: attune_proto::ErrorCode,
        /// The relay's explanation.
        message: String,
    },
    /// The relay answered more than this device reads for that kind of answer; it stopped reading.
    #[error(
        "the relay sent more than {} for {what}, more than this device reads, so it stopped reading; {}",
        bounded::human_size(*limit),
        bounded::too_much_hint(what)
    )]
    RelayAnsweredTooMuch {
        /// What was being read ("a page of envelopes", "the journal's snapshot", …).
        what: &'static str,
        /// The most this device reads for it, in bytes ([`ReadLimits`]).
        limit: usize,
    },
    /// The relay sent bytes that are not a valid message.
    #[error("the relay sent something this version cannot read: {0}")]
    Protocol(#[from] attune_proto::ProtoError),
    /// The relay's roster does not verify, or it went back in time.
    #[error("the relay's list of devices cannot be trusted: {0}")]
    Roster(attune_crypto::CryptoError),
    /// A device of the journal removed the recovery kit from the journal (a signed, visible step).
    #[error("the recovery kit was removed from this journal by one of its devices (see `attune sync` on a device of the journal); these words can no longer restore it")]
    RecoveryKitRemoved,
    /// This device does not know which member of the roster is the recovery kit.
    #[error("this device does not know which device of the journal is the recovery kit; rotate the words on the device that created the journal, or on one restored from the words")]
    RecoveryKitUnknown,
    /// This device is not (or no longer) part of the journal.
    #[error(
        "the relay says this device is not in the journal's list of devices: it was revoked, or the relay is serving an old or altered list; nothing was pushed"
    )]
    NotInRoster,
    /// The local envelope chain does not match what the relay has.
    #[error("this device's history does not match the relay's ({0}); was this journal directory restored from an old copy? Nothing was pushed")]
    StaleDevice(String),
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] attune_crypto::CryptoError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    /// No device of the journal matches what was typed.
    #[error("no device of this journal matches {0:?}; `attune device list` shows them")]
    UnknownDevice(String),
    /// The relay holds no journal for these recovery words.
    #[error("this relay holds no journal for those recovery words; check the relay address and the words")]
    NoSuchJournal,
    /// The relay has never heard of a journal this device has synced before.
    #[error("the relay at {0} holds no copy of this journal: check the address (`attune relay set URL`); if the relay lost its data or is a new one, `attune relay reseed` gives it this device's copy. Nothing was pushed")]
    WrongRelay(String),
    /// A journal that never synced has nothing a relay could be re-seeded with.
    #[error("this device has never synced this journal, so it holds no device list to re-seed a relay with; run `attune sync` instead (it creates the journal on the relay)")]
    NothingToReseed,
    /// The other device closed the pairing (it failed or was cancelled there).
    #[error("the other device ended the pairing (a wrong code, or it was cancelled); nothing was changed")]
    PairingClosed,
    /// Nobody answered in time.
    #[error(
        "the other device did not answer before the code expired; start again with a new code"
    )]
    PairingTimeout,
    /// The writer declined the new device.
    #[error("the new device was not added; nothing was changed")]
    PairingDeclined,
    /// The writer asked to revoke the device they are using.
    #[error("this is the device you are using; revoke it from another device of the journal")]
    RevokeSelf,
    /// A join request could not be read.
    #[error("that is not a join request from `attune join start` ({0})")]
    BadJoinRequest(String),
}
