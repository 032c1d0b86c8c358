//! Every relay setting, declared once.
//!
//! One row per setting gives its documentation (the `--help` text), the field
//! of [`Settings`] or [`Config`] it fills, its default, how its value is
//! checked (its kind: see `declare.rs`), its key in the TOML file (the
//! flag is the key with `-` for `_`) and its environment variable. Adding a
//! setting is adding a row here, and a line to `dist/relay.example.toml`
//! (a test holds that file to these defaults).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::declare::{declare_settings, Kind, Plain, Positive, Seconds, Unset, UnsetIfEmpty};
use super::{LogFormat, SettingsError};

declare_settings! {
    relay {
        /// Address to listen on (port 0 picks a free port).
        listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8787)),
            Plain listen: SocketAddr, #[arg(env = "ATTUNE_RELAY_LISTEN", value_name = "ADDR")];
        /// Directory of the embedded SQLite database (default: the XDG data directory's attune-relay).
        data: Option<PathBuf> = None,
            Unset data: PathBuf, #[arg(env = "ATTUNE_RELAY_DATA", value_name = "DIR")];
        /// Database to use instead of the embedded default.
        ///
        /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?options=-c%20search_path%3DSCHEMA]`
        /// (or `postgresql://…`) uses PostgreSQL: the relay creates and migrates
        /// its tables itself at start, and any number of relay instances may share
        /// the database (sequence numbers stay gap-free; live fan-out crosses
        /// instances through LISTEN/NOTIFY on the channel `attune_envelopes`).
        /// The connection is not encrypted: use a local socket or host, or a tunnel.
        /// Absent, or `sqlite://DIR`, keeps the embedded SQLite database in
        /// `DIR/relay.sqlite3` (`sqlite://` alone means --data or its default).
        database: Option<String> = None,
            UnsetIfEmpty database: String,
            #[arg(env = "ATTUNE_RELAY_DATABASE", value_name = "URL", verbatim_doc_comment)];
        /// How log lines on stderr are written (`RUST_LOG` sets the level).
        log_format: LogFormat = LogFormat::Text,
            Plain log_format: LogFormat,
            #[arg(env = "ATTUNE_RELAY_LOG_FORMAT", value_name = "FORMAT")];
    }
    config {
        /// Largest envelope accepted, in bytes.
        max_envelope_bytes: usize = 256 * 1024,
            Positive max_envelope_bytes: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_ENVELOPE_BYTES", value_name = "BYTES")];
        /// Largest request body or WebSocket message accepted, in bytes (larger: 413).
        max_body_bytes: usize = 1024 * 1024,
            Positive max_body_bytes: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_BODY_BYTES", value_name = "BYTES")];
        /// Largest snapshot (the whole sealed journal; one is kept per journal), in bytes (larger: 413).
        max_snapshot_bytes: usize = 64 * 1024 * 1024,
            Positive max_snapshot_bytes: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_SNAPSHOT_BYTES", value_name = "BYTES")];
        /// Bytes of envelopes one journal may store (more: 507).
        journal_quota_bytes: u64 = 256 * 1024 * 1024,
            Plain journal_quota_bytes: u64,
            #[arg(env = "ATTUNE_RELAY_JOURNAL_QUOTA_BYTES", value_name = "BYTES")];
        // Keys and rosters count against the quota too (see `storage`); these
        // bound each of them, so no member can fill the relay another way.
        /// Largest wrapped key accepted, in bytes (larger: 413).
        max_wrapped_key_bytes: usize = 8 * 1024,
            Positive max_wrapped_key_bytes: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_WRAPPED_KEY_BYTES", value_name = "BYTES")];
        /// Most wrapped keys one request may carry (more: 413).
        max_keys_per_request: usize = 1024,
            Positive max_keys_per_request: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_KEYS_PER_REQUEST", value_name = "N")];
        /// Highest key epoch a journal may reach: each removal of a device raises it by one (past it: 507).
        max_epochs_per_journal: u32 = 10_000,
            Positive max_epochs_per_journal: u32,
            #[arg(env = "ATTUNE_RELAY_MAX_EPOCHS_PER_JOURNAL", value_name = "N")];
        /// Largest roster version accepted, in bytes (larger: 413).
        max_roster_bytes: usize = 256 * 1024,
            Positive max_roster_bytes: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_ROSTER_BYTES", value_name = "BYTES")];
        /// Journals one client address may create per hour, all at once or spread out (more: 429).
        max_journals_per_hour: u32 = 10,
            Positive max_journals_per_hour: u32,
            #[arg(env = "ATTUNE_RELAY_MAX_JOURNALS_PER_HOUR", value_name = "N")];
        /// Create journals only for session requests with an invite (`Attune-Invite` header) of `invite_tokens` (else: 403).
        require_invite: bool = false,
            Plain require_invite: bool,
            #[arg(env = "ATTUNE_RELAY_REQUIRE_INVITE", value_name = "BOOL",
                num_args = 0..=1, default_missing_value = "true")];
        /// Invites accepted by --require-invite (comma-separated; each any text, best long and random).
        invite_tokens: Vec<String> = Vec::new(),
            Plain invite_tokens: Vec<String>,
            #[arg(env = "ATTUNE_RELAY_INVITE_TOKENS", value_name = "TOKEN,…",
                value_delimiter = ',', hide_env_values = true)];
        /// Seconds a request may take, body included, before it is answered 408.
        request_timeout: Duration = Duration::from_secs(30),
            Seconds request_timeout_secs: u64,
            #[arg(env = "ATTUNE_RELAY_REQUEST_TIMEOUT_SECS", value_name = "SECS")];
        /// Seconds a device has to answer an authentication challenge.
        challenge_ttl: Duration = Duration::from_secs(60),
            Seconds challenge_ttl_secs: u64,
            #[arg(env = "ATTUNE_RELAY_CHALLENGE_TTL_SECS", value_name = "SECS")];
        /// Seconds a session token stays valid.
        session_ttl: Duration = Duration::from_secs(3600),
            Seconds session_ttl_secs: u64,
            #[arg(env = "ATTUNE_RELAY_SESSION_TTL_SECS", value_name = "SECS")];
        /// Most unanswered challenges kept in memory (more: 503).
        max_challenges: usize = 100_000,
            Positive max_challenges: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_CHALLENGES", value_name = "N")];
        /// Most live sessions kept in memory (more: 503).
        max_sessions: usize = 100_000,
            Positive max_sessions: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_SESSIONS", value_name = "N")];
        /// Most live WebSocket connections per journal (more: 429).
        max_connections_per_journal: usize = 64,
            Positive max_connections_per_journal: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_CONNECTIONS_PER_JOURNAL", value_name = "N")];
        /// Most live WebSocket connections from one client address (more: 429).
        max_connections_per_ip: usize = 64,
            Positive max_connections_per_ip: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_CONNECTIONS_PER_IP", value_name = "N")];
        /// Most unauthenticated requests (challenge, session, pairing) in progress at once (more: 503).
        max_unauthenticated: usize = 256,
            Positive max_unauthenticated: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_UNAUTHENTICATED", value_name = "N")];
        // The four rates are generous: a household behind one NAT syncing
        // several devices, and two devices polling a pairing rendezvous, stay far below.
        /// Requests one client address may send in a burst (more: 429; health, readiness and metrics are exempt).
        rate_limit_burst: u32 = 300,
            Positive rate_limit_burst: u32,
            #[arg(env = "ATTUNE_RELAY_RATE_LIMIT_BURST", value_name = "N")];
        /// Requests per second by which a client's burst allowance refills.
        rate_limit_per_second: u32 = 50,
            Positive rate_limit_per_second: u32,
            #[arg(env = "ATTUNE_RELAY_RATE_LIMIT_PER_SECOND", value_name = "N")];
        /// Challenge, session and pairing-post requests one client address may send in a burst.
        auth_rate_limit_burst: u32 = 100,
            Positive auth_rate_limit_burst: u32,
            #[arg(env = "ATTUNE_RELAY_AUTH_RATE_LIMIT_BURST", value_name = "N")];
        /// Requests per second by which that stricter allowance refills.
        auth_rate_limit_per_second: u32 = 10,
            Positive auth_rate_limit_per_second: u32,
            #[arg(env = "ATTUNE_RELAY_AUTH_RATE_LIMIT_PER_SECOND", value_name = "N")];
        /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the real client.
        trusted_proxies: Vec<IpAddr> = Vec::new(),
            Plain trusted_proxies: Vec<IpAddr>,
            #[arg(env = "ATTUNE_RELAY_TRUSTED_PROXIES", value_name = "IP,…", value_delimiter = ',')];
        /// Seconds between pings on a quiet WebSocket.
        ws_ping_interval: Duration = Duration::from_secs(30),
            Seconds ws_ping_interval_secs: u64,
            #[arg(env = "ATTUNE_RELAY_WS_PING_INTERVAL_SECS", value_name = "SECS")];
        /// Seconds of silence (no frame, no pong) after which a WebSocket is closed.
        ws_idle_timeout: Duration = Duration::from_secs(90),
            Seconds ws_idle_timeout_secs: u64,
            #[arg(env = "ATTUNE_RELAY_WS_IDLE_TIMEOUT_SECS", value_name = "SECS")];
        /// Seconds a WebSocket client may take to accept a frame before it is disconnected.
        ws_send_timeout: Duration = Duration::from_secs(30),
            Seconds ws_send_timeout_secs: u64,
            #[arg(env = "ATTUNE_RELAY_WS_SEND_TIMEOUT_SECS", value_name = "SECS")];
        /// Seconds a device-pairing code stays usable.
        pairing_ttl: Duration = crate::pairing::PAIRING_TTL,
            Seconds pairing_ttl_secs: u64,
            #[arg(env = "ATTUNE_RELAY_PAIRING_TTL_SECS", value_name = "SECS")];
        /// Most pairing rendezvous one client address may have open at once, across instances (more: 429).
        max_pairings_per_ip: usize = 8,
            Positive max_pairings_per_ip: usize,
            #[arg(env = "ATTUNE_RELAY_MAX_PAIRINGS_PER_IP", value_name = "N")];
    }
}
