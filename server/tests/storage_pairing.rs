//! Storage checks of pairing rendezvous, on every backend: messages flow
//! between the sides within their limits; only the cancel token closes;
//! expired rendezvous are refused and swept; the global and per-address caps
//! hold; nameplates are random and a taken one is skipped. On PostgreSQL, two
//! instances sharing the database see the same rendezvous.

mod common;

use std::sync::Arc;

use attune_proto::JournalId;
use attune_relay::pairing::{
    cancel_commitment, random_nameplates, PairingError, Side, MAX_MESSAGES_PER_SIDE, MAX_NAMEPLATE,
};
use attune_relay::storage::postgres::PostgresStorage;
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::storage::{OpenPairing, PairingMail, PairingStore, Storage};
use common::pg::{self, PgSchema};

const NOW: u64 = 1_800_000_000;
const TOKEN: [u8; 32] = [0x42; 32];

fn request(opener: &str, candidates: Vec<u32>) -> OpenPairing {
    OpenPairing {
        journal: JournalId([1; 16]),
        opener: opener.into(),
        cancel_commitment: cancel_commitment(&TOKEN),
        expires_unix: NOW + 300,
        candidates,
        max_open: 1024,
        max_per_opener: 8,
    }
}

async fn open(s: &dyn Storage, open: &OpenPairing) -> Result<u32, PairingError> {
    s.open_pairing(open, NOW).await.unwrap()
}

async fn read(s: &dyn Storage, n: u32, reader: Side, after: usize) -> PairingMail {
    s.read_pairing(n, reader, after, NOW)
        .await
        .unwrap()
        .unwrap()
}

/// Messages flow between the sides, in order, within the size of each side's allowance.
async fn messages_flow_between_sides(s: &dyn Storage) {
    let n = open(s, &request("192.0.2.1", vec![4711])).await.unwrap();
    assert_eq!(n, 4711);
    s.post_pairing(n, Side::Existing, b"a1", NOW)
        .await
        .unwrap()
        .unwrap();
    s.post_pairing(n, Side::New, b"b1", NOW)
        .await
        .unwrap()
        .unwrap();
    s.post_pairing(n, Side::Existing, b"a2", NOW)
        .await
        .unwrap()
        .unwrap();
    let mail = read(s, n, Side::New, 0).await;
    assert_eq!(mail.messages, vec![b"a1".to_vec(), b"a2".to_vec()]);
    assert!(!mail.closed);
    assert_eq!(
        read(s, n, Side::New, 1).await.messages,
        vec![b"a2".to_vec()]
    );
    assert_eq!(
        read(s, n, Side::Existing, 0).await.messages,
        vec![b"b1".to_vec()]
    );
    assert!(read(s, n, Side::Existing, usize::MAX)
        .await
        .messages
        .is_empty());
    for _ in 1..MAX_MESSAGES_PER_SIDE {
        s.post_pairing(n, Side::New, b"x", NOW)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        s.post_pairing(n, Side::New, b"x", NOW).await.unwrap(),
        Err(PairingError::TooManyMessages)
    );
    assert_eq!(
        s.post_pairing(999_999, Side::New, b"?", NOW).await.unwrap(),
        Err(PairingError::Unknown)
    );
    assert_eq!(
        s.read_pairing(999_999, Side::New, 0, NOW).await.unwrap(),
        Err(PairingError::Unknown)
    );
}

/// Only the token behind the commitment closes; then posts are refused and messages stay readable.
async fn only_the_cancel_token_closes(s: &dyn Storage) {
    let n = open(s, &request("192.0.2.1", vec![17])).await.unwrap();
    s.post_pairing(n, Side::Existing, b"ticket", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.close_pairing(n, &[0x43; 32], NOW).await.unwrap(),
        Err(PairingError::CancelRefused)
    );
    // The commitment itself is not the token.
    assert_eq!(
        s.close_pairing(n, &cancel_commitment(&TOKEN), NOW)
            .await
            .unwrap(),
        Err(PairingError::CancelRefused)
    );
    assert!(!read(s, n, Side::New, 0).await.closed);
    s.post_pairing(n, Side::New, b"still open", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.close_pairing(18, &TOKEN, NOW).await.unwrap(),
        Err(PairingError::Unknown)
    );

    s.close_pairing(n, &TOKEN, NOW).await.unwrap().unwrap();
    let mail = read(s, n, Side::New, 0).await;
    assert!(mail.closed);
    assert_eq!(mail.messages, vec![b"ticket".to_vec()]);
    assert_eq!(
        s.post_pairing(n, Side::Existing, b"late", NOW)
            .await
            .unwrap(),
        Err(PairingError::Closed)
    );
    // Closing again (the other device) is fine.
    s.close_pairing(n, &TOKEN, NOW).await.unwrap().unwrap();
}

/// A rendezvous past its expiry is refused, then swept (by a sweep, or by the next open).
async fn expired_rendezvous_are_refused_and_swept(s: &dyn Storage) {
    let n = open(s, &request("192.0.2.1", vec![5])).await.unwrap();
    s.post_pairing(n, Side::Existing, b"a", NOW)
        .await
        .unwrap()
        .unwrap();
    let later = NOW + 300;
    assert_eq!(
        s.post_pairing(n, Side::New, b"late", later).await.unwrap(),
        Err(PairingError::Expired)
    );
    assert_eq!(
        s.read_pairing(n, Side::New, 0, later).await.unwrap(),
        Err(PairingError::Expired)
    );
    assert_eq!(
        s.close_pairing(n, &TOKEN, later).await.unwrap(),
        Err(PairingError::Expired)
    );
    assert_eq!(s.sweep_pairings(later - 1).await.unwrap(), 0);
    assert_eq!(s.sweep_pairings(later).await.unwrap(), 1);
    assert_eq!(
        s.read_pairing(n, Side::New, 0, later).await.unwrap(),
        Err(PairingError::Unknown)
    );
    // The number is free again, with no messages left from before.
    let m = open(s, &request("192.0.2.1", vec![5])).await.unwrap();
    assert_eq!(m, 5);
    assert!(read(s, m, Side::New, 0).await.messages.is_empty());

    // An open sweeps by itself: with a cap of one, the expired one makes room.
    let cap_one = OpenPairing {
        max_open: 2,
        expires_unix: later + 300,
        ..request("192.0.2.9", vec![6])
    };
    assert_eq!(s.open_pairing(&cap_one, later).await.unwrap(), Ok(6));
    assert_eq!(
        s.read_pairing(5, Side::New, 0, later).await.unwrap(),
        Err(PairingError::Unknown)
    );
}

/// At most `max_per_opener` per address and `max_open` in all.
async fn caps_per_address_and_in_all(s: &dyn Storage) {
    let capped = |opener: &str, n: u32| OpenPairing {
        max_per_opener: 2,
        max_open: 4,
        ..request(opener, vec![n])
    };
    assert_eq!(open(s, &capped("192.0.2.1", 1)).await, Ok(1));
    assert_eq!(open(s, &capped("192.0.2.1", 2)).await, Ok(2));
    assert_eq!(
        open(s, &capped("192.0.2.1", 3)).await,
        Err(PairingError::TooManyFromAddress)
    );
    // Another address has its own allowance…
    assert_eq!(open(s, &capped("2001:db8::", 3)).await, Ok(3));
    assert_eq!(open(s, &capped("198.51.100.7", 4)).await, Ok(4));
    // …until the relay is full.
    assert_eq!(
        open(s, &capped("198.51.100.8", 5)).await,
        Err(PairingError::Full)
    );
    // Expired ones do not count.
    let later = capped("192.0.2.1", 6);
    assert_eq!(s.open_pairing(&later, NOW + 300).await.unwrap(), Ok(6));
}

/// Random candidates give scattered numbers; a taken one is skipped; all taken is `Full`.
async fn nameplates_are_random_and_collisions_retried(s: &dyn Storage) {
    let mut opened = Vec::new();
    for _ in 0..20 {
        let req = OpenPairing {
            max_per_opener: 100,
            ..request("192.0.2.1", random_nameplates(16).unwrap())
        };
        opened.push(open(s, &req).await.unwrap());
    }
    assert!(opened.iter().all(|n| (1..=MAX_NAMEPLATE).contains(n)));
    let mut sorted = opened.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 20, "every rendezvous has its own number");
    let consecutive = opened.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert!(consecutive < 3, "not a counter: {opened:?}");
    assert!(sorted[19] - sorted[0] > 1000, "spread out: {opened:?}");

    let taken = opened[0];
    assert_eq!(open(s, &request("192.0.2.2", vec![taken, 7])).await, Ok(7));
    assert_eq!(
        open(s, &request("192.0.2.2", vec![taken, 7])).await,
        Err(PairingError::Full)
    );
}

macro_rules! suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test]
                    async fn $name() {
                        let Some((storage, _guard)) = $make.await else {
                            return;
                        };
                        super::$name(storage.as_ref()).await;
                        storage.close().await;
                    }
                };
            }
            case!(messages_flow_between_sides);
            case!(only_the_cancel_token_closes);
            case!(expired_rendezvous_are_refused_and_swept);
            case!(caps_per_address_and_in_all);
            case!(nameplates_are_random_and_collisions_retried);
        }
    };
}

async fn sqlite() -> Option<(Arc<dyn Storage>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path()).await.unwrap();
    Some((Arc::new(storage), dir))
}

async fn postgres() -> Option<(Arc<dyn Storage>, PgSchema)> {
    let schema = pg::schema().await?;
    let storage = PostgresStorage::connect_with(schema.options())
        .await
        .unwrap();
    Some((Arc::new(storage), schema))
}

suite!(sqlite_backend, sqlite());
suite!(postgres_backend, postgres());

/// Opened through one instance, used and closed through another; the per-address
/// cap counts what both instances opened.
#[tokio::test]
async fn postgres_rendezvous_is_shared_between_instances() {
    let Some(schema) = pg::schema().await else {
        return;
    };
    let a = PostgresStorage::connect_with(schema.options())
        .await
        .unwrap();
    let b = PostgresStorage::connect_with(schema.options())
        .await
        .unwrap();
    let capped = |n: u32| OpenPairing {
        max_per_opener: 2,
        ..request("192.0.2.1", vec![n])
    };
    let n = open(&a, &capped(100)).await.unwrap();
    b.post_pairing(n, Side::New, b"from b", NOW)
        .await
        .unwrap()
        .unwrap();
    a.post_pairing(n, Side::Existing, b"from a", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read(&a, n, Side::Existing, 0).await.messages,
        vec![b"from b".to_vec()]
    );
    assert_eq!(
        read(&b, n, Side::New, 0).await.messages,
        vec![b"from a".to_vec()]
    );
    assert_eq!(open(&b, &capped(101)).await, Ok(101));
    assert_eq!(
        open(&a, &capped(102)).await,
        Err(PairingError::TooManyFromAddress)
    );
    assert_eq!(
        b.close_pairing(n, &[0; 32], NOW).await.unwrap(),
        Err(PairingError::CancelRefused)
    );
    b.close_pairing(n, &TOKEN, NOW).await.unwrap().unwrap();
    assert!(read(&a, n, Side::New, 0).await.closed);
    a.close().await;
    b.close().await;
}
