//! The plain HTTP every call to a relay shares: the client with its
//! timeouts, the base address, unauthenticated posts, network errors.

use std::time::Duration;

use crate::sync::bounded::{read_capped, refusal, ReadLimits};
use crate::sync::SyncError;

/// The relay's address without a trailing slash.
pub(super) fn trim_base(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// The reqwest client used for the relay (timeouts so a dead relay cannot hang a sync).
pub(super) fn http_client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| SyncError::Network(e.to_string()))
}

/// An unauthenticated POST (challenge and session).
pub(super) async fn post(
    http: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    what: &'static str,
) -> Result<Vec<u8>, SyncError> {
    send(http.post(url).body(body), what).await
}

/// Send an unauthenticated request and read its (capped) answer.
pub(super) async fn send(
    request: reqwest::RequestBuilder,
    what: &'static str,
) -> Result<Vec<u8>, SyncError> {
    let limits = ReadLimits::default();
    let resp = request.send().await.map_err(network)?;
    if !resp.status().is_success() {
        return Err(refusal(resp, limits.error_bytes).await);
    }
    read_capped(resp, what, limits.response_bytes).await
}

pub(super) fn network(e: reqwest::Error) -> SyncError {
    SyncError::Network(e.to_string())
}
