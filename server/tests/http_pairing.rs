//! The pairing endpoints over HTTP, in process: opening commits to a cancel
//! token and is capped per address; only the token closes; lookups of
//! numbers that do not exist are cut off per address, known numbers included
//! (so the refusal says nothing about which numbers exist).

mod common;

use attune_proto::{PairingCancel, PairingOpen, PairingSlot, WIRE_VERSION};
use attune_relay::pairing::{cancel_commitment, LOOKUP_MISSES, MAX_PAIRING_MESSAGE};
use attune_relay::Config;
use axum::http::{Method, StatusCode};
use common::*;

const TOKEN: [u8; 32] = [9; 32];

fn open_body() -> Vec<u8> {
    PairingOpen {
        v: WIRE_VERSION,
        cancel_commitment: cancel_commitment(&TOKEN),
    }
    .encode()
}

fn cancel_body(token: [u8; 32]) -> Vec<u8> {
    PairingCancel {
        v: WIRE_VERSION,
        cancel_token: token,
    }
    .encode()
}

#[tokio::test]
async fn opening_is_capped_per_address_and_only_the_token_closes() {
    let t = relay_with(Config {
        max_pairings_per_ip: 2,
        ..Config::default()
    })
    .await;
    let j = journal(1);
    let token = create_journal(&t.router, j, &[&Device::new(1)]).await;
    let open = path(j, "pairing");
    // Opening without a commitment is refused.
    let reply = call(&t.router, Method::POST, &open, Some(&token), Vec::new()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let first = call(&t.router, Method::POST, &open, Some(&token), open_body()).await;
    let slot = PairingSlot::decode(first.ok()).unwrap();
    assert!((1..=999_999).contains(&slot.nameplate));
    call(&t.router, Method::POST, &open, Some(&token), open_body())
        .await
        .ok();
    call(&t.router, Method::POST, &open, Some(&token), open_body())
        .await
        .refused(StatusCode::TOO_MANY_REQUESTS, "too_many_pairings_from_ip");

    let n = slot.nameplate;
    let post = format!("/v1/pairing/{n}/existing");
    let reply = call(&t.router, Method::POST, &post, None, b"pake".to_vec()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    call(
        &t.router,
        Method::POST,
        &post,
        None,
        vec![0; MAX_PAIRING_MESSAGE + 1],
    )
    .await
    .refused(StatusCode::PAYLOAD_TOO_LARGE, "pairing_message_too_large");

    let close = format!("/v1/pairing/{n}");
    let reply = call(&t.router, Method::DELETE, &close, None, Vec::new()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "no proof, no close");
    call(
        &t.router,
        Method::DELETE,
        &close,
        None,
        cancel_body([8; 32]),
    )
    .await
    .refused(StatusCode::FORBIDDEN, "pairing_cancel_refused");
    let reply = call(&t.router, Method::POST, &post, None, b"still open".to_vec()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = call(&t.router, Method::DELETE, &close, None, cancel_body(TOKEN)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    call(&t.router, Method::POST, &post, None, b"late".to_vec())
        .await
        .refused(StatusCode::CONFLICT, "pairing_closed");
}

#[tokio::test]
async fn walking_unknown_numbers_is_cut_off_per_address() {
    let t = relay().await;
    let j = journal(1);
    let token = create_journal(&t.router, j, &[&Device::new(1)]).await;
    let open = path(j, "pairing");
    let reply = call(&t.router, Method::POST, &open, Some(&token), open_body()).await;
    let n = PairingSlot::decode(reply.ok()).unwrap().nameplate;
    let known = format!("/v1/pairing/{n}/new?after=0");
    call(&t.router, Method::GET, &known, None, Vec::new())
        .await
        .ok();
    let unknown = if n == 1 { 2 } else { n - 1 };
    for _ in 0..LOOKUP_MISSES {
        call(
            &t.router,
            Method::GET,
            &format!("/v1/pairing/{unknown}/new?after=0"),
            None,
            Vec::new(),
        )
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_pairing");
    }
    for path in [format!("/v1/pairing/{unknown}/new?after=0"), known] {
        call(&t.router, Method::GET, &path, None, Vec::new())
            .await
            .refused(StatusCode::TOO_MANY_REQUESTS, "too_many_pairing_lookups");
    }
    call(
        &t.router,
        Method::POST,
        &format!("/v1/pairing/{unknown}/new"),
        None,
        b"x".to_vec(),
    )
    .await
    .refused(StatusCode::TOO_MANY_REQUESTS, "too_many_pairing_lookups");
}
