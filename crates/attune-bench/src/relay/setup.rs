//! Setting up: journals created and every device authenticated over HTTP.

use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use attune_crypto::{genesis_roster, DeviceIdentity, JournalKey};
use attune_proto::{
    auth_message, Challenge, ChallengeRequest, DeviceId, Epoch, JournalId, Roster, Session,
    SessionRequest, WIRE_VERSION,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::SETUP_CONCURRENCY;
use crate::sync::Journal;

/// A journal of the benchmark: its keys and devices, and each device's session token.
pub(super) struct BenchJournal {
    pub(super) journal: Journal,
    pub(super) tokens: Vec<String>,
    /// Device 0's last pushed sequence number and envelope hash.
    pub(super) pushed: Mutex<(u64, [u8; 32])>,
}

pub(super) async fn post_wire(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    method: reqwest::Method,
    body: Vec<u8>,
) -> Result<Vec<u8>> {
    let mut request = http.request(method, url).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.with_context(|| url.to_string())?;
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        bail!("{url}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(bytes.to_vec())
}

/// Challenge and session of one device; `genesis` creates the journal.
async fn authenticate(
    http: &reqwest::Client,
    base: &str,
    journal: JournalId,
    device: DeviceId,
    identity: &DeviceIdentity,
    genesis: Option<Roster>,
) -> Result<String> {
    let url = format!("{base}/v1/journals/{journal}");
    let request = ChallengeRequest {
        v: WIRE_VERSION,
        device_id: device,
    };
    let challenge = Challenge::decode(
        &post_wire(
            http,
            &format!("{url}/challenge"),
            None,
            reqwest::Method::POST,
            request.encode(),
        )
        .await?,
    )?;
    let request = SessionRequest {
        v: WIRE_VERSION,
        device_id: device,
        nonce: challenge.nonce,
        signature: identity.sign(&auth_message(journal, device, &challenge.nonce)),
        genesis,
    };
    let session = Session::decode(
        &post_wire(
            http,
            &format!("{url}/session"),
            None,
            reqwest::Method::POST,
            request.encode(),
        )
        .await?,
    )?;
    Ok(session.token)
}

/// `count` journals of `per` devices each, every device authenticated.
pub(super) async fn create_journals(
    http: &reqwest::Client,
    base: &str,
    count: usize,
    per: usize,
) -> Result<Vec<BenchJournal>> {
    stream::iter(0..count)
        .map(|_| create_journal(http, base, per))
        .buffered(SETUP_CONCURRENCY / per.clamp(1, 8))
        .try_collect()
        .await
}

async fn create_journal(http: &reqwest::Client, base: &str, per: usize) -> Result<BenchJournal> {
    let id = JournalId(attune_crypto::random_bytes());
    let devices: Vec<(DeviceId, DeviceIdentity)> = (0..per)
        .map(|_| {
            (
                DeviceId(attune_crypto::random_bytes()),
                DeviceIdentity::generate(),
            )
        })
        .collect();
    let (d0, id0) = &devices[0];
    let key = JournalKey::generate();
    // Every device is in the genesis: one roster version, signed by the first.
    let genesis = genesis_roster(
        id0,
        *d0,
        id,
        crate::sync::members_of(&devices),
        Epoch(1),
        &key,
    );
    let first = authenticate(http, base, id, *d0, id0, Some(genesis)).await?;
    let mut tokens = vec![first];
    for (d, identity) in &devices[1..] {
        tokens.push(authenticate(http, base, id, *d, identity, None).await?);
    }
    Ok(BenchJournal {
        journal: Journal { id, key, devices },
        tokens,
        pushed: Mutex::new((0, [0; 32])),
    })
}
