//! The HTTP API against the real router (in process): bad bodies, limits, push, pull and keys.
//!
//! Every test runs on SQLite (`sqlite::…`) and on a fresh PostgreSQL schema
//! (`postgres::…`), instantiated by `on_each_backend!` at the end of this file.

#[macro_use]
mod common;

use attune_proto::*;
use attune_relay::Config;
use axum::http::{Method, StatusCode};
use common::*;

async fn malformed_truncated_and_wrong_version_bodies(on: &Backend) {
    let t = on.relay().await;
    let a = Device::new(1);
    let j = journal(5);
    let token = create_journal(&t.router, j, &[&a]).await;
    let good = PushRequest {
        v: WIRE_VERSION,
        envelopes: a.chain(j, 1, None, 1),
    }
    .encode();
    let roster_path = path(j, "roster");
    let keys_path = path(j, "keys");
    let envelopes_path = path(j, "envelopes");
    let challenge_path = path(j, "challenge");
    let session_path = path(j, "session");
    let endpoints: [(Method, &str, Option<&str>); 5] = [
        (Method::POST, &challenge_path, None),
        (Method::POST, &session_path, None),
        (Method::PUT, &roster_path, Some(&token)),
        (Method::PUT, &keys_path, Some(&token)),
        (Method::POST, &envelopes_path, Some(&token)),
    ];
    for (method, p, tok) in endpoints {
        call(&t.router, method.clone(), p, tok, vec![])
            .await
            .refused(StatusCode::BAD_REQUEST, "malformed");
        call(&t.router, method.clone(), p, tok, vec![1, 0xff, 0xff])
            .await
            .refused(StatusCode::BAD_REQUEST, "malformed");
        call(&t.router, method.clone(), p, tok, vec![2, 0, 0])
            .await
            .refused(StatusCode::BAD_REQUEST, "unsupported_version");
        call(&t.router, method, p, tok, b"{\"json\": true}".to_vec())
            .await
            .refused(StatusCode::BAD_REQUEST, "unsupported_version");
    }
    // A truncated and an extended push.
    call(
        &t.router,
        Method::POST,
        &envelopes_path,
        Some(&token),
        good[..good.len() - 1].to_vec(),
    )
    .await
    .refused(StatusCode::BAD_REQUEST, "malformed");
    let mut longer = good.clone();
    longer.push(0);
    call(
        &t.router,
        Method::POST,
        &envelopes_path,
        Some(&token),
        longer,
    )
    .await
    .refused(StatusCode::BAD_REQUEST, "malformed");
    // An envelope with a future version inside a current push.
    let mut inner = a.chain(j, 1, None, 1);
    inner[0].v = 2;
    push(&t.router, j, &token, inner)
        .await
        .refused(StatusCode::BAD_REQUEST, "unsupported_version");
    // Nothing of that was stored; the relay still serves.
    assert_eq!(
        push_ok(&t.router, j, &token, a.chain(j, 1, None, 1)).await[0].relay_seq,
        RelaySeq(1)
    );
}

async fn oversized_body_and_envelope(on: &Backend) {
    let t = on
        .relay_with(Config {
            max_body_bytes: 64 * 1024,
            max_envelope_bytes: 1024,
            ..Config::default()
        })
        .await;
    let a = Device::new(1);
    let j = journal(5);
    let token = create_journal(&t.router, j, &[&a]).await;
    let big = a.envelope(j, 1, [0; 32], &vec![0u8; 2000]);
    push(&t.router, j, &token, vec![big])
        .await
        .refused(StatusCode::PAYLOAD_TOO_LARGE, "envelope_too_large");
    let huge = a.envelope(j, 1, [0; 32], &vec![0u8; 100 * 1024]);
    push(&t.router, j, &token, vec![huge])
        .await
        .refused(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    call(
        &t.router,
        Method::POST,
        &path(j, "challenge"),
        None,
        vec![1; 70 * 1024],
    )
    .await
    .refused(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    // Fits after all that.
    push_ok(
        &t.router,
        j,
        &token,
        vec![a.envelope(j, 1, [0; 32], &[0u8; 500])],
    )
    .await;
}

async fn push_rules(on: &Backend) {
    let t = on.relay().await;
    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(5);
    let token_a = create_journal(&t.router, j, &[&a, &b]).await;
    let token_b = login(&t.router, j, &b, None).await;
    let chain = a.chain(j, 1, None, 5);

    let acks = push_ok(&t.router, j, &token_a, chain[..2].to_vec()).await;
    assert_eq!(
        acks,
        vec![
            Ack {
                device_seq: DeviceSeq(1),
                relay_seq: RelaySeq(1)
            },
            Ack {
                device_seq: DeviceSeq(2),
                relay_seq: RelaySeq(2)
            },
        ]
    );
    // Another device's first envelope gets the next relay sequence.
    let acks_b = push_ok(&t.router, j, &token_b, b.chain(j, 1, None, 1)).await;
    assert_eq!(acks_b[0].relay_seq, RelaySeq(3));

    // Idempotent re-push, also mixed with new envelopes.
    assert_eq!(
        push_ok(&t.router, j, &token_a, chain[..2].to_vec()).await,
        acks
    );
    let mixed = push_ok(&t.router, j, &token_a, chain[1..4].to_vec()).await;
    assert_eq!(
        mixed.iter().map(|a| a.relay_seq.0).collect::<Vec<_>>(),
        vec![2, 4, 5]
    );

    // Out of order: a gap.
    let reply = push(
        &t.router,
        j,
        &token_a,
        vec![a.envelope(j, 7, chain[3].hash(), b"x")],
    )
    .await;
    reply.refused(StatusCode::CONFLICT, "out_of_order");
    assert!(
        reply.message().contains("next one for this device is 5"),
        "{}",
        reply.message()
    );
    // Sequence 0 is never valid.
    push(
        &t.router,
        j,
        &token_b,
        vec![b.envelope(j, 0, [0; 32], b"x")],
    )
    .await
    .refused(StatusCode::CONFLICT, "out_of_order");
    // Same sequence, different content.
    let forked = a.envelope(j, 2, chain[0].hash(), b"something else");
    push(&t.router, j, &token_a, vec![forked])
        .await
        .refused(StatusCode::CONFLICT, "seq_conflict");
    // Right sequence, but not chained to the previous envelope.
    push(
        &t.router,
        j,
        &token_a,
        vec![a.envelope(j, 5, [9; 32], b"x")],
    )
    .await
    .refused(StatusCode::CONFLICT, "chain_mismatch");
    // A refused push stores nothing, not even its valid prefix.
    let mut bad_tail = vec![chain[4].clone()];
    bad_tail.push(a.envelope(j, 9, chain[4].hash(), b"x"));
    push(&t.router, j, &token_a, bad_tail)
        .await
        .refused(StatusCode::CONFLICT, "out_of_order");
    // Wrong journal id or device inside the envelopes.
    push(
        &t.router,
        j,
        &token_a,
        a.chain(journal(6), 5, Some(&chain[3]), 1),
    )
    .await
    .refused(StatusCode::BAD_REQUEST, "wrong_journal");
    push(&t.router, j, &token_a, b.chain(j, 2, None, 1))
        .await
        .refused(StatusCode::FORBIDDEN, "wrong_device");
    // An empty push is fine.
    assert!(push_ok(&t.router, j, &token_a, vec![]).await.is_empty());

    let page = PullResponse::decode(pull(&t.router, j, &token_b, "after=0").await.ok()).unwrap();
    assert_eq!(page.head, RelaySeq(5));
    assert_eq!(
        page.envelopes
            .iter()
            .map(|e| e.relay_seq.0)
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(page.envelopes[0].envelope, chain[0]);
    assert_eq!(page.envelopes[2].envelope.device_id, b.id);
}

async fn quota_is_enforced_per_journal(on: &Backend) {
    let t = on
        .relay_with(Config {
            journal_quota_bytes: 1000,
            ..Config::default()
        })
        .await;
    let (a, b) = (Device::new(1), Device::new(2));
    let token_a = create_journal(&t.router, journal(1), &[&a]).await;
    let token_b = create_journal(&t.router, journal(2), &[&b]).await;
    let filler = a.envelope(journal(1), 1, [0; 32], &[0; 700]);
    push_ok(&t.router, journal(1), &token_a, vec![filler.clone()]).await;
    let reply = push(
        &t.router,
        journal(1),
        &token_a,
        vec![a.envelope(journal(1), 2, filler.hash(), &[0; 400])],
    )
    .await;
    reply.refused(StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded");
    // The other journal is unaffected; a re-push of stored data costs nothing.
    push_ok(
        &t.router,
        journal(2),
        &token_b,
        b.chain(journal(2), 1, None, 1),
    )
    .await;
    push_ok(&t.router, journal(1), &token_a, vec![filler]).await;
}

async fn wrapped_keys_are_stored_per_device_and_epoch(on: &Backend) {
    let t = on.relay().await;
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(5);
    let token_a = create_journal(&t.router, j, &[&a, &b]).await;
    let token_b = login(&t.router, j, &b, None).await;
    let v1 = genesis(j, &[&a, &b], &a);
    assert_eq!(
        put_keys(
            &t.router,
            j,
            &token_a,
            vec![wrapped(&a, 1, b"for a"), wrapped(&b, 1, b"for b")]
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    // Epoch 2 arrives with the roster version that raises it.
    let v2 = next_roster(&v1, &[&a, &b], &a);
    let keys = vec![
        wrapped(&a, 2, b"for a, epoch 2"),
        wrapped(&b, 2, b"for b, epoch 2"),
    ];
    put_roster(&t.router, j, &token_a, v2, keys).await.ok();
    put_keys(&t.router, j, &token_a, vec![wrapped(&c, 1, b"stranger")])
        .await
        .refused(StatusCode::BAD_REQUEST, "unknown_device");
    assert_eq!(
        get_keys(&t.router, j, &token_b).await,
        vec![wrapped(&b, 1, b"for b"), wrapped(&b, 2, b"for b, epoch 2")]
    );
    assert_eq!(
        get_keys(&t.router, j, &token_a).await,
        vec![wrapped(&a, 1, b"for a"), wrapped(&a, 2, b"for a, epoch 2")]
    );
}

async fn pulls_are_paged(on: &Backend) {
    let t = on.relay().await;
    let a = Device::new(1);
    let j = journal(5);
    let token = create_journal(&t.router, j, &[&a]).await;
    let empty = PullResponse::decode(pull(&t.router, j, &token, "").await.ok()).unwrap();
    assert_eq!((empty.envelopes.len(), empty.head), (0, RelaySeq(0)));
    push_ok(&t.router, j, &token, a.chain(j, 1, None, 25)).await;

    let page = |q: &'static str| {
        let router = t.router.clone();
        let token = token.clone();
        async move { PullResponse::decode(pull(&router, j, &token, q).await.ok()).unwrap() }
    };
    let first = page("after=0&limit=10").await;
    assert_eq!(first.head, RelaySeq(25));
    assert_eq!(
        first
            .envelopes
            .iter()
            .map(|e| e.relay_seq.0)
            .collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    let last = page("after=20&limit=10").await;
    assert_eq!(
        last.envelopes
            .iter()
            .map(|e| e.relay_seq.0)
            .collect::<Vec<_>>(),
        (21..=25).collect::<Vec<_>>()
    );
    assert!(page("after=25").await.envelopes.is_empty());
    assert!(page("after=18446744073709551615")
        .await
        .envelopes
        .is_empty());
    assert_eq!(page("limit=5000").await.envelopes.len(), 25);

    for bad in ["after=abc", "after=-1", "limit=0", "limit=x", "after=1.5"] {
        pull(&t.router, j, &token, bad)
            .await
            .refused(StatusCode::BAD_REQUEST, "bad_query");
    }
}

async fn concurrent_pushes_get_gap_free_relay_sequences(on: &Backend) {
    let t = on.relay().await;
    let devices: Vec<Device> = (1..=4).map(Device::new).collect();
    let j = journal(5);
    let refs: Vec<&Device> = devices.iter().collect();
    create_journal(&t.router, j, &refs).await;
    let mut tasks = Vec::new();
    for d in &devices {
        let token = login(&t.router, j, d, None).await;
        let chain = d.chain(j, 1, None, 40);
        let router = t.router.clone();
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for batch in chain.chunks(4) {
                acks.extend(push_ok(&router, j, &token, batch.to_vec()).await);
            }
            acks
        }));
    }
    let mut relay_seqs = Vec::new();
    for task in tasks {
        let acks = task.await.unwrap();
        assert_eq!(
            acks.iter().map(|a| a.device_seq.0).collect::<Vec<_>>(),
            (1..=40).collect::<Vec<_>>()
        );
        relay_seqs.extend(acks.iter().map(|a| a.relay_seq.0));
    }
    relay_seqs.sort_unstable();
    assert_eq!(relay_seqs, (1..=160).collect::<Vec<_>>());
}

async fn pull_pages_are_bounded_by_the_body_limit(on: &Backend) {
    let t = on
        .relay_with(Config {
            max_body_bytes: 4096,
            ..Config::default()
        })
        .await;
    let a = Device::new(1);
    let j = journal(5);
    let token = create_journal(&t.router, j, &[&a]).await;
    let mut prev: Option<Envelope> = None;
    for seq in 1..=10u64 {
        let e = a.envelope(
            j,
            seq,
            prev.as_ref().map_or([0; 32], |p| p.hash()),
            &[7; 1000],
        );
        push_ok(&t.router, j, &token, vec![e.clone()]).await;
        prev = Some(e);
    }
    let mut after = 0;
    let mut pages = 0;
    loop {
        let reply = pull(&t.router, j, &token, &format!("after={after}")).await;
        assert!(
            reply.body.len() <= 4096,
            "page of {} bytes",
            reply.body.len()
        );
        let page = PullResponse::decode(reply.ok()).unwrap();
        let Some(last) = page.envelopes.last() else {
            break;
        };
        after = last.relay_seq.0;
        pages += 1;
    }
    assert_eq!((after, pages), (10, 4));
}

on_each_backend!(
    malformed_truncated_and_wrong_version_bodies,
    oversized_body_and_envelope,
    push_rules,
    quota_is_enforced_per_journal,
    wrapped_keys_are_stored_per_device_and_epoch,
    pulls_are_paged,
    concurrent_pushes_get_gap_free_relay_sequences,
    pull_pages_are_bounded_by_the_body_limit,
);
