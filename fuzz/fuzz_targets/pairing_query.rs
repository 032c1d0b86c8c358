//! Fuzzes the query of a pairing read (`?after=N`) with the relay's own
//! `After` type: serde_urlencoded must never panic, and axum's `Query`
//! extractor (what the route uses) must accept exactly what it accepts.
#![no_main]

use attune_relay::routes::pairing::After;
use axum::extract::Query;
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let direct = serde_urlencoded::from_bytes::<After>(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = format!("/v1/pairing/1/new?{text}").parse::<Uri>() else {
        return;
    };
    if uri.query() != Some(text) {
        return;
    }
    let through_axum = Query::<After>::try_from_uri(&uri);
    assert_eq!(
        direct.is_ok(),
        through_axum.is_ok(),
        "serde_urlencoded and axum disagree on {text:?}"
    );
});
