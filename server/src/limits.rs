//! Refusals under load: per-client rate limits and connection caps.
//!
//! - Every API request counts against its client's allowance (a token bucket
//!   of `rate_limit_burst` refilled at `rate_limit_per_second`); challenge,
//!   session and pairing posts also count against a stricter one. Over it:
//!   `429 rate_limited` with `Retry-After`. Health, readiness and metrics are
//!   exempt so that monitoring never sees a refusal.
//! - At most `max_unauthenticated` unauthenticated requests are in progress at
//!   once (a slow client holding one open cannot starve the relay of memory):
//!   over it, `503 too_many_unauthenticated`.
//! - At most `max_connections_per_ip` live WebSockets per client:
//!   over it, `429 too_many_connections_from_ip`.
//! - At most `max_journals_per_hour` new journals per client, and with
//!   `require_invite` only with an invite ([`JournalCreation`]).
//!
//! A client is its peer address, or, when the peer is one of
//! `trusted_proxies`, the address its `X-Forwarded-For` names. IPv6 clients
//! are grouped by /64 network (one subscriber's usual allocation), so that a
//! client cannot escape its limits, or grow the relay's tables, by rotating
//! through the addresses of its own network. Requests that arrive without a
//! peer address (in-process callers, tests) share one allowance.

mod creation;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use attune_proto::ErrorCode;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::config::Config;
use crate::error::ApiError;
pub use creation::{JournalCreation, INVITE_HEADER};

/// How often idle rate-limit entries are dropped (bounds the tables' memory).
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// The key of requests that arrive without a peer address.
const NO_PEER: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// A per-client token bucket, as `tower_governor` keeps it.
type RateLimit = GovernorConfig<ClientKey, NoOpMiddleware>;

/// Live connections per client.
type LiveCounts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// The layer that applies one per-client rate limit to routes.
pub type RateLimitLayer = GovernorLayer<ClientKey, NoOpMiddleware, Body>;

/// The relay's rate limits and connection caps, shared by every request.
pub struct Limits {
    general: Arc<RateLimit>,
    auth: Arc<RateLimit>,
    unauthenticated: Arc<Semaphore>,
    live: LiveCounts,
    max_live_per_client: usize,
    trusted_proxies: Arc<[IpAddr]>,
    creation: Arc<JournalCreation>,
}

impl Limits {
    /// The limits of `config` (zero burst or rate are taken as one).
    pub fn new(config: &Config) -> Self {
        let trusted_proxies: Arc<[IpAddr]> = config
            .trusted_proxies
            .iter()
            .copied()
            .map(canonical)
            .collect();
        let key = ClientKey {
            trusted_proxies: trusted_proxies.clone(),
        };
        Limits {
            general: Arc::new(rate_limit(
                key.clone(),
                config.rate_limit_burst,
                config.rate_limit_per_second,
            )),
            auth: Arc::new(rate_limit(
                key,
                config.auth_rate_limit_burst,
                config.auth_rate_limit_per_second,
            )),
            unauthenticated: Arc::new(Semaphore::new(
                config.max_unauthenticated.min(Semaphore::MAX_PERMITS),
            )),
            live: Arc::new(Mutex::new(HashMap::new())),
            max_live_per_client: config.max_connections_per_ip,
            trusted_proxies,
            creation: Arc::new(JournalCreation::new(config)),
        }
    }

    /// The per-client rate limit of every API request.
    pub fn rate_limit(&self) -> RateLimitLayer {
        GovernorLayer::new(self.general.clone()).error_handler(rate_limited)
    }

    /// The stricter per-client rate limit of the unauthenticated endpoints.
    pub fn auth_rate_limit(&self) -> RateLimitLayer {
        GovernorLayer::new(self.auth.clone()).error_handler(rate_limited)
    }

    /// Every [`SWEEP_INTERVAL`], drops the buckets of clients that have been
    /// quiet long enough to be full again. The caller owns (and aborts) the task.
    pub fn spawn_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let limits = [self.general.clone(), self.auth.clone()];
        let creation = self.creation.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_INTERVAL);
            loop {
                every.tick().await;
                for limit in &limits {
                    limit.limiter().retain_recent();
                    limit.limiter().shrink_to_fit();
                }
                creation.sweep();
            }
        })
    }

    /// Takes one of the `max_unauthenticated` slots (held until the permit is dropped), or refuses.
    pub fn unauthenticated_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.unauthenticated
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                ApiError::unavailable(
                    ErrorCode::TooManyUnauthenticated,
                    "the relay is busy with too many unauthenticated requests; try again in a moment",
                )
            })
    }

    /// Counts a new live connection of `client`, or refuses when it has too many.
    pub fn admit_live(&self, client: Option<IpAddr>) -> Result<LiveSlot, ApiError> {
        let Some(client) = client else {
            return Ok(LiveSlot(None));
        };
        let mut live = lock(&self.live);
        let count = live.entry(client).or_insert(0);
        if *count >= self.max_live_per_client {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyConnectionsFromIp,
                "too many live connections from this address; close one or use pull",
            ));
        }
        *count += 1;
        Ok(LiveSlot(Some((self.live.clone(), client))))
    }

    /// Who may create journals, and how many.
    pub fn journal_creation(&self) -> &JournalCreation {
        &self.creation
    }

    /// The client of a request as its limits key it (requests without a peer
    /// address share one key).
    pub fn client_key_of(&self, headers: &HeaderMap, extensions: &Extensions) -> IpAddr {
        self.client_of(headers, extensions).unwrap_or(NO_PEER)
    }

    /// The client of a request (None without a peer address).
    pub fn client_of(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<IpAddr> {
        client_key(headers, extensions, &self.trusted_proxies)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding this lock; a poisoned map is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn rate_limit(key: ClientKey, burst: u32, per_second: u32) -> RateLimit {
    let period = Duration::from_nanos((1_000_000_000 / u64::from(per_second.max(1))).max(1));
    GovernorConfigBuilder::default()
        .key_extractor(key)
        .period(period)
        .burst_size(burst.max(1))
        .finish()
        .expect("burst and period are clamped to non-zero, the only values finish refuses")
}

/// The refusal of a request over its client's rate.
fn rate_limited(error: GovernorError) -> Response<Body> {
    let wait = match error {
        GovernorError::TooManyRequests { wait_time, .. } => wait_time,
        // ClientKey never fails; any other error still refuses politely.
        GovernorError::UnableToExtractKey | GovernorError::Other { .. } => 1,
    }
    .max(1);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("too many requests from this address; retry in {wait} s"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    response
}

/// A live connection counted against its client, released when dropped.
pub struct LiveSlot(Option<(LiveCounts, IpAddr)>);

impl Drop for LiveSlot {
    fn drop(&mut self) {
        if let Some((live, client)) = self.0.take() {
            let mut live = lock(&live);
            if let Some(count) = live.get_mut(&client) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    live.remove(&client);
                }
            }
        }
    }
}

/// Keys rate limits by client (see the module documentation).
#[derive(Clone, Debug)]
pub struct ClientKey {
    trusted_proxies: Arc<[IpAddr]>,
}

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(client_key(
            request.headers(),
            request.extensions(),
            &self.trusted_proxies,
        )
        .unwrap_or(NO_PEER))
    }
}

/// The peer, or the client a trusted proxy forwarded for; IPv6 as its /64.
fn client_key(
    headers: &HeaderMap,
    extensions: &Extensions,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = canonical(extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip());
    Some(group(forwarded_client(headers, peer, trusted_proxies)))
}

/// Walks `X-Forwarded-For` from the right while the hop is a trusted proxy:
/// the first untrusted address is the client (entries left of it are the
/// client's own claims and cannot be trusted).
fn forwarded_client(headers: &HeaderMap, peer: IpAddr, trusted_proxies: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        .flat_map(|value| value.to_str().unwrap_or("").rsplit(','));
    for hop in hops {
        if !trusted_proxies.contains(&client) {
            break;
        }
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => client = canonical(ip),
            // An unreadable hop: the last trusted proxy is as far as we can see.
            Err(_) => break,
        }
    }
    client
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// IPv6 addresses as their /64 network.
fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> (HeaderMap, Extensions) {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        (headers, extensions)
    }

    fn client(peer: &str, forwarded: &[&str], trusted: &[&str]) -> Option<IpAddr> {
        let (headers, extensions) = request(peer, forwarded);
        let trusted: Vec<IpAddr> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        client_key(&headers, &extensions, &trusted)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        assert_eq!(
            client("203.0.113.7:5000", &["10.0.0.1"], &[]),
            ip("203.0.113.7")
        );
        assert_eq!(
            client("127.0.0.1:5000", &["198.51.100.2"], &["127.0.0.1"]),
            ip("198.51.100.2")
        );
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(
            client("127.0.0.1:5000", &[], &["127.0.0.1"]),
            ip("127.0.0.1")
        );
        assert_eq!(client_key(&HeaderMap::new(), &Extensions::new(), &[]), None);
    }

    #[test]
    fn forwarded_addresses_left_of_the_first_untrusted_hop_are_ignored() {
        // The client claims 1.1.1.1; the proxy appended the real peer.
        let trusted = ["127.0.0.1", "10.0.0.2"];
        assert_eq!(
            client(
                "127.0.0.1:1",
                &["1.1.1.1, 198.51.100.9, 10.0.0.2"],
                &trusted
            ),
            ip("198.51.100.9")
        );
        assert_eq!(
            client("127.0.0.1:1", &["1.1.1.1", "198.51.100.9"], &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(
            client("127.0.0.1:1", &["garbage"], &trusted),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn ipv6_clients_are_grouped_by_network_and_mapped_ipv4_is_ipv4() {
        assert_eq!(
            client("[2001:db8:1:2:aaaa::1]:1", &[], &[]),
            client("[2001:db8:1:2:bbbb::9]:1", &[], &[])
        );
        assert_ne!(
            client("[2001:db8:1:2::1]:1", &[], &[]),
            client("[2001:db8:1:3::1]:1", &[], &[])
        );
        assert_eq!(client("[::ffff:192.0.2.1]:1", &[], &[]), ip("192.0.2.1"));
    }

    #[test]
    fn live_slots_are_counted_per_client_and_released_on_drop() {
        let limits = Limits::new(&Config {
            max_connections_per_ip: 2,
            ..Config::default()
        });
        let a = ip("192.0.2.1");
        let first = limits.admit_live(a).unwrap();
        let second = limits.admit_live(a).unwrap();
        assert_eq!(
            limits.admit_live(a).err().map(|e| e.code.as_str()),
            Some("too_many_connections_from_ip")
        );
        assert!(limits.admit_live(ip("192.0.2.2")).is_ok());
        assert!(limits.admit_live(None).is_ok());
        drop(first);
        assert!(limits.admit_live(a).is_ok());
        drop(second);
    }
}
