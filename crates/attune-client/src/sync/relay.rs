//! Talking to the relay: authentication, rosters, keys, push, pull, live socket.

use std::time::Duration;

use attune_crypto::DeviceIdentity;
use attune_proto::{
    auth_message,
    routes::{self, PairingSide},
    Challenge, ChallengeRequest, DeviceId, Envelope, ErrorBody, ErrorCode, JournalId, PullResponse,
    PushRequest, PushResponse, RelaySeq, Roster, RosterList, RosterUpdate, Session, SessionRequest,
    WrappedKeys, WIRE_VERSION,
};

use crate::sync::SyncError;

/// One authenticated connection to a journal on a relay.
pub struct RelayClient {
    http: reqwest::Client,
    base: String,
    journal: JournalId,
    token: String,
}

fn trim_base(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// The reqwest client used for the relay (timeouts so a dead relay cannot hang a sync).
fn http_client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| SyncError::Network(e.to_string()))
}

async fn refusal(resp: reqwest::Response) -> SyncError {
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(e) => SyncError::Refused {
            status: status.as_u16(),
            code: e.code(),
            message: e.message,
        },
        Err(_) => SyncError::Refused {
            status: status.as_u16(),
            code: ErrorCode::Unknown,
            message: String::from_utf8_lossy(&body).chars().take(200).collect(),
        },
    }
}

/// An unauthenticated POST (challenge and session).
async fn post(http: &reqwest::Client, url: &str, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
    let resp = http.post(url).body(body).send().await.map_err(network)?;
    if !resp.status().is_success() {
        return Err(refusal(resp).await);
    }
    resp.bytes().await.map(|b| b.to_vec()).map_err(network)
}

fn network(e: reqwest::Error) -> SyncError {
    SyncError::Network(e.to_string())
}

impl RelayClient {
    /// Prove possession of the device key and open a session. `genesis` creates
    /// the journal on the relay if it does not exist yet (the first device).
    pub async fn connect(
        relay_url: &str,
        journal: JournalId,
        device: DeviceId,
        identity: &DeviceIdentity,
        genesis: Option<Roster>,
    ) -> Result<RelayClient, SyncError> {
        let http = http_client()?;
        let base = trim_base(relay_url);
        let req = ChallengeRequest {
            v: WIRE_VERSION,
            device_id: device,
        };
        let challenge = Challenge::decode(
            &post(
                &http,
                &format!("{base}{}", routes::challenge(journal)),
                req.encode(),
            )
            .await?,
        )?;
        let signature = identity.sign(&auth_message(journal, device, &challenge.nonce));
        let req = SessionRequest {
            v: WIRE_VERSION,
            device_id: device,
            nonce: challenge.nonce,
            signature,
            genesis,
        };
        let session = Session::decode(
            &post(
                &http,
                &format!("{base}{}", routes::session(journal)),
                req.encode(),
            )
            .await?,
        )?;
        Ok(RelayClient {
            http,
            base,
            journal,
            token: session.token,
        })
    }

    async fn get(&self, path: String) -> Result<Vec<u8>, SyncError> {
        self.send(reqwest::Method::GET, path, Vec::new()).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: String,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, SyncError> {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .await
            .map_err(network)?;
        if !resp.status().is_success() {
            return Err(refusal(resp).await);
        }
        resp.bytes().await.map(|b| b.to_vec()).map_err(network)
    }

    /// Every roster version the relay holds, oldest first.
    pub async fn rosters(&self) -> Result<Vec<Roster>, SyncError> {
        Ok(RosterList::decode(&self.get(routes::roster(self.journal)).await?)?.rosters)
    }

    /// Publish the next roster version together with the keys it needs, in one step.
    pub async fn put_roster(&self, update: &RosterUpdate) -> Result<(), SyncError> {
        self.send(
            reqwest::Method::PUT,
            routes::roster(self.journal),
            update.encode(),
        )
        .await
        .map(|_| ())
    }

    /// The journal keys wrapped to this device.
    pub async fn keys(&self) -> Result<WrappedKeys, SyncError> {
        Ok(WrappedKeys::decode(
            &self.get(routes::keys(self.journal)).await?,
        )?)
    }

    /// Store journal keys wrapped to devices.
    pub async fn put_keys(&self, keys: &WrappedKeys) -> Result<(), SyncError> {
        self.send(
            reqwest::Method::PUT,
            routes::keys(self.journal),
            keys.encode(),
        )
        .await
        .map(|_| ())
    }

    /// Push envelopes; acknowledged only after the relay committed them.
    pub async fn push(&self, envelopes: Vec<Envelope>) -> Result<PushResponse, SyncError> {
        let body = PushRequest {
            v: WIRE_VERSION,
            envelopes,
        }
        .encode();
        Ok(PushResponse::decode(
            &self
                .send(reqwest::Method::POST, routes::push(self.journal), body)
                .await?,
        )?)
    }

    /// One page of envelopes after `after`.
    pub async fn pull(&self, after: RelaySeq, limit: u32) -> Result<PullResponse, SyncError> {
        Ok(PullResponse::decode(
            &self.get(routes::pull(self.journal, after, limit)).await?,
        )?)
    }

    /// The journal's newest snapshot (if any), head and compaction point.
    pub async fn snapshot(&self) -> Result<attune_proto::SnapshotResponse, SyncError> {
        Ok(attune_proto::SnapshotResponse::decode(
            &self.get(routes::snapshot(self.journal)).await?,
        )?)
    }

    /// Upload a snapshot; the relay verifies its covers before storing it.
    pub async fn put_snapshot(
        &self,
        snapshot: &attune_proto::Snapshot,
    ) -> Result<attune_proto::SnapshotStored, SyncError> {
        Ok(attune_proto::SnapshotStored::decode(
            &self
                .send(
                    reqwest::Method::PUT,
                    routes::snapshot(self.journal),
                    snapshot.encode(),
                )
                .await?,
        )?)
    }

    /// Ask the relay to delete the envelopes the stored snapshot `hash` covers.
    pub async fn compact(
        &self,
        hash: [u8; 32],
    ) -> Result<attune_proto::CompactResponse, SyncError> {
        let body = attune_proto::CompactRequest {
            v: WIRE_VERSION,
            snapshot_hash: hash,
        }
        .encode();
        Ok(attune_proto::CompactResponse::decode(
            &self
                .send(reqwest::Method::POST, routes::compact(self.journal), body)
                .await?,
        )?)
    }

    /// Open a pairing rendezvous for this journal (a member only).
    pub async fn open_pairing(&self) -> Result<attune_proto::PairingSlot, SyncError> {
        Ok(attune_proto::PairingSlot::decode(
            &self
                .send(
                    reqwest::Method::POST,
                    routes::pairing_open(self.journal),
                    Vec::new(),
                )
                .await?,
        )?)
    }

    /// The WebSocket URL of the live channel, with the session token.
    pub fn live_url(&self) -> String {
        let ws_base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        format!(
            "{ws_base}{}?token={}",
            routes::live(self.journal),
            self.token
        )
    }
}

/// The unauthenticated side of a pairing rendezvous (the new device has no session).
pub struct Rendezvous {
    http: reqwest::Client,
    base: String,
    nameplate: u32,
    side: PairingSide,
    read: usize,
}

impl Rendezvous {
    /// The rendezvous `nameplate` on `relay_url`, as `side`.
    pub fn new(
        relay_url: &str,
        nameplate: u32,
        side: PairingSide,
    ) -> Result<Rendezvous, SyncError> {
        Ok(Rendezvous {
            http: http_client()?,
            base: trim_base(relay_url),
            nameplate,
            side,
            read: 0,
        })
    }

    /// Post one message to the other side.
    pub async fn send(&self, message: Vec<u8>) -> Result<(), SyncError> {
        let path = routes::pairing_messages(self.nameplate, self.side);
        post(&self.http, &format!("{}{path}", self.base), message)
            .await
            .map(|_| ())
    }

    /// Wait for the other side's next message, polling until `deadline`.
    pub async fn receive(&mut self, deadline: std::time::Instant) -> Result<Vec<u8>, SyncError> {
        loop {
            let path = routes::pairing_read(self.nameplate, self.side, self.read);
            let url = format!("{}{path}", self.base);
            let resp = self.http.get(&url).send().await.map_err(network)?;
            if !resp.status().is_success() {
                return Err(refusal(resp).await);
            }
            let got = attune_proto::PairingMessages::decode(&resp.bytes().await.map_err(network)?)?;
            if let Some(first) = got.messages.into_iter().next() {
                self.read += 1;
                return Ok(first.into_vec());
            }
            if got.closed {
                return Err(SyncError::PairingClosed);
            }
            if std::time::Instant::now() >= deadline {
                return Err(SyncError::PairingTimeout);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Close the rendezvous (after success or failure); errors are ignored.
    pub async fn close(&self) {
        let path = routes::pairing(self.nameplate);
        let _ = self
            .http
            .delete(format!("{}{path}", self.base))
            .send()
            .await;
    }
}
