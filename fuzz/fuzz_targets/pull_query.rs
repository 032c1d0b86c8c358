//! Fuzzes the query of a pull (`?after=N&limit=M`) with the relay's own
//! `PullQuery` type: serde_urlencoded must never panic, and axum's `Query`
//! extractor (what the route uses) must agree with it on every query it can
//! see in a URI.
#![no_main]

use attune_relay::routes::envelopes::PullQuery;
use axum::extract::Query;
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let direct = serde_urlencoded::from_bytes::<PullQuery>(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = format!("/v1/journals/j/envelopes?{text}").parse::<Uri>() else {
        return;
    };
    // A URI whose query is not these exact bytes (a `#` ends it) is another input.
    if uri.query() != Some(text) {
        return;
    }
    let through_axum = Query::<PullQuery>::try_from_uri(&uri);
    match (&direct, &through_axum) {
        (Ok(a), Ok(Query(b))) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "serde_urlencoded and axum disagree on {text:?}: {:?} vs {:?}",
            direct.map(|q| format!("{q:?}")),
            through_axum
                .map(|Query(q)| format!("{q:?}"))
                .map_err(|e| e.body_text())
        ),
    }
});
