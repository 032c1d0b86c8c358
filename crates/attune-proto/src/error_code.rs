//! The stable codes of the relay's refusals, as a type.
//!
//! A refusal carries a snake_case code for programs ([`crate::ErrorBody::error`]
//! over HTTP and in WebSocket error frames, and the reason of a WebSocket
//! close frame). [`ErrorCode`] names each code the relay sends once, so relay
//! and client cannot spell one differently. A code this build does not know
//! (sent by a newer relay) parses to [`ErrorCode::Unknown`] instead of failing.
//!
//! ```
//! use attune_proto::ErrorCode;
//!
//! assert_eq!(ErrorCode::OutOfOrder.as_str(), "out_of_order");
//! assert_eq!("out_of_order".parse::<ErrorCode>(), Ok(ErrorCode::OutOfOrder));
//! assert_eq!(ErrorCode::parse("from_a_newer_relay"), ErrorCode::Unknown);
//! ```

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Declares every code once: its variant, its text and its documentation.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, )*) => {
        /// A stable snake_case refusal code of the relay; unknown codes parse to [`ErrorCode::Unknown`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code this build does not know, such as one a newer relay sends;
            /// the text itself stays in [`crate::ErrorBody::error`]. Written as `unknown`.
            Unknown,
        }

        impl ErrorCode {
            /// Every code the relay sends (all but [`ErrorCode::Unknown`]).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as it travels: snake_case text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                    ErrorCode::Unknown => "unknown",
                }
            }

            /// The code of `text`; [`ErrorCode::Unknown`] for any text this build does not know.
            pub fn parse(text: &str) -> ErrorCode {
                match text {
                    $($text => ErrorCode::$variant,)*
                    _ => ErrorCode::Unknown,
                }
            }
        }
    };
}

error_codes! {
    // The request itself.
    /// The bytes do not decode as the expected message.
    Malformed = "malformed",
    /// The message (or roster) has a wire version this relay does not speak.
    UnsupportedVersion = "unsupported_version",
    /// The `{jid}` of the path is not a journal id.
    InvalidJournalId = "invalid_journal_id",
    /// A device id in the path is not 32 lowercase hex characters.
    InvalidDeviceId = "invalid_device_id",
    /// The request body could not be read.
    UnreadableBody = "unreadable_body",
    /// The request body is larger than the relay accepts.
    BodyTooLarge = "body_too_large",
    /// The query string is not what the endpoint takes.
    BadQuery = "bad_query",
    /// A WebSocket text frame was sent where binary frames are expected.
    TextFrame = "text_frame",
    /// Some other client error, refused by the HTTP layer.
    BadRequest = "bad_request",
    /// No endpoint has this path.
    NotFound = "not_found",
    /// The endpoint does not take this method.
    MethodNotAllowed = "method_not_allowed",
    /// The request took longer than the relay allows.
    Timeout = "timeout",

    // Authentication.
    /// No bearer token was sent.
    MissingToken = "missing_token",
    /// The bearer token is unknown, expired or for another journal.
    InvalidToken = "invalid_token",
    /// A bearer token was sent in the URL (`?token=`), where proxies log it;
    /// send it in the `Authorization` header (or, on the live socket, as the first frame).
    TokenInUrl = "token_in_url",
    /// The challenge answered was never issued, or was already used.
    UnknownChallenge = "unknown_challenge",
    /// The challenge answered has expired.
    ChallengeExpired = "challenge_expired",
    /// A signature (of a challenge or a snapshot) does not verify.
    BadSignature = "bad_signature",
    /// The device is not in the journal's latest roster (also the close
    /// reason of the live connection of a removed device).
    NotInRoster = "not_in_roster",

    // Journals, rosters and keys.
    /// The journal does not exist.
    UnknownJournal = "unknown_journal",
    /// No journal's latest roster lists this device (a recovery lookup).
    UnknownMember = "unknown_member",
    /// A journal with this id already exists.
    JournalExists = "journal_exists",
    /// The roster version is not the next one.
    RosterConflict = "roster_conflict",
    /// The roster version is not signed by a member of the previous one.
    RosterNotSignedByMember = "roster_not_signed_by_member",
    /// The roster breaks the roster rule.
    InvalidRoster = "invalid_roster",
    /// The genesis roster does not list the device creating the journal.
    InvalidGenesis = "invalid_genesis",
    /// A re-seed's roster chain is empty, too long, or does not list the
    /// re-seeding device in its latest version.
    InvalidReseed = "invalid_reseed",
    /// A key is wrapped to a device that is not in the roster.
    UnknownDevice = "unknown_device",
    /// A key is for an epoch past the roster's.
    UnknownEpoch = "unknown_epoch",
    /// A different key is already stored for this device and epoch.
    KeyExists = "key_exists",
    /// A wrapped key is larger than the relay accepts.
    KeyTooLarge = "key_too_large",
    /// A request carries more wrapped keys than the relay accepts at once.
    TooManyKeys = "too_many_keys",
    /// The roster's epoch is past the most epochs a journal may have (or cannot be raised).
    TooManyEpochs = "too_many_epochs",
    /// The roster is larger than the relay accepts.
    RosterTooLarge = "roster_too_large",
    /// The relay creates journals only with an invite, and none was sent.
    InviteRequired = "invite_required",
    /// The invite sent is not one the relay accepts.
    InvalidInvite = "invalid_invite",

    // Envelopes.
    /// An envelope (or snapshot) names another journal than the path.
    WrongJournal = "wrong_journal",
    /// An envelope (or snapshot) names another device than the session.
    WrongDevice = "wrong_device",
    /// An envelope is larger than the relay accepts.
    EnvelopeTooLarge = "envelope_too_large",
    /// An envelope's device sequence is not the device's next one.
    OutOfOrder = "out_of_order",
    /// A different envelope is stored under this device sequence.
    SeqConflict = "seq_conflict",
    /// An envelope does not chain to the device's previous one.
    ChainMismatch = "chain_mismatch",
    /// The push does not fit the journal's quota.
    QuotaExceeded = "quota_exceeded",
    /// The envelopes asked for were compacted into the journal's snapshot.
    Compacted = "compacted",

    // Snapshots.
    /// The snapshot is larger than the relay accepts.
    SnapshotTooLarge = "snapshot_too_large",
    /// The snapshot covers nothing newer than the stored one, or another replaced it meanwhile.
    StaleSnapshot = "stale_snapshot",
    /// The snapshot named is not the journal's newest stored snapshot.
    UnknownSnapshot = "unknown_snapshot",
    /// The snapshot's cursor is past the journal's head.
    SnapshotCursorAhead = "snapshot_cursor_ahead",
    /// The snapshot covers an envelope the relay does not hold.
    SnapshotUnknownEnvelope = "snapshot_unknown_envelope",
    /// The snapshot's hash of an envelope differs from the stored envelope's.
    SnapshotHashMismatch = "snapshot_hash_mismatch",
    /// An envelope at or below the snapshot's cursor is not covered by it.
    SnapshotUncovers = "snapshot_uncovers",

    // Pairing.
    /// No pairing rendezvous has this number.
    UnknownPairing = "unknown_pairing",
    /// The pairing code has expired.
    PairingExpired = "pairing_expired",
    /// One of the devices closed the pairing.
    PairingClosed = "pairing_closed",
    /// A side posted more pairing messages than the protocol needs.
    PairingTooManyMessages = "pairing_too_many_messages",
    /// A pairing message is larger than any the protocol sends.
    PairingMessageTooLarge = "pairing_message_too_large",
    /// Too many pairings are in progress on the relay.
    PairingFull = "pairing_full",
    /// The pairing side of the path is neither `existing` nor `new`.
    BadSide = "bad_side",
    /// Closing a pairing needs its cancel token, and this one does not match.
    PairingCancelRefused = "pairing_cancel_refused",
    /// The client's address has too many pairings open; retry when one ends.
    TooManyPairingsFromIp = "too_many_pairings_from_ip",
    /// The client's address asked for too many pairing numbers that do not exist lately.
    TooManyPairingLookups = "too_many_pairing_lookups",

    // Load and availability.
    /// The client sent too many requests; retry after `Retry-After`.
    RateLimited = "rate_limited",
    /// The client's address created too many journals lately; retry after `Retry-After`.
    TooManyJournals = "too_many_journals",
    /// Too many unauthenticated requests are in progress on the relay.
    TooManyUnauthenticated = "too_many_unauthenticated",
    /// Too many live connections come from the client's address.
    TooManyConnectionsFromIp = "too_many_connections_from_ip",
    /// The journal has too many live connections.
    TooManyConnections = "too_many_connections",
    /// The relay has too many unanswered challenges.
    TooManyChallenges = "too_many_challenges",
    /// The relay has too many open sessions.
    TooManySessions = "too_many_sessions",
    /// The relay could not draw random numbers.
    NoRandomness = "no_randomness",
    /// The relay is shutting down.
    ShuttingDown = "shutting_down",
    /// The relay's storage failed; nothing was changed.
    StorageError = "storage_error",
    /// The relay's database does not answer (readiness).
    StorageUnavailable = "storage_unavailable",
    /// The relay failed to answer (a bug).
    InternalError = "internal_error",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = Infallible;

    /// Never fails: unknown text is [`ErrorCode::Unknown`].
    fn from_str(text: &str) -> Result<Self, Infallible> {
        Ok(ErrorCode::parse(text))
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Code;
        impl serde::de::Visitor<'_> for Code {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a snake_case error code")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ErrorCode, E> {
                Ok(ErrorCode::parse(text))
            }
        }
        d.deserialize_str(Code)
    }
}
