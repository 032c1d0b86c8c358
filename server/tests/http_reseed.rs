//! `POST …/reseed` on both backends: a device re-creates a journal the relay
//! does not hold from its signed roster chain and keys; the chain is checked
//! with the roster rule, each device's first envelope may continue its chain,
//! and only the first snapshot may cover envelopes the relay never held.

#[macro_use]
mod common;

use attune_proto::*;
use axum::http::{Method, StatusCode};
use common::{
    call, challenge, genesis, journal, next_roster, path, push, push_ok, wrapped, Backend, Device,
    Reply,
};
use ed25519_dalek::Signer;

/// Answers a challenge of `device` with a re-seed of `rosters` and `keys`.
async fn reseed(
    router: &axum::Router,
    j: JournalId,
    device: &Device,
    rosters: Vec<Roster>,
    keys: Vec<WrappedKey>,
) -> Reply {
    let nonce = challenge(router, j, device).await.nonce;
    let request = ReseedRequest {
        v: WIRE_VERSION,
        device_id: device.id,
        nonce,
        signature: device
            .key
            .sign(&auth_message(j, device.id, &nonce))
            .to_bytes(),
        rosters,
        keys,
    };
    call(
        router,
        Method::POST,
        &path(j, "reseed"),
        None,
        request.encode(),
    )
    .await
}

/// A device that joined after the genesis re-seeds; the chain and keys are served back.
async fn a_later_device_reseeds_the_whole_chain(backend: &Backend) {
    let t = backend.relay().await;
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(1);
    let v1 = genesis(j, &[&a, &b], &a);
    let v2 = next_roster(&v1, &[&a, &b, &c], &b);
    let keys = vec![wrapped(&a, 2, b"a2"), wrapped(&c, 2, b"c2")];
    let reply = reseed(&t.router, j, &c, vec![v1.clone(), v2.clone()], keys).await;
    let token = Session::decode(reply.ok()).unwrap().token;
    let served = call(
        &t.router,
        Method::GET,
        &path(j, "roster"),
        Some(&token),
        vec![],
    )
    .await;
    assert_eq!(
        RosterList::decode(served.ok()).unwrap().rosters,
        vec![v1.clone(), v2.clone()]
    );
    let mine = call(
        &t.router,
        Method::GET,
        &path(j, "keys"),
        Some(&token),
        vec![],
    )
    .await;
    assert_eq!(
        WrappedKeys::decode(mine.ok()).unwrap().keys,
        vec![wrapped(&c, 2, b"c2")]
    );
    // Only once: the journal is here now.
    reseed(&t.router, j, &a, vec![v1.clone(), v2.clone()], vec![])
        .await
        .refused(StatusCode::CONFLICT, "journal_exists");

    // Each device's first envelope continues its chain from where it stands;
    // from then on the chain holds.
    let b_chain = b.chain(j, 41, None, 2);
    let acks = push_ok(&t.router, j, &token, vec![]).await;
    assert!(acks.is_empty());
    let b_token = common::login(&t.router, j, &b, None).await;
    push_ok(&t.router, j, &b_token, b_chain.clone()).await;
    push(
        &t.router,
        j,
        &b_token,
        vec![b.envelope(j, 44, b_chain[1].hash(), b"skips")],
    )
    .await
    .refused(StatusCode::CONFLICT, "out_of_order");
    let c_chain = c.chain(j, 1, None, 1);
    push_ok(&t.router, j, &token, c_chain.clone()).await;

    // The first snapshot may cover envelopes lost with the old relay; a later one may not.
    let lost = a.envelope(j, 9, [7; 32], b"only the old relay had this");
    let seed = c.snapshot(j, 3, &[&lost, &b_chain[1], &c_chain[0]], b"sealed");
    let stored = call(
        &t.router,
        Method::PUT,
        &path(j, "snapshot"),
        Some(&token),
        seed.encode(),
    )
    .await;
    stored.ok();
    let lost_too = a.envelope(j, 10, lost.hash(), b"never here either");
    let later = c.snapshot(
        j,
        3,
        &[&lost_too, &b_chain[1], &c_chain[0]],
        b"sealed again",
    );
    call(
        &t.router,
        Method::PUT,
        &path(j, "snapshot"),
        Some(&token),
        later.encode(),
    )
    .await
    .refused(StatusCode::CONFLICT, "snapshot_unknown_envelope");
}

/// What the relay refuses: a chain that breaks the roster rule, a device
/// outside its latest version, a wrong signature, keys for strangers.
async fn bad_reseeds_are_refused(backend: &Backend) {
    let t = backend.relay().await;
    let (a, b, c, stranger) = (
        Device::new(1),
        Device::new(2),
        Device::new(3),
        Device::new(9),
    );
    let j = journal(2);
    let v1 = genesis(j, &[&a, &b], &a);
    let v2 = next_roster(&v1, &[&a, &b, &c], &b);
    // Signed by a device outside the previous version.
    let forged = next_roster(&v1, &[&a, &b, &stranger], &stranger);
    reseed(&t.router, j, &stranger, vec![v1.clone(), forged], vec![])
        .await
        .refused(StatusCode::FORBIDDEN, "roster_not_signed_by_member");
    reseed(
        &t.router,
        j,
        &stranger,
        vec![v1.clone(), v2.clone()],
        vec![],
    )
    .await
    .refused(StatusCode::BAD_REQUEST, "invalid_reseed");
    reseed(&t.router, j, &c, vec![], vec![])
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_roster");
    reseed(
        &t.router,
        j,
        &c,
        vec![v1.clone(), v2.clone()],
        vec![wrapped(&stranger, 1, b"s")],
    )
    .await
    .refused(StatusCode::BAD_REQUEST, "unknown_device");
    // A signature by another key than the roster gives the device.
    let nonce = challenge(&t.router, j, &c).await.nonce;
    let request = ReseedRequest {
        v: WIRE_VERSION,
        device_id: c.id,
        nonce,
        signature: stranger.key.sign(&auth_message(j, c.id, &nonce)).to_bytes(),
        rosters: vec![v1.clone(), v2.clone()],
        keys: vec![],
    };
    call(
        &t.router,
        Method::POST,
        &path(j, "reseed"),
        None,
        request.encode(),
    )
    .await
    .refused(StatusCode::UNAUTHORIZED, "bad_signature");
    // Nothing of it was stored: the journal can still be re-seeded properly.
    reseed(&t.router, j, &c, vec![v1, v2], vec![]).await.ok();

    // A journal created the usual way keeps the strict chain rule.
    let k = journal(3);
    let token = common::create_journal(&t.router, k, &[&a]).await;
    push(&t.router, k, &token, a.chain(k, 5, None, 1))
        .await
        .refused(StatusCode::CONFLICT, "out_of_order");
}

/// A re-seed is a journal creation: the hourly limit per address holds.
async fn reseeds_count_as_new_journals(backend: &Backend) {
    let t = backend
        .relay_with(attune_relay::config::Config {
            max_journals_per_hour: 1,
            ..attune_relay::config::Config::default()
        })
        .await;
    let a = Device::new(1);
    let (first, second) = (journal(5), journal(6));
    reseed(
        &t.router,
        first,
        &a,
        vec![genesis(first, &[&a], &a)],
        vec![],
    )
    .await
    .ok();
    reseed(
        &t.router,
        second,
        &a,
        vec![genesis(second, &[&a], &a)],
        vec![],
    )
    .await
    .refused(StatusCode::TOO_MANY_REQUESTS, "too_many_journals");
    // The journal it re-seeded is served.
    common::login(&t.router, first, &a, None).await;
}

on_each_backend!(
    a_later_device_reseeds_the_whole_chain,
    bad_reseeds_are_refused,
    reseeds_count_as_new_journals
);
