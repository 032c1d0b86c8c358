//! Storage checks of rosters, keys and membership, on every backend: a roster
//! update and its keys are one transaction; keys are insert-only; a device
//! removed from the latest roster cannot push (checked inside the commit), and
//! on PostgreSQL that holds across instances sharing the database, whose
//! listeners also close the removed device's live connections.

mod common;

use std::sync::Arc;
use std::time::Duration;

use attune_proto::*;
use attune_relay::fanout::Hub;
use attune_relay::storage::postgres::PostgresStorage;
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::storage::{PendingPush, PreparedEnvelope, PushRejection, Storage, StorageError};
use common::pg::{self, PgSchema};
use common::{genesis, journal, next_roster, next_roster_same_epoch, wrapped, Device};

fn pending(journal: JournalId, device: &Device, envelopes: Vec<Envelope>) -> PendingPush {
    PendingPush {
        journal,
        device: device.id,
        envelopes: envelopes.into_iter().map(PreparedEnvelope::new).collect(),
        quota_bytes: 1 << 30,
    }
}

/// A roster update and its keys are stored together or not at all.
async fn roster_and_keys_are_one_transaction(s: &dyn Storage) {
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(1);
    let v1 = genesis(j, &[&a, &b], &a);
    s.create_journal(&v1, 1).await.unwrap();
    s.put_wrapped_keys(j, &[wrapped(&b, 1, b"b1")])
        .await
        .unwrap();
    let v2 = next_roster_same_epoch(&v1, &[&a, &b, &c], &a);
    // A key that would replace b's: the roster is not appended, c's key not stored.
    let conflicting = [wrapped(&c, 1, b"c1"), wrapped(&b, 1, b"other")];
    assert!(matches!(
        s.append_roster(&v2, &conflicting).await,
        Err(StorageError::KeyExists { device, epoch: Epoch(1) }) if device == b.id
    ));
    assert_eq!(s.rosters(j).await.unwrap(), vec![v1.clone()]);
    assert!(s.wrapped_keys(j, c.id).await.unwrap().is_empty());
    assert!(!s.is_member(j, c.id).await.unwrap());
    // Identical keys are accepted again; roster and keys land together.
    s.append_roster(&v2, &[wrapped(&c, 1, b"c1"), wrapped(&b, 1, b"b1")])
        .await
        .unwrap();
    assert_eq!(s.latest_roster(j).await.unwrap(), Some(v2.clone()));
    assert_eq!(
        s.wrapped_keys(j, c.id).await.unwrap(),
        vec![wrapped(&c, 1, b"c1")]
    );
    assert!(s.is_member(j, c.id).await.unwrap());
    // A version conflict stores none of the keys either.
    assert!(matches!(
        s.append_roster(&v2, &[wrapped(&a, 1, b"a1")]).await,
        Err(StorageError::RosterConflict { version: 2, .. })
    ));
    assert!(s.wrapped_keys(j, a.id).await.unwrap().is_empty());
}

/// A device removed from the roster cannot push; a member's push in the same group still commits.
async fn removed_devices_cannot_push(s: &dyn Storage) {
    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(1);
    let v1 = genesis(j, &[&a, &b], &a);
    s.create_journal(&v1, 1).await.unwrap();
    assert!(s.is_member(j, a.id).await.unwrap());
    assert!(s.is_member(j, b.id).await.unwrap());
    assert!(!s.is_member(journal(2), a.id).await.unwrap());
    let chain_a = a.chain(j, 1, None, 2);
    let chain_b = b.chain(j, 1, None, 2);
    let outcomes = s
        .commit_pushes(
            &[
                pending(j, &a, chain_a[..1].to_vec()),
                pending(j, &b, chain_b[..1].to_vec()),
            ],
            1,
        )
        .await
        .unwrap();
    assert!(outcomes.iter().all(Result::is_ok));

    s.append_roster(&next_roster(&v1, &[&a], &a), &[])
        .await
        .unwrap();
    assert!(!s.is_member(j, b.id).await.unwrap());
    // In one group: a's push is stored, b's refused and nothing of it stored.
    let outcomes = s
        .commit_pushes(
            &[
                pending(j, &b, chain_b[1..].to_vec()),
                pending(j, &a, chain_a[1..].to_vec()),
            ],
            2,
        )
        .await
        .unwrap();
    assert_eq!(outcomes[0], Err(PushRejection::NotInRoster));
    assert_eq!(outcomes[1].as_ref().unwrap()[0].ack.relay_seq, RelaySeq(3));
    // Not even a re-push of what it stored before.
    let again = s
        .commit_pushes(&[pending(j, &b, chain_b[..1].to_vec())], 3)
        .await
        .unwrap();
    assert_eq!(again, vec![Err(PushRejection::NotInRoster)]);
    assert_eq!(s.journal_stats(j).await.unwrap().unwrap().head, RelaySeq(3));
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
            case!(roster_and_keys_are_one_transaction);
            case!(removed_devices_cannot_push);
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

/// A device removed through instance B: instance A refuses its pushes and
/// sessions at once (storage is the truth), and A's listener closes the
/// device's live connections on B's announcement.
#[tokio::test]
async fn postgres_removal_through_one_instance_holds_on_another() {
    let Some(schema) = pg::schema().await else {
        return;
    };
    let a = PostgresStorage::connect_with(schema.options())
        .await
        .unwrap();
    let b = PostgresStorage::connect_with(schema.options())
        .await
        .unwrap();
    let (d, e) = (Device::new(1), Device::new(2));
    let j = journal(1);
    let v1 = genesis(j, &[&d, &e], &d);
    a.create_journal(&v1, 1).await.unwrap();
    let hub = Arc::new(Hub::new(64));
    let mut live = hub.subscribe(j, 8).unwrap();
    let e_live = hub.devices().register(j, e.id);
    let d_live = hub.devices().register(j, d.id);
    let task = a.start_remote_fanout(hub.clone()).unwrap();
    // Wait until A's listener listens: B's pushes reach A's hub.
    let chain = d.chain(j, 1, None, 3);
    let mut next = 0;
    loop {
        let push = pending(j, &d, chain[next..next + 1].to_vec());
        b.commit_pushes(&[push], 1).await.unwrap()[0]
            .as_ref()
            .unwrap();
        next += 1;
        match tokio::time::timeout(Duration::from_millis(500), live.recv()).await {
            Ok(_) => break,
            Err(_) => assert!(next < 3, "no notification reached the other instance"),
        }
    }
    assert!(a.is_member(j, e.id).await.unwrap());

    b.append_roster(&next_roster(&v1, &[&d], &d), &[])
        .await
        .unwrap();
    // A's listener closes e's live connection (and only e's).
    tokio::time::timeout(Duration::from_secs(10), e_live.removed())
        .await
        .expect("the removal was not announced to the other instance");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), d_live.removed())
            .await
            .is_err(),
        "a member's connection was closed"
    );
    // A refuses e at once, whatever its hub knows.
    assert!(!a.is_member(j, e.id).await.unwrap());
    let outcomes = a
        .commit_pushes(&[pending(j, &e, e.chain(j, 1, None, 1))], 2)
        .await
        .unwrap();
    assert_eq!(outcomes, vec![Err(PushRejection::NotInRoster)]);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    drop((e_live, d_live));
    a.close().await;
    b.close().await;
}
