//! The pairing rendezvous: short-lived, bounded, in-memory mailboxes through
//! which two devices run a PAKE. The relay only stores and hands over opaque
//! messages; it cannot learn the pairing code or the keys exchanged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use attune_proto::JournalId;

use crate::time::now_unix;

/// Which device posts or reads (the `{side}` segment of the pairing path).
pub use attune_proto::routes::PairingSide as Side;

/// How long a pairing code stays usable.
pub const PAIRING_TTL: Duration = Duration::from_secs(300);
/// Largest message a side may post.
pub const MAX_PAIRING_MESSAGE: usize = 4096;
/// Messages each side may post to one rendezvous.
pub const MAX_MESSAGES_PER_SIDE: usize = 4;
/// Open rendezvous at once, across all journals.
pub const MAX_OPEN: usize = 1024;

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
}

struct Mailbox {
    journal: JournalId,
    expires: Instant,
    existing: Vec<Vec<u8>>,
    new: Vec<Vec<u8>>,
    closed: bool,
}

/// All open rendezvous of this relay process.
pub struct Rendezvous {
    open: Mutex<HashMap<u32, Mailbox>>,
    ttl: Duration,
}

impl Default for Rendezvous {
    fn default() -> Self {
        Rendezvous::new(PAIRING_TTL)
    }
}

impl Rendezvous {
    /// Rendezvous that stay open for `ttl`.
    pub fn new(ttl: Duration) -> Rendezvous {
        Rendezvous {
            open: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Mailbox>> {
        // A panic while holding the lock cannot leave a mailbox half-written
        // in a way that matters: recover the map.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Open a rendezvous for `journal`; returns its number and expiry (Unix seconds).
    pub fn allocate(&self, journal: JournalId) -> Result<(u32, u64), PairingError> {
        let mut open = self.lock();
        let now = Instant::now();
        open.retain(|_, m| m.expires > now);
        if open.len() >= MAX_OPEN {
            return Err(PairingError::Full);
        }
        // Small numbers keep codes short; the secret is in the words.
        let nameplate = (1..).find(|n| !open.contains_key(n)).unwrap_or(u32::MAX);
        open.insert(
            nameplate,
            Mailbox {
                journal,
                expires: now + self.ttl,
                existing: Vec::new(),
                new: Vec::new(),
                closed: false,
            },
        );
        Ok((nameplate, now_unix() + self.ttl.as_secs()))
    }

    fn with_open<T>(
        &self,
        nameplate: u32,
        f: impl FnOnce(&mut Mailbox) -> Result<T, PairingError>,
    ) -> Result<T, PairingError> {
        let mut open = self.lock();
        let mailbox = open.get_mut(&nameplate).ok_or(PairingError::Unknown)?;
        if mailbox.expires <= Instant::now() {
            open.remove(&nameplate);
            return Err(PairingError::Expired);
        }
        f(mailbox)
    }

    /// Post a message from `side`.
    pub fn post(&self, nameplate: u32, side: Side, message: Vec<u8>) -> Result<(), PairingError> {
        if message.len() > MAX_PAIRING_MESSAGE {
            return Err(PairingError::TooLarge);
        }
        self.with_open(nameplate, |m| {
            if m.closed {
                return Err(PairingError::Closed);
            }
            let list = match side {
                Side::Existing => &mut m.existing,
                Side::New => &mut m.new,
            };
            if list.len() >= MAX_MESSAGES_PER_SIDE {
                return Err(PairingError::TooManyMessages);
            }
            list.push(message);
            Ok(())
        })
    }

    /// The other side's messages after index `after`, and whether the rendezvous is closed.
    pub fn read(
        &self,
        nameplate: u32,
        reader: Side,
        after: usize,
    ) -> Result<(Vec<Vec<u8>>, bool), PairingError> {
        self.with_open(nameplate, |m| {
            let list = match reader {
                Side::Existing => &m.new,
                Side::New => &m.existing,
            };
            Ok((list.iter().skip(after).cloned().collect(), m.closed))
        })
    }

    /// Close a rendezvous (either side; after success or failure). Messages stay readable until it expires.
    pub fn close(&self, nameplate: u32) -> Result<(), PairingError> {
        self.with_open(nameplate, |m| {
            m.closed = true;
            Ok(())
        })
    }

    /// The journal a rendezvous belongs to (for logs).
    pub fn journal_of(&self, nameplate: u32) -> Option<JournalId> {
        self.lock().get(&nameplate).map(|m| m.journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_flow_between_sides_and_limits_hold() {
        let r = Rendezvous::default();
        let (n, _) = r.allocate(JournalId([1; 16])).unwrap();
        let (n2, _) = r.allocate(JournalId([1; 16])).unwrap();
        assert_ne!(n, n2);
        r.post(n, Side::Existing, b"a1".to_vec()).unwrap();
        r.post(n, Side::New, b"b1".to_vec()).unwrap();
        assert_eq!(r.read(n, Side::New, 0).unwrap().0, vec![b"a1".to_vec()]);
        assert_eq!(
            r.read(n, Side::Existing, 0).unwrap().0,
            vec![b"b1".to_vec()]
        );
        assert!(r.read(n, Side::Existing, 1).unwrap().0.is_empty());
        assert_eq!(
            r.post(n, Side::New, vec![0; MAX_PAIRING_MESSAGE + 1]),
            Err(PairingError::TooLarge)
        );
        for _ in 1..MAX_MESSAGES_PER_SIDE {
            r.post(n, Side::New, b"x".to_vec()).unwrap();
        }
        assert_eq!(
            r.post(n, Side::New, b"x".to_vec()),
            Err(PairingError::TooManyMessages)
        );
        r.close(n).unwrap();
        assert_eq!(
            r.post(n, Side::Existing, b"late".to_vec()),
            Err(PairingError::Closed)
        );
        assert!(r.read(n, Side::New, 0).unwrap().1);
        assert_eq!(
            r.post(999, Side::New, b"?".to_vec()),
            Err(PairingError::Unknown)
        );
    }

    #[test]
    fn expired_rendezvous_are_refused() {
        let r = Rendezvous::default();
        let (n, _) = r.allocate(JournalId([1; 16])).unwrap();
        if let Some(m) = r.lock().get_mut(&n) {
            m.expires = Instant::now() - Duration::from_secs(1);
        }
        assert_eq!(
            r.post(n, Side::New, b"late".to_vec()),
            Err(PairingError::Expired)
        );
        assert_eq!(r.read(n, Side::New, 0), Err(PairingError::Unknown));
    }
}
