//! Talking to the relay: authentication, rosters, keys, push, pull, live socket.

use attune_crypto::DeviceIdentity;
use attune_proto::{
    auth_message, routes, Challenge, ChallengeRequest, DeviceId, Envelope, JournalId, PullResponse,
    PushRequest, PushResponse, RelaySeq, Roster, RosterList, RosterUpdate, Session, SessionRequest,
    WrappedKeys, WIRE_VERSION,
};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header::AUTHORIZATION, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::sync::bounded::{read_capped, refusal, refusal_of, ReadLimits};
use crate::sync::http::send;
pub(super) use crate::sync::http::{http_client, network, post, trim_base};
use crate::sync::SyncError;

/// The live WebSocket to a relay.
pub type LiveSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The header that carries an invite to a relay that requires one to create a journal.
pub const INVITE_HEADER: &str = "Attune-Invite";

/// One authenticated connection to a journal on a relay.
pub struct RelayClient {
    http: reqwest::Client,
    base: String,
    journal: JournalId,
    token: String,
    limits: ReadLimits,
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
        Self::connect_invited(relay_url, journal, device, identity, genesis, None).await
    }

    /// [`RelayClient::connect`] with the invite a relay that requires one
    /// (`--require-invite`) wants before it creates a journal (sent as the
    /// `Attune-Invite` header, only with a genesis).
    pub async fn connect_invited(
        relay_url: &str,
        journal: JournalId,
        device: DeviceId,
        identity: &DeviceIdentity,
        genesis: Option<Roster>,
        invite: Option<&str>,
    ) -> Result<RelayClient, SyncError> {
        let creates = genesis.is_some();
        RelayClient::answer_challenge(
            relay_url,
            journal,
            device,
            identity,
            invite.filter(|_| creates),
            |nonce, signature| {
                let req = SessionRequest {
                    v: WIRE_VERSION,
                    device_id: device,
                    nonce,
                    signature,
                    genesis,
                };
                (routes::session(journal), req.encode())
            },
        )
        .await
    }

    /// Answers a challenge of the relay with `answer(nonce, signature)`, a
    /// path and body that trade it for a session (with `invite`, when given,
    /// as the `Attune-Invite` header).
    pub(super) async fn answer_challenge(
        relay_url: &str,
        journal: JournalId,
        device: DeviceId,
        identity: &DeviceIdentity,
        invite: Option<&str>,
        answer: impl FnOnce([u8; 32], [u8; 64]) -> (String, Vec<u8>),
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
                "a challenge",
            )
            .await?,
        )?;
        let signature = identity.sign(&auth_message(journal, device, &challenge.nonce));
        let (path, body) = answer(challenge.nonce, signature);
        let mut request = http.post(format!("{base}{path}")).body(body);
        if let Some(invite) = invite {
            request = request.header(INVITE_HEADER, invite);
        }
        let session = Session::decode(&send(request, "a session").await?)?;
        Ok(RelayClient {
            http,
            base,
            journal,
            token: session.token,
            limits: ReadLimits::from_env(),
        })
    }

    /// This client with other read caps (the defaults come from [`ReadLimits::from_env`]).
    pub fn with_read_limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The most this client reads from the relay.
    pub fn read_limits(&self) -> ReadLimits {
        self.limits
    }

    async fn get(&self, path: String, what: &'static str) -> Result<Vec<u8>, SyncError> {
        self.send(reqwest::Method::GET, path, Vec::new(), what)
            .await
    }

    /// Sends a request and reads the answer, capped at [`ReadLimits::response_bytes`].
    async fn send(
        &self,
        method: reqwest::Method,
        path: String,
        body: Vec<u8>,
        what: &'static str,
    ) -> Result<Vec<u8>, SyncError> {
        let limit = self.limits.response_bytes;
        self.send_capped(method, path, body, what, limit).await
    }

    /// Sends a request and reads the answer, stopping past `limit` bytes.
    async fn send_capped(
        &self,
        method: reqwest::Method,
        path: String,
        body: Vec<u8>,
        what: &'static str,
        limit: usize,
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
            return Err(refusal(resp, self.limits.error_bytes).await);
        }
        read_capped(resp, what, limit).await
    }

    /// Every roster version the relay holds, oldest first.
    pub async fn rosters(&self) -> Result<Vec<Roster>, SyncError> {
        Ok(RosterList::decode(
            &self
                .get(routes::roster(self.journal), "the journal's rosters")
                .await?,
        )?
        .rosters)
    }

    /// Publish the next roster version together with the keys it needs, in one step.
    pub async fn put_roster(&self, update: &RosterUpdate) -> Result<(), SyncError> {
        self.send(
            reqwest::Method::PUT,
            routes::roster(self.journal),
            update.encode(),
            "the answer to a roster update",
        )
        .await
        .map(|_| ())
    }

    /// The journal keys wrapped to this device.
    pub async fn keys(&self) -> Result<WrappedKeys, SyncError> {
        Ok(WrappedKeys::decode(
            &self
                .get(routes::keys(self.journal), "this device's keys")
                .await?,
        )?)
    }

    /// Store journal keys wrapped to devices.
    pub async fn put_keys(&self, keys: &WrappedKeys) -> Result<(), SyncError> {
        self.send(
            reqwest::Method::PUT,
            routes::keys(self.journal),
            keys.encode(),
            "the answer to storing keys",
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
                .send(
                    reqwest::Method::POST,
                    routes::push(self.journal),
                    body,
                    "the answer to a push",
                )
                .await?,
        )?)
    }

    /// One page of envelopes after `after`.
    pub async fn pull(&self, after: RelaySeq, limit: u32) -> Result<PullResponse, SyncError> {
        Ok(PullResponse::decode(
            &self
                .get(
                    routes::pull(self.journal, after, limit),
                    "a page of envelopes",
                )
                .await?,
        )?)
    }

    /// The journal's newest snapshot (if any), head and compaction point.
    pub async fn snapshot(&self) -> Result<attune_proto::SnapshotResponse, SyncError> {
        Ok(attune_proto::SnapshotResponse::decode(
            &self
                .send_capped(
                    reqwest::Method::GET,
                    routes::snapshot(self.journal),
                    Vec::new(),
                    "the journal's snapshot",
                    self.limits.snapshot_bytes,
                )
                .await?,
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
                    "the answer to a snapshot upload",
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
                .send(
                    reqwest::Method::POST,
                    routes::compact(self.journal),
                    body,
                    "the answer to a compaction",
                )
                .await?,
        )?)
    }

    /// Open a pairing rendezvous for this journal (a member only), closable
    /// only with the token behind `cancel_commitment`.
    pub async fn open_pairing(
        &self,
        cancel_commitment: [u8; 32],
    ) -> Result<attune_proto::PairingSlot, SyncError> {
        let body = attune_proto::PairingOpen {
            v: WIRE_VERSION,
            cancel_commitment,
        }
        .encode();
        Ok(attune_proto::PairingSlot::decode(
            &self
                .send(
                    reqwest::Method::POST,
                    routes::pairing_open(self.journal),
                    body,
                    "a pairing slot",
                )
                .await?,
        )?)
    }

    /// The WebSocket URL of the live channel (without the token: see [`RelayClient::open_live`]).
    pub fn live_url(&self) -> String {
        let ws_base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        format!("{ws_base}{}", routes::live(self.journal))
    }

    /// Opens the live WebSocket, the token in the `Authorization` header (never
    /// in the URL), reading at most [`ReadLimits::live_message_bytes`] per message.
    pub async fn open_live(&self) -> Result<LiveSocket, SyncError> {
        let mut request = self
            .live_url()
            .into_client_request()
            .map_err(|e| self.live_error(e))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token)).map_err(|_| {
            SyncError::Network("the relay's session token cannot be sent in a header".into())
        })?;
        request.headers_mut().insert(AUTHORIZATION, bearer);
        let limit = self.limits.live_message_bytes;
        let config = WebSocketConfig::default()
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit));
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                .await
                .map_err(|e| self.live_error(e))?;
        Ok(socket)
    }

    /// What a failure of the live WebSocket means for the writer.
    pub fn live_error(&self, error: WsError) -> SyncError {
        match error {
            WsError::Capacity(_) => SyncError::RelayAnsweredTooMuch {
                what: "a live message",
                limit: self.limits.live_message_bytes,
            },
            WsError::Http(response) => {
                let body = response.body().as_deref().unwrap_or_default();
                let cut = &body[..body.len().min(self.limits.error_bytes)];
                refusal_of(response.status().as_u16(), cut)
            }
            other => SyncError::Network(other.to_string()),
        }
    }
}
