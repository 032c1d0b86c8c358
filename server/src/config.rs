//! The relay's limits and timings.
//!
//! Where the values come from (flags, environment, a TOML file) is
//! [`crate::settings`]; this is what a running relay uses.

use std::net::IpAddr;
use std::time::Duration;

/// Everything tunable about a running relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest encoded envelope accepted, in bytes.
    pub max_envelope_bytes: usize,
    /// Largest request body (and WebSocket message) accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest snapshot (the whole sealed journal) accepted, in bytes; one is kept per journal.
    pub max_snapshot_bytes: usize,
    /// Bytes of envelopes a journal may store.
    pub journal_quota_bytes: u64,
    /// Longest time a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// How long a challenge may be answered.
    pub challenge_ttl: Duration,
    /// How long a session token is valid.
    pub session_ttl: Duration,
    /// Most outstanding challenges (bounds memory).
    pub max_challenges: usize,
    /// Most live sessions (bounds memory).
    pub max_sessions: usize,
    /// Most live WebSocket connections per journal.
    pub max_connections_per_journal: usize,
    /// Most live WebSocket connections from one client IP address.
    pub max_connections_per_ip: usize,
    /// Most requests to unauthenticated endpoints (challenge, session,
    /// pairing messages) in progress at once, across all clients.
    pub max_unauthenticated: usize,
    /// Requests one client IP may send in a burst (health, readiness and metrics are exempt).
    pub rate_limit_burst: u32,
    /// Requests per second by which a client IP's burst allowance refills.
    pub rate_limit_per_second: u32,
    /// Challenge, session and pairing-post requests one client IP may send in a burst.
    pub auth_rate_limit_burst: u32,
    /// Per second refill of the unauthenticated-endpoint allowance.
    pub auth_rate_limit_per_second: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (empty: trust none).
    pub trusted_proxies: Vec<IpAddr>,
    /// How often the relay pings an idle WebSocket.
    pub ws_ping_interval: Duration,
    /// A WebSocket silent for this long (no frame, no pong) is closed.
    pub ws_idle_timeout: Duration,
    /// A WebSocket client that does not take a frame within this time is disconnected.
    pub ws_send_timeout: Duration,
    /// How long a pairing code (rendezvous) stays usable.
    pub pairing_ttl: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_envelope_bytes: 256 * 1024,
            max_body_bytes: 1024 * 1024,
            max_snapshot_bytes: 64 * 1024 * 1024,
            journal_quota_bytes: 256 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            challenge_ttl: Duration::from_secs(60),
            session_ttl: Duration::from_secs(3600),
            max_challenges: 100_000,
            max_sessions: 100_000,
            max_connections_per_journal: 64,
            max_connections_per_ip: 64,
            max_unauthenticated: 256,
            // Generous: a household behind one NAT syncing several devices,
            // and two devices polling a pairing rendezvous, stay far below.
            rate_limit_burst: 300,
            rate_limit_per_second: 50,
            auth_rate_limit_burst: 100,
            auth_rate_limit_per_second: 10,
            trusted_proxies: Vec::new(),
            ws_ping_interval: Duration::from_secs(30),
            ws_idle_timeout: Duration::from_secs(90),
            ws_send_timeout: Duration::from_secs(30),
            pairing_ttl: crate::pairing::PAIRING_TTL,
        }
    }
}

/// Default number of envelopes in a pull page.
pub const PULL_PAGE_DEFAULT: u32 = 500;
/// Largest pull page.
pub const PULL_PAGE_MAX: u32 = 1000;
