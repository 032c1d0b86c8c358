//! The HTTP API against the real router (in process): creating journals, authentication, rosters.
//!
//! Every test runs on SQLite (`sqlite::…`) and on a fresh PostgreSQL schema
//! (`postgres::…`), instantiated by `on_each_backend!` at the end of this file.

#[macro_use]
mod common;

use std::time::Duration;

use attune_proto::*;
use attune_relay::Config;
use axum::http::{Method, StatusCode};
use common::*;

async fn healthz_and_unknown_routes(on: &Backend) {
    let t = on.relay().await;
    let reply = call(&t.router, Method::GET, "/healthz", None, Vec::new()).await;
    assert_eq!(reply.ok(), b"ok");
    call(&t.router, Method::GET, "/nope", None, Vec::new())
        .await
        .refused(StatusCode::NOT_FOUND, "not_found");
    call(
        &t.router,
        Method::DELETE,
        &path(journal(1), "roster"),
        None,
        Vec::new(),
    )
    .await
    .refused(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    call(
        &t.router,
        Method::POST,
        "/v1/journals/XYZ/challenge",
        None,
        Vec::new(),
    )
    .await
    .refused(StatusCode::BAD_REQUEST, "invalid_journal_id");
}

async fn first_device_creates_the_journal_and_members_log_in(on: &Backend) {
    let t = on.relay().await;
    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(9);
    // Unknown journal, no genesis.
    try_login(&t.router, j, &a, None)
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_journal");
    let token = create_journal(&t.router, j, &[&a, &b]).await;
    let list = RosterList::decode(
        call(
            &t.router,
            Method::GET,
            &path(j, "roster"),
            Some(&token),
            vec![],
        )
        .await
        .ok(),
    )
    .unwrap();
    assert_eq!(list.rosters, vec![genesis(j, &[&a, &b], &a)]);
    // The second device logs in with the roster's key; a genesis sent again is ignored.
    let token_b = login(&t.router, j, &b, None).await;
    assert_ne!(token, token_b);
    login(&t.router, j, &a, Some(genesis(j, &[&a], &a))).await;
    // Tokens are per journal.
    call(
        &t.router,
        Method::GET,
        &path(journal(8), "roster"),
        Some(&token),
        vec![],
    )
    .await
    .refused(StatusCode::UNAUTHORIZED, "invalid_token");
    call(&t.router, Method::GET, &path(j, "roster"), None, vec![])
        .await
        .refused(StatusCode::UNAUTHORIZED, "missing_token");
    call(
        &t.router,
        Method::GET,
        &path(j, "roster"),
        Some("deadbeef"),
        vec![],
    )
    .await
    .refused(StatusCode::UNAUTHORIZED, "invalid_token");
}

async fn bad_genesis_rosters_are_refused(on: &Backend) {
    let t = on.relay().await;
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(3);
    try_login(&t.router, j, &a, Some(genesis(journal(4), &[&a], &a)))
        .await
        .refused(StatusCode::BAD_REQUEST, "wrong_journal");
    let mut v2 = genesis(j, &[&a], &a);
    v2.version = 2;
    try_login(&t.router, j, &a, Some(sign_roster(v2, &a)))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_roster");
    // A valid genesis that does not list the device creating the journal.
    try_login(&t.router, j, &a, Some(genesis(j, &[&b], &b)))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_genesis");
    // Signed by a device it does not list.
    try_login(&t.router, j, &a, Some(genesis(j, &[&a, &b], &c)))
        .await
        .refused(StatusCode::FORBIDDEN, "roster_not_signed_by_member");
    // The old format (version 1) is not read any more.
    let mut old = genesis(j, &[&a], &a);
    old.v = 1;
    try_login(&t.router, j, &a, Some(sign_roster(old, &a)))
        .await
        .refused(StatusCode::BAD_REQUEST, "unsupported_version");
    // A genesis cannot start with revoked devices, nor list a bad age recipient.
    let mut revoked = genesis(j, &[&a], &a);
    revoked.revoked.push(RevokedDevice {
        device_id: b.id,
        verifying_key: b.entry().verifying_key,
        last_seq: DeviceSeq(0),
        last_hash: [0; 32],
    });
    try_login(&t.router, j, &a, Some(sign_roster(revoked, &a)))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_roster");
    let mut recipient = genesis(j, &[&a], &a);
    recipient.devices[0].age_recipient = "age1notbech32!".into();
    try_login(&t.router, j, &a, Some(sign_roster(recipient, &a)))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_roster");
    let mut forged = genesis(j, &[&a], &a);
    forged.epoch = Epoch(7);
    try_login(&t.router, j, &a, Some(forged))
        .await
        .refused(StatusCode::FORBIDDEN, "roster_not_signed_by_member");
    let mut duplicate = genesis(j, &[&a, &a], &a);
    duplicate = sign_roster(duplicate, &a);
    try_login(&t.router, j, &a, Some(duplicate))
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_roster");
    // None of that created the journal.
    try_login(&t.router, j, &a, None)
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_journal");
    // Any device the genesis lists may sign it (a client has its recovery-kit
    // device sign), as long as it lists the device creating the journal.
    login(&t.router, j, &a, Some(genesis(j, &[&a, &b], &b))).await;
    login(&t.router, j, &b, None).await;
}

async fn challenge_failures(on: &Backend) {
    let t = on.relay().await;
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(5);
    create_journal(&t.router, j, &[&a, &b]).await;
    let session_path = path(j, "session");
    let session =
        |req: SessionRequest| call(&t.router, Method::POST, &session_path, None, req.encode());

    // Bad signature: signed by another key.
    let nonce = challenge(&t.router, j, &a).await.nonce;
    let mut request = answer(j, &a, nonce, None);
    request.signature = answer(j, &b, nonce, None).signature;
    session(request)
        .await
        .refused(StatusCode::UNAUTHORIZED, "bad_signature");
    // The challenge was consumed by that attempt.
    session(answer(j, &a, nonce, None))
        .await
        .refused(StatusCode::UNAUTHORIZED, "unknown_challenge");
    // Never issued.
    session(answer(j, &a, [7; 32], None))
        .await
        .refused(StatusCode::UNAUTHORIZED, "unknown_challenge");
    // Issued to another device.
    let nonce = challenge(&t.router, j, &b).await.nonce;
    session(answer(j, &a, nonce, None))
        .await
        .refused(StatusCode::UNAUTHORIZED, "unknown_challenge");
    // Issued for another journal.
    let nonce = challenge(&t.router, journal(6), &a).await.nonce;
    session(answer(j, &a, nonce, None))
        .await
        .refused(StatusCode::UNAUTHORIZED, "unknown_challenge");
    // Single use: a successful answer cannot be replayed.
    let nonce = challenge(&t.router, j, &a).await.nonce;
    session(answer(j, &a, nonce, None)).await.ok();
    session(answer(j, &a, nonce, None))
        .await
        .refused(StatusCode::UNAUTHORIZED, "unknown_challenge");
    // A device not in the roster, with a valid signature of its own.
    try_login(&t.router, j, &c, None)
        .await
        .refused(StatusCode::FORBIDDEN, "not_in_roster");
}

async fn expired_challenge_is_refused(on: &Backend) {
    let t = on
        .relay_with(Config {
            challenge_ttl: Duration::ZERO,
            ..Config::default()
        })
        .await;
    let a = Device::new(1);
    let j = journal(5);
    try_login(&t.router, j, &a, Some(genesis(j, &[&a], &a)))
        .await
        .refused(StatusCode::UNAUTHORIZED, "challenge_expired");
}

async fn roster_update_rules_and_revocation(on: &Backend) {
    let t = on.relay().await;
    let (a, b, c, outsider) = (
        Device::new(1),
        Device::new(2),
        Device::new(3),
        Device::new(4),
    );
    let j = journal(5);
    let token_a = create_journal(&t.router, j, &[&a, &b]).await;
    let token_b = login(&t.router, j, &b, None).await;
    let v1 = genesis(j, &[&a, &b], &a);
    let put = |roster: Roster, token: String| {
        let router = t.router.clone();
        async move { put_roster(&router, j, &token, roster, Vec::new()).await }
    };

    // c cannot log in yet.
    try_login(&t.router, j, &c, None)
        .await
        .refused(StatusCode::FORBIDDEN, "not_in_roster");
    // Not signed by a member.
    put(next_roster(&v1, &[&a, &b, &c], &outsider), token_a.clone())
        .await
        .refused(StatusCode::FORBIDDEN, "roster_not_signed_by_member");
    // Signed by a member, but tampered after signing.
    let mut tampered = next_roster(&v1, &[&a, &b], &a);
    tampered.devices.push(c.entry());
    put(tampered, token_a.clone())
        .await
        .refused(StatusCode::FORBIDDEN, "roster_not_signed_by_member");
    // Skips a version / does not chain.
    let mut skip = next_roster(&v1, &[&a, &b, &c], &a);
    skip.version = 3;
    put(sign_roster(skip, &a), token_a.clone())
        .await
        .refused(StatusCode::CONFLICT, "roster_conflict");
    let mut unchained = next_roster(&v1, &[&a, &b, &c], &a);
    unchained.prev_hash = [1; 32];
    put(sign_roster(unchained, &a), token_a.clone())
        .await
        .refused(StatusCode::CONFLICT, "roster_conflict");
    // Wrong journal.
    let mut elsewhere = next_roster(&v1, &[&a, &b, &c], &a);
    elsewhere.journal_id = journal(6);
    put(sign_roster(elsewhere, &a), token_a.clone())
        .await
        .refused(StatusCode::BAD_REQUEST, "wrong_journal");

    // A valid update adding c, made by b.
    let v2 = next_roster(&v1, &[&a, &b, &c], &b);
    assert_eq!(
        put(v2.clone(), token_b.clone()).await.status,
        StatusCode::NO_CONTENT
    );
    // The same version again is now a conflict.
    put(v2.clone(), token_a.clone())
        .await
        .refused(StatusCode::CONFLICT, "roster_conflict");
    login(&t.router, j, &c, None).await;

    // v3 removes b (signed by a): b's session ends, b cannot log in again.
    let v3 = next_roster(&v2, &[&a, &c], &a);
    assert_eq!(
        put(v3.clone(), token_a.clone()).await.status,
        StatusCode::NO_CONTENT
    );
    call(
        &t.router,
        Method::GET,
        &path(j, "roster"),
        Some(&token_b),
        vec![],
    )
    .await
    .refused(StatusCode::UNAUTHORIZED, "invalid_token");
    try_login(&t.router, j, &b, None)
        .await
        .refused(StatusCode::FORBIDDEN, "not_in_roster");
    // A roster signed by the removed device is refused even if chained correctly.
    put(next_roster(&v3, &[&a, &b, &c], &b), token_a.clone())
        .await
        .refused(StatusCode::FORBIDDEN, "roster_not_signed_by_member");

    let list = RosterList::decode(
        call(
            &t.router,
            Method::GET,
            &path(j, "roster"),
            Some(&token_a),
            vec![],
        )
        .await
        .ok(),
    )
    .unwrap();
    assert_eq!(list.rosters, vec![v1, v2, v3]);
}

on_each_backend!(
    healthz_and_unknown_routes,
    first_device_creates_the_journal_and_members_log_in,
    bad_genesis_rosters_are_refused,
    challenge_failures,
    expired_challenge_is_refused,
    roster_update_rules_and_revocation,
);
