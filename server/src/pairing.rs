//! The pairing rendezvous: short-lived, bounded mailboxes through which two
//! devices run a PAKE. The relay only stores and hands over opaque messages;
//! it cannot learn the pairing code or the keys exchanged.
//!
//! Rendezvous live in the database ([`crate::storage::PairingStore`]), so the
//! two devices may reach different relay instances sharing it. This module
//! holds what is decided before storage is asked: the limits, random
//! nameplates, the cancel proof, and the per-address allowance of lookups of
//! numbers that do not exist (so that open rendezvous cannot be found by
//! walking the numbers).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Which device posts or reads (the `{side}` segment of the pairing path).
pub use attune_proto::routes::PairingSide as Side;

/// How long a pairing code stays usable.
pub const PAIRING_TTL: Duration = Duration::from_secs(300);
/// Largest message a side may post.
pub const MAX_PAIRING_MESSAGE: usize = 4096;
/// Messages each side may post to one rendezvous.
pub const MAX_MESSAGES_PER_SIDE: usize = 4;
/// Open rendezvous at once, across all journals and instances (expired ones aside).
pub const MAX_OPEN: usize = 1024;
/// The largest nameplate: six digits at most, so the code stays easy to say.
pub const MAX_NAMEPLATE: u32 = 999_999;
/// Random nameplates tried before giving up on a (nearly) full number space.
pub const NAMEPLATE_TRIES: usize = 16;
/// Lookups of numbers with no rendezvous one client address may make per window.
pub const LOOKUP_MISSES: u32 = 10;
/// The window of [`LOOKUP_MISSES`].
pub const LOOKUP_WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered for the lookup allowance before idle ones are dropped.
const LOOKUP_TABLE_SWEEP_AT: usize = 10_000;

/// Why a rendezvous operation was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    /// No rendezvous with that number.
    #[error("there is no pairing with that number; check the code, or start again")]
    Unknown,
    /// The code's time ran out.
    #[error("this pairing code has expired; start again with a new one")]
    Expired,
    /// A side closed the rendezvous.
    #[error("this pairing was closed by one of the devices; start again with a new code")]
    Closed,
    /// A side posted more than it ever needs to.
    #[error("too many messages for this pairing")]
    TooManyMessages,
    /// A message is larger than any the protocol sends.
    #[error("pairing messages are at most {MAX_PAIRING_MESSAGE} bytes")]
    TooLarge,
    /// Too many pairings are open right now.
    #[error("too many pairings are in progress on this relay; try again in a few minutes")]
    Full,
    /// The cancel token does not match the rendezvous' commitment.
    #[error("only the two devices of a pairing can close it (the cancel token does not match)")]
    CancelRefused,
    /// The opener's address has its allowance of open rendezvous.
    #[error("this address has too many pairings open; finish one or wait until it expires")]
    TooManyFromAddress,
    /// The address looked up too many numbers that do not exist.
    #[error("too many pairing numbers that do not exist were asked for from this address; wait a minute")]
    TooManyLookups,
}

/// The commitment to a cancel token, as the opener sends it and the relay stores it.
pub fn cancel_commitment(token: &[u8; 32]) -> [u8; 32] {
    blake3::derive_key(attune_proto::PAIRING_CANCEL_CONTEXT, token)
}

/// Whether `token` opens the stored `commitment`, compared in constant time
/// (`blake3::Hash` equality), so the time taken tells nothing about how close a guess was.
pub fn proves(commitment: &[u8], token: &[u8; 32]) -> bool {
    let Ok(stored) = <[u8; 32]>::try_from(commitment) else {
        return false;
    };
    blake3::Hash::from(stored) == blake3::Hash::from(cancel_commitment(token))
}

/// `count` random nameplates in `1..=MAX_NAMEPLATE`, to try in order.
pub fn random_nameplates(count: usize) -> Result<Vec<u32>, getrandom::Error> {
    let mut bytes = vec![0u8; count * 8];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            // 64 random bits reduced to under a million: the bias is below 2^-40.
            let n = u64::from_le_bytes(word) % u64::from(MAX_NAMEPLATE);
            u32::try_from(n).unwrap_or(0) + 1
        })
        .collect())
}

/// The pairing settings of a relay, and the per-address allowance of lookups
/// that found no rendezvous (kept in this instance's memory: behind a load
/// balancer each instance counts its own).
pub struct Pairing {
    /// How long a rendezvous stays open.
    pub ttl: Duration,
    /// Open rendezvous per client address.
    pub max_per_client: usize,
    misses: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Pairing {
    /// Rendezvous open for `ttl`, at most `max_per_client` per client address.
    pub fn new(ttl: Duration, max_per_client: usize) -> Pairing {
        Pairing {
            ttl,
            max_per_client,
            misses: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses a client that used up its lookups of numbers that do not exist,
    /// BEFORE the lookup: a refusal must not depend on whether the number exists.
    pub fn check_lookups(&self, client: IpAddr) -> Result<(), PairingError> {
        let now = Instant::now();
        let misses = self.misses.lock().unwrap_or_else(PoisonError::into_inner);
        match misses.get(&client) {
            Some((since, count))
                if now.duration_since(*since) < LOOKUP_WINDOW && *count >= LOOKUP_MISSES =>
            {
                Err(PairingError::TooManyLookups)
            }
            _ => Ok(()),
        }
    }

    /// Counts a lookup by `client` that found no rendezvous.
    pub fn missed(&self, client: IpAddr) {
        let now = Instant::now();
        let mut misses = self.misses.lock().unwrap_or_else(PoisonError::into_inner);
        if misses.len() >= LOOKUP_TABLE_SWEEP_AT {
            misses.retain(|_, (since, _)| now.duration_since(*since) < LOOKUP_WINDOW);
        }
        let entry = misses.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= LOOKUP_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

impl Default for Pairing {
    fn default() -> Self {
        Pairing::new(PAIRING_TTL, 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameplates_are_random_short_and_in_range() {
        let plates = random_nameplates(1000).unwrap();
        assert!(plates.iter().all(|n| (1..=MAX_NAMEPLATE).contains(n)));
        assert!(plates.iter().all(|n| n.to_string().len() <= 6));
        // Not a counter: neighbours are rarely consecutive, and values spread out.
        let consecutive = plates.windows(2).filter(|w| w[1] == w[0] + 1).count();
        assert!(consecutive < 5, "{consecutive} consecutive pairs");
        assert!(plates.iter().filter(|n| **n > 100_000).count() > 800);
    }

    #[test]
    fn only_the_committed_token_proves() {
        let token = [7u8; 32];
        let commitment = cancel_commitment(&token);
        assert!(proves(&commitment, &token));
        assert!(!proves(&commitment, &[8u8; 32]));
        assert!(!proves(&commitment[..31], &token));
        assert_ne!(commitment, token);
    }

    #[test]
    fn lookups_of_unknown_numbers_are_limited_per_address() {
        let pairing = Pairing::default();
        let (a, b): (IpAddr, IpAddr) = ([192, 0, 2, 1].into(), [192, 0, 2, 2].into());
        for _ in 0..LOOKUP_MISSES {
            assert_eq!(pairing.check_lookups(a), Ok(()));
            pairing.missed(a);
        }
        assert_eq!(pairing.check_lookups(a), Err(PairingError::TooManyLookups));
        assert_eq!(pairing.check_lookups(b), Ok(()));
    }
}
