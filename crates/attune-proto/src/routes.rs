//! The relay's HTTP paths, each declared once.
//!
//! The constants are route templates in axum 0.8's `{param}` syntax, as the
//! relay's router declares them; the functions build the concrete path a
//! client requests (append it to the relay's base URL).
//!
//! ```
//! use attune_proto::{routes, JournalId, RelaySeq};
//!
//! let journal: JournalId = "00112233445566778899aabbccddeeff".parse()?;
//! assert_eq!(routes::ENVELOPES, "/v1/journals/{jid}/envelopes");
//! assert_eq!(
//!     routes::push(journal),
//!     "/v1/journals/00112233445566778899aabbccddeeff/envelopes"
//! );
//! assert_eq!(
//!     routes::pull(journal, RelaySeq(7), 500),
//!     "/v1/journals/00112233445566778899aabbccddeeff/envelopes?after=7&limit=500"
//! );
//! # Ok::<(), attune_proto::ProtoError>(())
//! ```

use crate::{JournalId, RelaySeq};

/// A route under one journal: `/v1/journals/{jid}` followed by `$tail`.
macro_rules! journal_route {
    ($tail:literal) => {
        concat!("/v1/journals/{jid}", $tail)
    };
}

/// A route of a pairing rendezvous: `/v1/pairing/{nameplate}` followed by `$tail`.
macro_rules! pairing_route {
    ($tail:literal) => {
        concat!("/v1/pairing/{nameplate}", $tail)
    };
}

/// `POST`: a device asks for an authentication challenge.
pub const CHALLENGE: &str = journal_route!("/challenge");
/// `POST`: a device trades a signed challenge for a session (the first one creates the journal).
pub const SESSION: &str = journal_route!("/session");
/// `POST`: a device re-creates a journal this relay does not know, from its
/// verified roster chain and keys, and gets a session (see [`crate::ReseedRequest`]).
pub const RESEED: &str = journal_route!("/reseed");
/// `GET` every roster version, `PUT` the next one.
pub const ROSTER: &str = journal_route!("/roster");
/// `GET` the device's wrapped keys, `PUT` keys for devices of the roster.
pub const KEYS: &str = journal_route!("/keys");
/// `POST` pushes envelopes, `GET ?after=N&limit=M` pulls them.
pub const ENVELOPES: &str = journal_route!("/envelopes");
/// `GET`: the live WebSocket, authenticated by `Authorization: Bearer` on the
/// upgrade or, where headers cannot be set (browsers), by a [`crate::LiveAuth`]
/// first frame; a `?token=` in the URL is refused (`token_in_url`).
pub const LIVE: &str = journal_route!("/ws");
/// `POST`: a member opens a pairing rendezvous.
pub const PAIRING_OPEN: &str = journal_route!("/pairing");
/// `GET` the newest snapshot, `PUT` a new one.
pub const SNAPSHOT: &str = journal_route!("/snapshot");
/// `POST`: deletes the envelopes a stored snapshot covers.
pub const COMPACT: &str = journal_route!("/compact");
/// `GET`: the journal whose latest roster lists `{device}` (a recovery kit
/// finding its journal; unauthenticated, see [`crate::RecoveryJournal`]).
pub const RECOVERY: &str = "/v1/recovery/{device}";
/// `DELETE`: closes a pairing rendezvous.
pub const PAIRING: &str = pairing_route!("");
/// `POST` one message from a side, `GET ?after=N` the other side's messages.
pub const PAIRING_MESSAGES: &str = pairing_route!("/{side}");
/// `GET`: the relay process is alive.
pub const HEALTH: &str = "/healthz";
/// `GET`: the relay's storage answers.
pub const READY: &str = "/readyz";
/// `GET`: Prometheus metrics.
pub const METRICS: &str = "/metrics";

/// Every route template of the relay.
pub const ALL: &[&str] = &[
    CHALLENGE,
    SESSION,
    RESEED,
    ROSTER,
    KEYS,
    ENVELOPES,
    LIVE,
    PAIRING_OPEN,
    SNAPSHOT,
    COMPACT,
    PAIRING,
    PAIRING_MESSAGES,
    RECOVERY,
    HEALTH,
    READY,
    METRICS,
];

/// Which device of a pairing posts or reads: the `{side}` of [`PAIRING_MESSAGES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PairingSide {
    /// The device already in the journal.
    Existing,
    /// The device that wants to join.
    New,
}

impl PairingSide {
    /// The path segment: `existing` or `new`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PairingSide::Existing => "existing",
            PairingSide::New => "new",
        }
    }

    /// The side named by a path segment, if it is one.
    pub fn parse(segment: &str) -> Option<PairingSide> {
        match segment {
            "existing" => Some(PairingSide::Existing),
            "new" => Some(PairingSide::New),
            _ => None,
        }
    }
}

/// Fills the `{jid}` of a journal route.
fn for_journal(template: &str, journal: JournalId) -> String {
    template.replace("{jid}", &journal.to_string())
}

/// Fills the `{nameplate}` (and `{side}`) of a pairing route.
fn for_pairing(template: &str, nameplate: u32, side: Option<PairingSide>) -> String {
    let path = template.replace("{nameplate}", &nameplate.to_string());
    match side {
        Some(side) => path.replace("{side}", side.as_str()),
        None => path,
    }
}

/// The path of [`CHALLENGE`] for `journal`.
pub fn challenge(journal: JournalId) -> String {
    for_journal(CHALLENGE, journal)
}

/// The path of [`SESSION`] for `journal`.
pub fn session(journal: JournalId) -> String {
    for_journal(SESSION, journal)
}

/// The path of [`RESEED`] for `journal`.
pub fn reseed(journal: JournalId) -> String {
    for_journal(RESEED, journal)
}

/// The path of [`ROSTER`] for `journal`.
pub fn roster(journal: JournalId) -> String {
    for_journal(ROSTER, journal)
}

/// The path of [`KEYS`] for `journal`.
pub fn keys(journal: JournalId) -> String {
    for_journal(KEYS, journal)
}

/// The path of [`ENVELOPES`] for `journal`, to push to.
pub fn push(journal: JournalId) -> String {
    for_journal(ENVELOPES, journal)
}

/// The path of [`ENVELOPES`] for `journal` with its query: up to `limit` envelopes after `after`.
pub fn pull(journal: JournalId, after: RelaySeq, limit: u32) -> String {
    format!("{}?after={}&limit={limit}", push(journal), after.0)
}

/// The path of [`LIVE`] for `journal` (never with a token: see [`LIVE`]).
pub fn live(journal: JournalId) -> String {
    for_journal(LIVE, journal)
}

/// The path of [`PAIRING_OPEN`] for `journal`.
pub fn pairing_open(journal: JournalId) -> String {
    for_journal(PAIRING_OPEN, journal)
}

/// The path of [`SNAPSHOT`] for `journal`.
pub fn snapshot(journal: JournalId) -> String {
    for_journal(SNAPSHOT, journal)
}

/// The path of [`COMPACT`] for `journal`.
pub fn compact(journal: JournalId) -> String {
    for_journal(COMPACT, journal)
}

/// The path of [`RECOVERY`] for `device`.
pub fn recovery(device: crate::DeviceId) -> String {
    RECOVERY.replace("{device}", &device.to_string())
}

/// The path of [`PAIRING`] for rendezvous `nameplate`.
pub fn pairing(nameplate: u32) -> String {
    for_pairing(PAIRING, nameplate, None)
}

/// The path of [`PAIRING_MESSAGES`] for rendezvous `nameplate` as `side`, to post to.
pub fn pairing_messages(nameplate: u32, side: PairingSide) -> String {
    for_pairing(PAIRING_MESSAGES, nameplate, Some(side))
}

/// The path of [`PAIRING_MESSAGES`] with its query: the other side's messages after the first `after`.
pub fn pairing_read(nameplate: u32, side: PairingSide, after: usize) -> String {
    format!("{}?after={after}", pairing_messages(nameplate, side))
}
