//! Snapshots and compaction through the real router (in process): what the
//! relay refuses (forged, stale, lying about coverage), and that compaction
//! deletes only what a verified snapshot covers.
//!
//! Every test runs on SQLite (`sqlite::…`) and on a fresh PostgreSQL schema
//! (`postgres::…`), instantiated by `on_each_backend!` at the end of this file.

#[macro_use]
mod common;

use attune_proto::*;
use attune_relay::Config;
use axum::http::{Method, StatusCode};
use common::*;

async fn put_snapshot(t: &TestRelay, j: JournalId, token: &str, snapshot: &Snapshot) -> Reply {
    call(
        &t.router,
        Method::PUT,
        &path(j, "snapshot"),
        Some(token),
        snapshot.encode(),
    )
    .await
}

async fn compact(t: &TestRelay, j: JournalId, token: &str, hash: [u8; 32]) -> Reply {
    let request = CompactRequest {
        v: WIRE_VERSION,
        snapshot_hash: hash,
    };
    call(
        &t.router,
        Method::POST,
        &path(j, "compact"),
        Some(token),
        request.encode(),
    )
    .await
}

async fn get_snapshot(t: &TestRelay, j: JournalId, token: &str) -> SnapshotResponse {
    let reply = call(
        &t.router,
        Method::GET,
        &path(j, "snapshot"),
        Some(token),
        vec![],
    )
    .await;
    SnapshotResponse::decode(reply.ok()).unwrap()
}

async fn forged_lying_and_stale_snapshots_are_refused_and_compaction_keeps_the_uncovered(
    on: &Backend,
) {
    let t = on.relay().await;
    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(7);
    let token_a = create_journal(&t.router, j, &[&a, &b]).await;
    let token_b = login(&t.router, j, &b, None).await;
    // Relay order: a1 a2 a3 | b1 b2.
    let a_env = a.chain(j, 1, None, 4);
    let b_env = b.chain(j, 1, None, 2);
    push_ok(&t.router, j, &token_a, a_env[..3].to_vec()).await;
    push_ok(&t.router, j, &token_b, b_env.clone()).await;
    let none = get_snapshot(&t, j, &token_a).await;
    assert_eq!(
        (none.snapshot, none.head, none.compacted_through),
        (None, RelaySeq(5), RelaySeq(0))
    );

    let good = a.snapshot(j, 5, &[&a_env[2], &b_env[1]], b"sealed");

    // Forged: a's header signed with b's key; b uploading a's snapshot.
    let mut forged = good.clone();
    forged.signature = b
        .snapshot(j, 5, &[&a_env[2], &b_env[1]], b"sealed")
        .signature;
    put_snapshot(&t, j, &token_a, &forged)
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_signature");
    put_snapshot(&t, j, &token_b, &good)
        .await
        .refused(StatusCode::FORBIDDEN, "wrong_device");
    // Signed, but lying about what it covers.
    let mut wrong_hash = a_env[2].clone();
    wrong_hash.ciphertext.push(0);
    let lies: [(Snapshot, &str); 4] = [
        (
            a.snapshot(j, 5, &[&wrong_hash, &b_env[1]], b"x"),
            "snapshot_hash_mismatch",
        ),
        (a.snapshot(j, 5, &[&a_env[2]], b"x"), "snapshot_uncovers"),
        (
            a.snapshot(j, 5, &[&a_env[3], &b_env[1]], b"x"),
            "snapshot_unknown_envelope",
        ),
        (
            a.snapshot(j, 9, &[&a_env[2], &b_env[1]], b"x"),
            "snapshot_cursor_ahead",
        ),
    ];
    for (lie, code) in lies {
        put_snapshot(&t, j, &token_a, &lie)
            .await
            .refused(StatusCode::CONFLICT, code);
    }
    let mut unsorted = good.clone();
    unsorted.header.covers.reverse();
    put_snapshot(&t, j, &token_a, &unsorted)
        .await
        .refused(StatusCode::BAD_REQUEST, "malformed");
    assert_eq!(get_snapshot(&t, j, &token_a).await.snapshot, None);

    // The true one is stored; the same again, or an older one, is stale.
    let stored = SnapshotStored::decode(put_snapshot(&t, j, &token_a, &good).await.ok()).unwrap();
    assert_eq!(stored.hash, good.hash());
    assert_eq!(
        get_snapshot(&t, j, &token_b).await.snapshot,
        Some(good.clone())
    );
    put_snapshot(&t, j, &token_a, &good)
        .await
        .refused(StatusCode::CONFLICT, "stale_snapshot");
    put_snapshot(&t, j, &token_a, &a.snapshot(j, 3, &[&a_env[2]], b"older"))
        .await
        .refused(StatusCode::CONFLICT, "stale_snapshot");

    // Compaction on the stored snapshot's word only.
    compact(&t, j, &token_b, [0; 32])
        .await
        .refused(StatusCode::CONFLICT, "unknown_snapshot");
    // Meanwhile a4 arrives (after the cursor: never covered, never deleted).
    push_ok(&t.router, j, &token_a, a_env[3..].to_vec()).await;
    let done = CompactResponse::decode(compact(&t, j, &token_b, good.hash()).await.ok()).unwrap();
    // a1 a2 a3 b1 go; b2 stays as b's newest (b's next envelope chains to it).
    assert_eq!((done.deleted, done.compacted_through), (4, RelaySeq(5)));
    pull(&t.router, j, &token_a, "after=0")
        .await
        .refused(StatusCode::GONE, "compacted");
    let page = PullResponse::decode(pull(&t.router, j, &token_a, "after=5").await.ok()).unwrap();
    let left: Vec<_> = page
        .envelopes
        .iter()
        .map(|e| (e.envelope.device_id, e.envelope.device_seq.0))
        .collect();
    assert_eq!(left, vec![(a.id, 4)]);

    // Any member may store the next snapshot: b's, at cursor 6, covering a4 and b2.
    let newer = b.snapshot(j, 6, &[&a_env[3], &b_env[1]], b"newer");
    put_snapshot(&t, j, &token_b, &newer).await.ok();
    let response = get_snapshot(&t, j, &token_a).await;
    assert_eq!(response.snapshot, Some(newer));
    assert_eq!(
        (response.head, response.compacted_through),
        (RelaySeq(6), RelaySeq(5))
    );
    // The devices push on as before.
    push_ok(&t.router, j, &token_b, b.chain(j, 3, Some(&b_env[1]), 1)).await;
}

async fn snapshots_have_their_own_size_limit(on: &Backend) {
    let t = on
        .relay_with(Config {
            max_body_bytes: 64 * 1024,
            max_snapshot_bytes: 512 * 1024,
            ..Config::default()
        })
        .await;
    let a = Device::new(1);
    let j = journal(8);
    let token = create_journal(&t.router, j, &[&a]).await;
    let env = a.chain(j, 1, None, 1);
    push_ok(&t.router, j, &token, env.clone()).await;
    // Larger than any other request may be, within the snapshot limit: stored.
    let big = a.snapshot(j, 1, &[&env[0]], &vec![7; 300 * 1024]);
    put_snapshot(&t, j, &token, &big).await.ok();
    // Over it: refused with its status, and the relay goes on.
    let env2 = a.chain(j, 2, Some(&env[0]), 1);
    push_ok(&t.router, j, &token, env2.clone()).await;
    let huge = a.snapshot(j, 2, &[&env2[0]], &vec![7; 600 * 1024]);
    let reply = put_snapshot(&t, j, &token, &huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(get_snapshot(&t, j, &token).await.snapshot, Some(big));
}

on_each_backend!(
    forged_lying_and_stale_snapshots_are_refused_and_compaction_keeps_the_uncovered,
    snapshots_have_their_own_size_limit,
);
