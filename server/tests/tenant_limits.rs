//! Limits a co-tenant cannot bypass: wrapped keys and roster versions count
//! against the journal's quota (in the transaction that stores them, on every
//! backend), keys, rosters and epochs are bounded, and new journals are
//! limited per client address and, when asked, by invite. Each test hits a
//! limit and checks that other journals and clients are still served.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use attune_proto::*;
use attune_relay::config::Config;
use attune_relay::storage::postgres::PostgresStorage;
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::storage::{
    stored_key_bytes, PendingPush, PreparedEnvelope, PushRejection, Storage, StorageError,
};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use common::pg::{self, PgSchema};
use common::{
    challenge, create_journal, genesis, journal, login, next_roster, push, put_keys, put_roster,
    try_login, wrapped, Backend, Device, Reply,
};
use tower::ServiceExt;

const KIB: usize = 1024;

async fn used(s: &dyn Storage, j: JournalId) -> u64 {
    s.journal_stats(j).await.unwrap().unwrap().used_bytes
}

/// Later roster versions and new keys are counted (the genesis is not); over the
/// quota nothing of the request is stored, and other journals are unaffected.
async fn keys_and_rosters_count_against_the_quota(s: &dyn Storage) {
    let (a, b) = (Device::new(1), Device::new(2));
    let (j, other) = (journal(1), journal(2));
    let v1 = genesis(j, &[&a, &b], &a);
    s.create_journal(&v1, 1).await.unwrap();
    s.create_journal(&genesis(other, &[&a], &a), 1)
        .await
        .unwrap();
    assert_eq!(used(s, j).await, 0, "the genesis is not counted");

    let quota = 4 * KIB as u64;
    let small = [wrapped(&a, 1, &[1; KIB]), wrapped(&b, 1, &[2; KIB])];
    s.put_wrapped_keys_within(j, &small, quota).await.unwrap();
    let after_keys = small.iter().map(stored_key_bytes).sum::<u64>();
    assert_eq!(used(s, j).await, after_keys);
    // The same keys again are not counted twice.
    s.put_wrapped_keys_within(j, &small, quota).await.unwrap();
    assert_eq!(used(s, j).await, after_keys);

    // Keys past the quota: refused, none stored, nothing counted.
    let big = [wrapped(&a, 2, &[3; KIB]), wrapped(&b, 2, &[4; 2 * KIB])];
    assert!(matches!(
        s.put_wrapped_keys_within(j, &big, quota).await,
        Err(StorageError::QuotaExceeded { journal, .. }) if journal == j
    ));
    assert_eq!(s.wrapped_keys(j, a.id).await.unwrap().len(), 1);
    assert_eq!(used(s, j).await, after_keys);

    // A roster version that does not fit: not appended.
    let v2 = next_roster(&v1, &[&a], &a);
    assert!(matches!(
        s.append_roster_within(&v2, &[], after_keys + 10).await,
        Err(StorageError::QuotaExceeded { .. })
    ));
    assert_eq!(s.rosters(j).await.unwrap(), vec![v1.clone()]);
    s.append_roster_within(&v2, &[], quota).await.unwrap();
    let after_v2 = after_keys + v2.encode().len() as u64;
    assert_eq!(used(s, j).await, after_v2);

    // Envelopes share the same quota: a push that no longer fits is refused.
    let push = PendingPush {
        journal: j,
        device: a.id,
        envelopes: a
            .chain(j, 1, None, 1)
            .into_iter()
            .map(PreparedEnvelope::new)
            .collect(),
        quota_bytes: after_v2 + 1,
    };
    let outcomes = s.commit_pushes(&[push], 2).await.unwrap();
    assert!(matches!(
        outcomes[0],
        Err(PushRejection::QuotaExceeded { .. })
    ));

    // The other journal is still served.
    s.put_wrapped_keys_within(other, &[wrapped(&a, 1, &[5; KIB])], quota)
        .await
        .unwrap();
}

macro_rules! storage_case {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test]
            async fn keys_and_rosters_count_against_the_quota() {
                let Some((storage, _guard)) = $make.await else {
                    return;
                };
                super::keys_and_rosters_count_against_the_quota(storage.as_ref()).await;
                storage.close().await;
            }
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

storage_case!(on_sqlite, sqlite());
storage_case!(on_postgres, postgres());

/// What was shown: 30 keys of 900 KiB into a journal with a 1 MiB quota.
async fn big_keys_cannot_fill_a_journal(backend: &Backend) {
    let t = backend
        .relay_with(Config {
            journal_quota_bytes: 1024 * KIB as u64,
            ..Config::default()
        })
        .await;
    let (a, b) = (Device::new(1), Device::new(2));
    let (j, other) = (journal(1), journal(2));
    let token = create_journal(&t.router, j, &[&a]).await;
    let other_token = create_journal(&t.router, other, &[&b]).await;
    let reply = put_keys(
        &t.router,
        other,
        &other_token,
        vec![wrapped(&b, 1, b"small")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    for _ in 0..30 {
        let reply = put_keys(&t.router, j, &token, vec![wrapped(&a, 1, &[7; 900 * KIB])]).await;
        reply.refused(StatusCode::PAYLOAD_TOO_LARGE, "key_too_large");
    }
    let many = (0..1025).map(|_| wrapped(&a, 1, b"k")).collect();
    put_keys(&t.router, j, &token, many)
        .await
        .refused(StatusCode::PAYLOAD_TOO_LARGE, "too_many_keys");
    assert!(common::get_keys(&t.router, j, &token).await.is_empty());

    // Keys as large as the settings allow: they fill the quota, then are refused.
    let t = backend
        .relay_with(Config {
            journal_quota_bytes: 1024 * KIB as u64,
            max_wrapped_key_bytes: 900 * KIB,
            ..Config::default()
        })
        .await;
    let token = create_journal(&t.router, journal(3), &[&a, &b]).await;
    let other_token_2 = create_journal(&t.router, journal(4), &[&b]).await;
    let roster = genesis(journal(3), &[&a, &b], &a);
    assert_eq!(
        put_keys(
            &t.router,
            journal(3),
            &token,
            vec![wrapped(&a, 1, &[7; 900 * KIB])]
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    put_keys(
        &t.router,
        journal(3),
        &token,
        vec![wrapped(&b, 1, &[8; 900 * KIB])],
    )
    .await
    .refused(StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded");
    // …and a roster version with such a key too.
    let v2 = next_roster(&roster, &[&a], &a);
    put_roster(
        &t.router,
        journal(3),
        &token,
        v2,
        vec![wrapped(&a, 2, &[9; 900 * KIB])],
    )
    .await
    .refused(StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded");
    // Other journals are still served.
    let reply = put_keys(
        &t.router,
        journal(4),
        &other_token_2,
        vec![wrapped(&b, 1, &[1; 900 * KIB])],
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

/// Rosters are bounded in size, and a journal in epochs (never wrapping).
async fn rosters_and_epochs_are_bounded(backend: &Backend) {
    let t = backend
        .relay_with(Config {
            max_epochs_per_journal: 2,
            max_roster_bytes: 4 * KIB,
            ..Config::default()
        })
        .await;
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(1);
    let token = create_journal(&t.router, j, &[&a, &b, &c]).await;
    let v1 = genesis(j, &[&a, &b, &c], &a);
    let v2 = next_roster(&v1, &[&a, &b], &a);
    assert_eq!(
        put_roster(&t.router, j, &token, v2.clone(), vec![])
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // Epoch 2 is the last: removing b would need epoch 3.
    let v3 = next_roster(&v2, &[&a], &a);
    put_roster(&t.router, j, &token, v3, vec![])
        .await
        .refused(StatusCode::CONFLICT, "too_many_epochs");
    // A genesis past the bounds creates nothing.
    let many: Vec<Device> = (10..60).map(Device::new).collect();
    let refs: Vec<&Device> = many.iter().collect();
    let big = genesis(journal(2), &refs, &many[0]);
    assert!(big.encode().len() > 4 * KIB);
    try_login(&t.router, journal(2), &many[0], Some(big))
        .await
        .refused(StatusCode::PAYLOAD_TOO_LARGE, "roster_too_large");
    // Others are still served.
    create_journal(&t.router, journal(3), &[&c]).await;
}

#[tokio::test]
async fn big_keys_cannot_fill_a_journal_on_sqlite() {
    big_keys_cannot_fill_a_journal(&Backend::Sqlite).await;
}

#[tokio::test]
async fn big_keys_cannot_fill_a_journal_on_postgres() {
    let Some(schema) = pg::schema().await else {
        return;
    };
    big_keys_cannot_fill_a_journal(&Backend::Postgres(schema)).await;
}

#[tokio::test]
async fn rosters_and_epochs_are_bounded_on_sqlite() {
    rosters_and_epochs_are_bounded(&Backend::Sqlite).await;
}

#[tokio::test]
async fn the_epoch_never_wraps() {
    let t = Backend::Sqlite
        .relay_with(Config {
            max_epochs_per_journal: u32::MAX,
            ..Config::default()
        })
        .await;
    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(1);
    let mut v1 = genesis(j, &[&a, &b], &a);
    v1.epoch = Epoch(u32::MAX);
    let v1 = common::sign_roster(v1, &a);
    let token = login(&t.router, j, &a, Some(v1.clone())).await;
    let mut v2 = next_roster(&genesis(j, &[&a, &b], &a), &[&a], &a);
    v2.prev_hash = v1.hash();
    v2.epoch = Epoch(u32::MAX);
    let v2 = common::sign_roster(v2, &a);
    put_roster(&t.router, j, &token, v2, vec![])
        .await
        .refused(StatusCode::CONFLICT, "too_many_epochs");
}

/// Challenge and session from `peer`, with an optional invite.
async fn session_from(
    router: &Router,
    j: JournalId,
    device: &Device,
    genesis: Option<Roster>,
    peer: &str,
    invite: Option<&str>,
) -> Reply {
    let nonce = challenge(router, j, device).await.nonce;
    let body = common::answer(j, device, nonce, genesis).encode();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(common::path(j, "session"));
    if let Some(invite) = invite {
        request = request.header("Attune-Invite", invite);
    }
    let mut request = request.body(Body::from(body)).unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply { status, body }
}

#[tokio::test]
async fn new_journals_are_limited_per_address() {
    let t = common::relay_with(Config {
        max_journals_per_hour: 3,
        ..Config::default()
    })
    .await;
    let a = Device::new(1);
    let (one, two) = ("192.0.2.1:4000", "192.0.2.2:4000");
    for seed in 1..=3 {
        let j = journal(seed);
        let reply = session_from(&t.router, j, &a, Some(genesis(j, &[&a], &a)), one, None).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let j = journal(4);
    let reply = session_from(&t.router, j, &a, Some(genesis(j, &[&a], &a)), one, None).await;
    reply.refused(StatusCode::TOO_MANY_REQUESTS, "too_many_journals");
    try_login(&t.router, j, &a, None)
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_journal");
    // Its existing journals, and other addresses, are still served.
    let reply = session_from(&t.router, journal(1), &a, None, one, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = session_from(&t.router, j, &a, Some(genesis(j, &[&a], &a)), two, None).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn invites_gate_new_journals_only() {
    let t = common::relay_with(Config {
        require_invite: true,
        invite_tokens: vec!["let-me-in".into()],
        ..Config::default()
    })
    .await;
    let (a, b) = (Device::new(1), Device::new(2));
    let peer = "192.0.2.9:1";
    let j = journal(1);
    let g = || Some(genesis(j, &[&a, &b], &a));
    session_from(&t.router, j, &a, g(), peer, None)
        .await
        .refused(StatusCode::FORBIDDEN, "invite_required");
    session_from(&t.router, j, &a, g(), peer, Some("guess"))
        .await
        .refused(StatusCode::FORBIDDEN, "invalid_invite");
    try_login(&t.router, j, &a, None)
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_journal");
    let reply = session_from(&t.router, j, &a, g(), peer, Some("let-me-in")).await;
    assert_eq!(reply.status, StatusCode::OK);
    // Members of an existing journal need no invite.
    let token = login(&t.router, j, &b, None).await;
    let reply = push(&t.router, j, &token, b.chain(j, 1, None, 1)).await;
    assert_eq!(reply.status, StatusCode::OK);
}
