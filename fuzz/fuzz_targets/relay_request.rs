//! Fuzzes the relay's whole HTTP surface in-process: method, path segments
//! (journal id, pairing nameplate and side), query (pull cursor and limit,
//! pairing index, `?token=`), `Authorization` header and body go through the
//! real router and its middleware, on SQLite in a temporary directory.
//!
//! A panic anywhere aborts the run (libFuzzer's panic hook fires before the
//! router's catch-panic layer can turn it into a 500), and any 5xx other
//! than 503 (a full table, tried again later) fails too: bad input must be
//! refused with a 4xx.
//!
//! Input: one flag byte, then a head like HTTP's (the request target on the
//! first line, `name: value` header lines after it) up to the first blank
//! line, then the body. In the head, `{jid}`, `{token}` and `{nameplate}`
//! stand for the fixture's journal, its session token and an open pairing.
//! Each request comes from a new client address, so per-client rate limits
//! do not turn the whole run into 429s.
#![no_main]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use attune_proto::{
    auth_message, Challenge, ChallengeRequest, DeviceId, Epoch, JournalId, PairingOpen,
    PairingSlot, Roster, RosterDevice, Session, SessionRequest, WireMessage, ROSTER_VERSION,
    WIRE_VERSION,
};
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::{Config, Relay};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::Router;
use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;
use tower::ServiceExt;

const METHODS: [Method; 8] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::HEAD,
    Method::OPTIONS,
    Method::PATCH,
    Method::TRACE,
];
/// Flag bit: send `Authorization: Bearer {token}`.
const BEARER: u8 = 0x08;
/// Flag bit: send the headers of a WebSocket upgrade.
const UPGRADE: u8 = 0x10;

/// The age recipient of the fixture's device (`age1` and 58 bech32 characters).
const FUZZ_RECIPIENT: &str = "age1qpzry9x8gf2tvdw0s3jn54khce6mua7lqpzry9x8gf2tvdw0s3jn54khce";

/// One relay for the whole run, with a journal, a session and an open pairing.
struct Fixture {
    runtime: Runtime,
    router: Router,
    journal: String,
    token: String,
    nameplate: String,
    /// Owns the writer task and storage; never dropped (the process exits).
    _relay: Relay,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();
/// Numbers the requests; each one's client address is 10.x.y.z from it.
static NEXT_CLIENT: AtomicU32 = AtomicU32::new(1);

fn next_client() -> ConnectInfo<SocketAddr> {
    let n = NEXT_CLIENT.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    ConnectInfo(SocketAddr::from((Ipv4Addr::from(0x0a00_0000 | n), 40000)))
}

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        // fuzz/run.sh points TMPDIR at a directory it removes afterwards.
        let dir = std::env::temp_dir().join(format!("attune-fuzz-relay-{}", std::process::id()));
        let relay = runtime.block_on(async {
            let storage = SqliteStorage::open(&dir).await.expect("open SQLite");
            Relay::new(Config::default(), Arc::new(storage))
        });
        let router = relay.router();
        let journal = JournalId([0x1f; 16]);
        let (token, nameplate) = runtime.block_on(setup(&router, journal));
        Fixture {
            runtime,
            router,
            journal: journal.to_string(),
            token,
            nameplate: nameplate.to_string(),
            _relay: relay,
        }
    })
}

/// Creates the journal and a session the way a device does, over HTTP; opens a pairing.
async fn setup(router: &Router, journal: JournalId) -> (String, u32) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let device = DeviceId([0x2e; 16]);
    // The seed `corpus/relay_request/put_roster` is the next version of this
    // genesis (it adds a device), so the fuzzer starts from an update the relay accepts.
    let mut genesis = Roster {
        v: ROSTER_VERSION,
        journal_id: journal,
        version: 1,
        prev_hash: [0; 32],
        epoch: Epoch(1),
        key_commitment: [0x6b; 32],
        devices: vec![RosterDevice {
            device_id: device,
            verifying_key: key.verifying_key().to_bytes(),
            age_recipient: FUZZ_RECIPIENT.into(),
        }],
        revoked: Vec::new(),
        signer: device,
        signature: [0; 64],
    };
    genesis.signature = key.sign(&genesis.signing_message()).to_bytes();
    let base = format!("/v1/journals/{journal}");
    let challenge: Challenge = call(
        router,
        Method::POST,
        &format!("{base}/challenge"),
        None,
        ChallengeRequest {
            v: WIRE_VERSION,
            device_id: device,
        }
        .encode(),
    )
    .await;
    let signature = key
        .sign(&auth_message(journal, device, &challenge.nonce))
        .to_bytes();
    let session: Session = call(
        router,
        Method::POST,
        &format!("{base}/session"),
        None,
        SessionRequest {
            v: WIRE_VERSION,
            device_id: device,
            nonce: challenge.nonce,
            signature,
            genesis: Some(genesis),
        }
        .encode(),
    )
    .await;
    let slot: PairingSlot = call(
        router,
        Method::POST,
        &format!("{base}/pairing"),
        Some(&session.token),
        PairingOpen {
            v: WIRE_VERSION,
            cancel_commitment: [0x5c; 32],
        }
        .encode(),
    )
    .await;
    (session.token, slot.nameplate)
}

/// One setup request that must succeed, decoded.
async fn call<T: WireMessage>(
    router: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> T {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut request = request.body(Body::from(body)).expect("request");
    request.extensions_mut().insert(next_client());
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    assert!(status.is_success(), "setup {uri}: {status} {bytes:?}");
    attune_proto::decode_message(&bytes).expect("setup answer decodes")
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, &[][..]),
    };
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let f = fixture();
    let head = head
        .replace("{jid}", &f.journal)
        .replace("{token}", &f.token)
        .replace("{nameplate}", &f.nameplate);
    let mut lines = head.split('\n');
    let target = lines.next().unwrap_or_default();
    let mut request = Request::builder()
        .method(METHODS[usize::from(flags & 7)].clone())
        .uri(target);
    if flags & BEARER != 0 {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", f.token));
    }
    if flags & UPGRADE != 0 {
        request = request
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_VERSION, "13")
            .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==");
    }
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return;
        };
        // A header hyper would refuse before routing is not the relay's input.
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) else {
            return;
        };
        request = request.header(name, value);
    }
    // Likewise a request target hyper would refuse.
    let Ok(mut request) = request.body(Body::from(body.to_vec())) else {
        return;
    };
    request.extensions_mut().insert(next_client());
    let (status, answer) = f.runtime.block_on(async {
        let response = f.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let answer = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        (status, answer)
    });
    let answer = answer.expect("the relay's answer body is readable");
    // 503: storage busy; 507: a journal over its quota (a documented refusal).
    let quota = status == StatusCode::INSUFFICIENT_STORAGE
        && String::from_utf8_lossy(&answer).contains("\"quota_exceeded\"");
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE || quota,
        "{status} for {head:?}: {}",
        String::from_utf8_lossy(&answer)
    );
});
