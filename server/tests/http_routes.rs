//! The router serves every path of `attune_proto::routes`, the paths devices build.

mod common;

use attune_proto::routes::{self, PairingSide};
use axum::http::{Method, StatusCode};
use common::*;

#[tokio::test]
async fn every_route_a_client_builds_is_served() {
    let t = relay().await;
    let j = journal(1);
    let paths = [
        routes::challenge(j),
        routes::session(j),
        routes::reseed(j),
        routes::roster(j),
        routes::keys(j),
        routes::push(j),
        routes::pull(j, attune_proto::RelaySeq(0), 10),
        routes::live(j),
        routes::pairing_open(j),
        routes::snapshot(j),
        routes::compact(j),
        routes::pairing(42),
        routes::pairing_messages(42, PairingSide::Existing),
        routes::pairing_read(42, PairingSide::New, 0),
        routes::recovery(attune_proto::DeviceId([7; 16])),
        routes::HEALTH.to_owned(),
        routes::READY.to_owned(),
        routes::METRICS.to_owned(),
    ];
    assert_eq!(paths.len(), routes::ALL.len() + 2, "a route is not tried");
    for path in paths {
        // A path no route matches is `404 not_found` whatever the method; a
        // served one answers GET (or refuses it, 405, or refuses its request).
        let reply = call(&t.router, Method::GET, &path, None, Vec::new()).await;
        if reply.status == StatusCode::NOT_FOUND {
            assert_ne!(reply.code(), "not_found", "{path} is not routed");
        }
    }
}
