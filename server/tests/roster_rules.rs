//! The one roster rule (`attune-roster`) and the key rules, through the HTTP
//! API: rosters that re-key, redirect or hide a removal are refused; keys are
//! never replaced nor planted ahead of their epoch; a roster update and its
//! keys are stored together or not at all.
//!
//! Every test runs on SQLite (`sqlite::…`) and on a fresh PostgreSQL schema
//! (`postgres::…`), instantiated by `on_each_backend!` at the end of this file.

#[macro_use]
mod common;

use attune_proto::*;
use axum::http::{Method, StatusCode};
use common::*;
use ed25519_dalek::SigningKey;

async fn rosters(t: &TestRelay, j: JournalId, token: &str) -> Vec<Roster> {
    let reply = call(
        &t.router,
        Method::GET,
        &path(j, "roster"),
        Some(token),
        vec![],
    )
    .await;
    RosterList::decode(reply.ok()).unwrap().rosters
}

/// Refused with 400 `invalid_roster`, the broken rule named in the message.
#[track_caller]
fn invalid(reply: Reply, reason: &str) {
    reply.refused(StatusCode::BAD_REQUEST, "invalid_roster");
    assert!(
        reply.message().contains(reason),
        "{:?} does not say {reason:?}",
        reply.message()
    );
}

async fn rosters_that_rekey_redirect_or_hide_a_removal_are_refused(on: &Backend) {
    let t = on.relay().await;
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(7);
    let token_a = create_journal(&t.router, j, &[&a, &b, &c]).await;
    let v1 = genesis(j, &[&a, &b, &c], &a);
    let put = |roster: Roster| put_roster(&t.router, j, &token_a, roster, Vec::new());

    // a re-keys b: same id, a new Ed25519 key (it would then log in as b).
    let impostor = Device {
        id: b.id,
        key: SigningKey::from_bytes(&[99; 32]),
    };
    invalid(
        put(next_roster_same_epoch(&v1, &[&a, &impostor, &c], &a)).await,
        "signing key",
    );
    invalid(
        put(next_roster(&v1, &[&a, &impostor, &c], &a)).await,
        "signing key",
    );
    // a redirects b's age recipient (new journal keys would go to a's key).
    let mut redirect = next_roster(&v1, &[&a, &b, &c], &a);
    redirect.devices[1].age_recipient = age_recipient(99);
    invalid(
        put(sign_roster(redirect, &a)).await,
        "receives journal keys",
    );
    // a removes c without rotating the journal key (c could read on).
    invalid(
        put(next_roster_same_epoch(&v1, &[&a, &b], &a)).await,
        "without rotating",
    );
    // ... or removes it without recording it as revoked.
    let mut hidden = next_roster(&v1, &[&a, &b], &a);
    hidden.revoked.clear();
    invalid(put(sign_roster(hidden, &a)).await, "revoked");
    // A new key needs a new epoch, and a new epoch a new key.
    let mut swapped = next_roster_same_epoch(&v1, &[&a, &b, &c], &a);
    swapped.key_commitment = [7; 32];
    invalid(
        put(sign_roster(swapped, &a)).await,
        "without raising the epoch",
    );
    let mut stale = next_roster(&v1, &[&a, &b, &c], &a);
    stale.key_commitment = v1.key_commitment;
    invalid(put(sign_roster(stale, &a)).await, "keeps the old key");
    let mut back = next_roster(&v1, &[&a, &b, &c], &a);
    back.epoch = Epoch(0);
    invalid(put(sign_roster(back, &a)).await, "backwards");

    // A proper removal of c: new epoch, c recorded as revoked.
    let v2 = next_roster(&v1, &[&a, &b], &a);
    assert_eq!(v2.revoked.len(), 1);
    put(v2.clone()).await.ok();
    // Later versions may not drop c from the revoked list, nor take c back.
    let mut forgotten = next_roster_same_epoch(&v2, &[&a, &b], &a);
    forgotten.revoked.clear();
    invalid(put(sign_roster(forgotten, &a)).await, "revoked devices");
    invalid(
        put(next_roster_same_epoch(&v2, &[&a, &b, &c], &a)).await,
        "revoked device as a member",
    );
    // A current-format roster is required.
    let mut old = next_roster_same_epoch(&v2, &[&a, &b], &a);
    old.v = 1;
    put(sign_roster(old, &a))
        .await
        .refused(StatusCode::BAD_REQUEST, "unsupported_version");

    // Only v1 and v2 were stored; b still logs in with its own key.
    assert_eq!(rosters(&t, j, &token_a).await, vec![v1, v2]);
    login(&t.router, j, &b, None).await;
}

async fn keys_are_never_replaced_nor_planted_ahead(on: &Backend) {
    let t = on.relay().await;
    let (a, b, c) = (Device::new(1), Device::new(2), Device::new(3));
    let j = journal(8);
    let token_a = create_journal(&t.router, j, &[&a, &b, &c]).await;
    let token_b = login(&t.router, j, &b, None).await;
    let token_c = login(&t.router, j, &c, None).await;
    let keys = vec![wrapped(&a, 1, b"a1"), wrapped(&b, 1, b"b1")];
    put_keys(&t.router, j, &token_a, keys).await.ok();

    // b tries to lock a out by replacing a's key: refused, a's key unchanged.
    put_keys(&t.router, j, &token_b, vec![wrapped(&a, 1, b"garbage")])
        .await
        .refused(StatusCode::CONFLICT, "key_exists");
    assert_eq!(
        get_keys(&t.router, j, &token_a).await,
        vec![wrapped(&a, 1, b"a1")]
    );
    // The same key again is fine (a retried upload).
    put_keys(&t.router, j, &token_b, vec![wrapped(&a, 1, b"a1")])
        .await
        .ok();
    // One conflicting key refuses the whole request: c's key is not stored either.
    let mixed = vec![wrapped(&c, 1, b"c1"), wrapped(&b, 1, b"b1 other")];
    put_keys(&t.router, j, &token_a, mixed)
        .await
        .refused(StatusCode::CONFLICT, "key_exists");
    assert!(get_keys(&t.router, j, &token_c).await.is_empty());
    // Nobody plants a key of an epoch the roster has not reached.
    put_keys(&t.router, j, &token_b, vec![wrapped(&a, 2, b"planted")])
        .await
        .refused(StatusCode::BAD_REQUEST, "unknown_epoch");
    assert_eq!(
        get_keys(&t.router, j, &token_a).await,
        vec![wrapped(&a, 1, b"a1")]
    );
    // Epoch 2 comes with its roster version, keys and all.
    let v2 = next_roster(&genesis(j, &[&a, &b, &c], &a), &[&a, &b, &c], &a);
    let keys = vec![wrapped(&a, 2, b"a2"), wrapped(&c, 2, b"c2")];
    put_roster(&t.router, j, &token_a, v2, keys).await.ok();
    assert_eq!(
        get_keys(&t.router, j, &token_a).await,
        vec![wrapped(&a, 1, b"a1"), wrapped(&a, 2, b"a2")]
    );
    // b adds its own missing key of epoch 2, which nobody held before.
    put_keys(&t.router, j, &token_b, vec![wrapped(&b, 2, b"b2")])
        .await
        .ok();
    assert_eq!(
        get_keys(&t.router, j, &token_b).await,
        vec![wrapped(&b, 1, b"b1"), wrapped(&b, 2, b"b2")]
    );
}

async fn a_roster_update_and_its_keys_are_stored_together_or_not_at_all(on: &Backend) {
    let t = on.relay().await;
    let (a, b, c, d) = (
        Device::new(1),
        Device::new(2),
        Device::new(3),
        Device::new(4),
    );
    let j = journal(9);
    let token_a = create_journal(&t.router, j, &[&a, &b]).await;
    let token_b = login(&t.router, j, &b, None).await;
    let v1 = genesis(j, &[&a, &b], &a);
    let keys = vec![wrapped(&a, 1, b"a1"), wrapped(&b, 1, b"b1")];
    put_keys(&t.router, j, &token_a, keys).await.ok();
    let v2 = next_roster_same_epoch(&v1, &[&a, &b, &c], &a);
    let put = |keys: Vec<WrappedKey>| put_roster(&t.router, j, &token_a, v2.clone(), keys);

    // A key that would replace b's: neither the roster nor c's key is stored.
    put(vec![wrapped(&c, 1, b"c1"), wrapped(&b, 1, b"b1 other")])
        .await
        .refused(StatusCode::CONFLICT, "key_exists");
    assert_eq!(rosters(&t, j, &token_a).await, vec![v1.clone()]);
    try_login(&t.router, j, &c, None)
        .await
        .refused(StatusCode::FORBIDDEN, "not_in_roster");
    assert_eq!(
        get_keys(&t.router, j, &token_b).await,
        vec![wrapped(&b, 1, b"b1")]
    );
    // Keys for a device the new version does not list, or a later epoch.
    put(vec![wrapped(&c, 1, b"c1"), wrapped(&d, 1, b"d1")])
        .await
        .refused(StatusCode::BAD_REQUEST, "unknown_device");
    put(vec![wrapped(&c, 1, b"c1"), wrapped(&c, 2, b"c2")])
        .await
        .refused(StatusCode::BAD_REQUEST, "unknown_epoch");
    assert_eq!(rosters(&t, j, &token_a).await, vec![v1.clone()]);

    // Keys identical to stored ones are fine; roster and keys land together.
    put(vec![wrapped(&c, 1, b"c1"), wrapped(&b, 1, b"b1")])
        .await
        .ok();
    let token_c = login(&t.router, j, &c, None).await;
    assert_eq!(
        get_keys(&t.router, j, &token_c).await,
        vec![wrapped(&c, 1, b"c1")]
    );
    // Removing b brings epoch 2 for the others only; b gets nothing more.
    let v3 = next_roster(&v2, &[&a, &c], &c);
    let keys = vec![wrapped(&a, 2, b"a2"), wrapped(&c, 2, b"c2")];
    put_roster(&t.router, j, &token_c, v3.clone(), keys)
        .await
        .ok();
    put_keys(&t.router, j, &token_a, vec![wrapped(&b, 2, b"b2")])
        .await
        .refused(StatusCode::BAD_REQUEST, "unknown_device");
    assert_eq!(rosters(&t, j, &token_a).await, vec![v1, v2, v3]);
    assert_eq!(
        get_keys(&t.router, j, &token_c).await,
        vec![wrapped(&c, 1, b"c1"), wrapped(&c, 2, b"c2")]
    );
}

on_each_backend!(
    rosters_that_rekey_redirect_or_hide_a_removal_are_refused,
    keys_are_never_replaced_nor_planted_ahead,
    a_roster_update_and_its_keys_are_stored_together_or_not_at_all,
);
