//! Helpers shared by the relay's integration tests: devices with real Ed25519 keys,
//! signed rosters and envelopes, and an in-process relay on a temporary SQLite file.
#![allow(dead_code)]

pub mod pg;
pub mod process;
mod rosters;

pub use rosters::*;

use std::sync::Arc;

use attune_proto::*;
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::{Config, Relay};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use ed25519_dalek::{Signer, SigningKey};
use tower::ServiceExt;

/// A test device: an id and a signing key derived from one byte.
pub struct Device {
    pub id: DeviceId,
    pub key: SigningKey,
}

impl Device {
    pub fn new(seed: u8) -> Self {
        Self {
            id: DeviceId([seed; 16]),
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    pub fn entry(&self) -> RosterDevice {
        RosterDevice {
            device_id: self.id,
            verifying_key: self.key.verifying_key().to_bytes(),
            age_recipient: age_recipient(self.id.0[0]),
        }
    }

    /// A signed envelope in this device's chain.
    pub fn envelope(
        &self,
        journal: JournalId,
        seq: u64,
        prev_hash: [u8; 32],
        payload: &[u8],
    ) -> Envelope {
        let mut envelope = Envelope {
            v: WIRE_VERSION,
            journal_id: journal,
            device_id: self.id,
            epoch: Epoch(1),
            device_seq: DeviceSeq(seq),
            prev_hash,
            ciphertext: payload.to_vec(),
            signature: [0; 64],
        };
        let digest = blake3::hash(&envelope.signed_bytes());
        envelope.signature = self.key.sign(digest.as_bytes()).to_bytes();
        envelope
    }

    /// `count` chained envelopes starting after `prev` (None = the start of the chain).
    pub fn chain(
        &self,
        journal: JournalId,
        from_seq: u64,
        prev: Option<&Envelope>,
        count: usize,
    ) -> Vec<Envelope> {
        let mut out: Vec<Envelope> = Vec::new();
        let mut prev_hash = prev.map_or([0; 32], |e| e.hash());
        for i in 0..count as u64 {
            let e = self.envelope(
                journal,
                from_seq + i,
                prev_hash,
                format!("sealed batch {}", from_seq + i).as_bytes(),
            );
            prev_hash = e.hash();
            out.push(e);
        }
        out
    }
}

impl Device {
    /// A snapshot by this device at `cursor` covering `covers` (the last envelope of each device), signed.
    pub fn snapshot(
        &self,
        journal: JournalId,
        cursor: u64,
        covers: &[&Envelope],
        ciphertext: &[u8],
    ) -> Snapshot {
        let mut covers: Vec<Cover> = covers
            .iter()
            .map(|e| Cover {
                device_id: e.device_id,
                device_seq: e.device_seq,
                hash: e.hash(),
            })
            .collect();
        covers.sort_by_key(|c| c.device_id);
        let mut snapshot = Snapshot {
            header: SnapshotHeader {
                v: WIRE_VERSION,
                journal_id: journal,
                device_id: self.id,
                epoch: Epoch(1),
                cursor: RelaySeq(cursor),
                covers,
                created_unix: 1_700_000_000,
            },
            ciphertext: ciphertext.to_vec(),
            signature: [0; 64],
        };
        snapshot.signature = self.key.sign(&snapshot.signed_digest()).to_bytes();
        snapshot
    }
}

pub fn journal(seed: u8) -> JournalId {
    JournalId([seed; 16])
}

/// An in-process relay on a fresh SQLite file.
pub struct TestRelay {
    pub router: Router,
    pub relay: Relay,
    pub dir: tempfile::TempDir,
}

pub async fn relay_with(config: Config) -> TestRelay {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path()).await.unwrap();
    let relay = Relay::new(config, Arc::new(storage));
    TestRelay {
        router: relay.router(),
        relay,
        dir,
    }
}

pub async fn relay() -> TestRelay {
    relay_with(Config::default()).await
}

/// A response: status and body bytes.
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    /// The `error` code of a JSON refusal (panics with the body if it is not one).
    pub fn code(&self) -> String {
        let value: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        });
        assert!(
            value["message"].as_str().is_some_and(|m| !m.is_empty()),
            "refusal without message: {value}"
        );
        value["error"].as_str().unwrap().to_owned()
    }

    pub fn message(&self) -> String {
        let value: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
        value["message"].as_str().unwrap().to_owned()
    }

    /// Asserts a refusal's status and code.
    #[track_caller]
    pub fn refused(&self, status: StatusCode, code: &str) {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.code(), code);
    }

    #[track_caller]
    pub fn ok(&self) -> &[u8] {
        assert!(
            self.status.is_success(),
            "{}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        &self.body
    }
}

/// Sends one request through the router.
pub async fn call(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply { status, body }
}

pub fn path(journal: JournalId, rest: &str) -> String {
    format!("/v1/journals/{journal}/{rest}")
}

/// Asks for a challenge.
pub async fn challenge(router: &Router, journal: JournalId, device: &Device) -> Challenge {
    let request = ChallengeRequest {
        v: WIRE_VERSION,
        device_id: device.id,
    };
    let reply = call(
        router,
        Method::POST,
        &path(journal, "challenge"),
        None,
        request.encode(),
    )
    .await;
    Challenge::decode(reply.ok()).unwrap()
}

/// A signed answer to a challenge.
pub fn answer(
    journal: JournalId,
    device: &Device,
    nonce: [u8; 32],
    genesis: Option<Roster>,
) -> SessionRequest {
    let signature = device
        .key
        .sign(&auth_message(journal, device.id, &nonce))
        .to_bytes();
    SessionRequest {
        v: WIRE_VERSION,
        device_id: device.id,
        nonce,
        signature,
        genesis,
    }
}

/// Runs challenge + session and returns the raw reply.
pub async fn try_login(
    router: &Router,
    journal: JournalId,
    device: &Device,
    genesis: Option<Roster>,
) -> Reply {
    let nonce = challenge(router, journal, device).await.nonce;
    let request = answer(journal, device, nonce, genesis);
    call(
        router,
        Method::POST,
        &path(journal, "session"),
        None,
        request.encode(),
    )
    .await
}

/// Logs in and returns the bearer token.
pub async fn login(
    router: &Router,
    journal: JournalId,
    device: &Device,
    genesis: Option<Roster>,
) -> String {
    let reply = try_login(router, journal, device, genesis).await;
    Session::decode(reply.ok()).unwrap().token
}

/// Creates a journal with `devices` (the first creates it) and returns the first device's token.
pub async fn create_journal(router: &Router, journal: JournalId, devices: &[&Device]) -> String {
    let roster = genesis(journal, devices, devices[0]);
    login(router, journal, devices[0], Some(roster)).await
}

pub async fn push(
    router: &Router,
    journal: JournalId,
    token: &str,
    envelopes: Vec<Envelope>,
) -> Reply {
    let request = PushRequest {
        v: WIRE_VERSION,
        envelopes,
    };
    call(
        router,
        Method::POST,
        &path(journal, "envelopes"),
        Some(token),
        request.encode(),
    )
    .await
}

pub async fn push_ok(
    router: &Router,
    journal: JournalId,
    token: &str,
    envelopes: Vec<Envelope>,
) -> Vec<Ack> {
    PushResponse::decode(push(router, journal, token, envelopes).await.ok())
        .unwrap()
        .acks
}

pub async fn pull(router: &Router, journal: JournalId, token: &str, query: &str) -> Reply {
    call(
        router,
        Method::GET,
        &format!("{}?{query}", path(journal, "envelopes")),
        Some(token),
        Vec::new(),
    )
    .await
}

/// Where an in-process relay keeps its data. Each test gets fresh storage:
/// a new SQLite directory per relay, or the PostgreSQL schema held here.
pub enum Backend {
    /// A SQLite file in a temporary directory made for each relay.
    Sqlite,
    /// A fresh PostgreSQL schema, dropped with this value. Relays made from
    /// the same `Backend` share it, as instances of one deployment would.
    Postgres(pg::PgSchema),
}

impl Backend {
    /// A relay with the default configuration.
    pub async fn relay(&self) -> TestRelay {
        self.relay_with(Config::default()).await
    }

    /// A relay with `config`.
    pub async fn relay_with(&self, config: Config) -> TestRelay {
        match self {
            Backend::Sqlite => relay_with(config).await,
            Backend::Postgres(schema) => {
                let storage = attune_relay::storage::postgres::PostgresStorage::connect_with(
                    schema.options(),
                )
                .await
                .unwrap();
                let relay = Relay::new(config, Arc::new(storage));
                TestRelay {
                    router: relay.router(),
                    relay,
                    // Unused: PostgreSQL keeps no files here.
                    dir: tempfile::tempdir().unwrap(),
                }
            }
        }
    }
}

/// Runs each listed `async fn(&Backend)` on both backends, as the tests
/// `sqlite::<name>` and `postgres::<name>` (a fresh schema each; see `pg.rs`
/// for how an unreachable PostgreSQL fails the test, or skips it loudly).
#[allow(unused_macros)]
macro_rules! on_each_backend {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&crate::common::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(schema) = crate::common::pg::schema().await else {
                        return;
                    };
                    super::$case(&crate::common::Backend::Postgres(schema)).await;
                }
            )+
        }
    };
}
