//! The client reads a relay's answers with a cap: a fake relay (axum, in this
//! process) that answers too much is cut off with `RelayAnsweredTooMuch`,
//! long before the client has read (or allocated) the whole answer; the live
//! socket carries the token in its header, never in the URL.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use attune_client::sync::{ReadLimits, RelayClient, SyncError};
use attune_crypto::DeviceIdentity;
use attune_proto::{Challenge, DeviceId, ErrorCode, JournalId, RelaySeq, Session, WIRE_VERSION};
use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use futures_util::StreamExt;

const MIB: usize = 1024 * 1024;
/// What the fake relay offers: far more than any cap.
const HUGE: usize = 1024 * MIB;
const CHUNK: usize = 64 * 1024;

/// The `Authorization` header and the query of an upgrade request.
type Upgrade = (String, Option<String>);

#[derive(Clone, Default)]
struct Fake {
    /// Bytes of oversized bodies the fake has produced so far.
    produced: Arc<AtomicUsize>,
    /// The `Authorization` header and query of the live upgrade.
    upgrade: Arc<Mutex<Option<Upgrade>>>,
}

/// A body of `HUGE` bytes, made only as fast as the client reads it.
fn endless(fake: &Fake, status: StatusCode) -> Response {
    let produced = fake.produced.clone();
    let chunks = futures_util::stream::iter(0..HUGE / CHUNK).map(move |_| {
        produced.fetch_add(CHUNK, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; CHUNK]))
    });
    Response::builder()
        .status(status)
        .body(Body::from_stream(chunks))
        .unwrap()
}

async fn start() -> (String, Fake) {
    let fake = Fake::default();
    let app = Router::new()
        .route(
            "/v1/journals/{jid}/challenge",
            post(|| async {
                Challenge {
                    v: WIRE_VERSION,
                    nonce: [7; 32],
                    expires_unix: u64::MAX,
                }
                .encode()
            }),
        )
        .route(
            "/v1/journals/{jid}/session",
            post(|| async {
                Session {
                    v: WIRE_VERSION,
                    token: "fake-token".into(),
                    expires_unix: u64::MAX,
                }
                .encode()
            }),
        )
        .route(
            "/v1/journals/{jid}/envelopes",
            get(|State(fake): State<Fake>| async move { endless(&fake, StatusCode::OK) }),
        )
        .route(
            "/v1/journals/{jid}/snapshot",
            get(|State(fake): State<Fake>| async move { endless(&fake, StatusCode::OK) }),
        )
        .route(
            "/v1/journals/{jid}/roster",
            get(|State(fake): State<Fake>| async move {
                endless(&fake, StatusCode::INTERNAL_SERVER_ERROR)
            }),
        )
        .route(
            "/v1/journals/{jid}/ws",
            get(
                |State(fake): State<Fake>,
                 headers: HeaderMap,
                 uri: Uri,
                 upgrade: WebSocketUpgrade| async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    *fake.upgrade.lock().unwrap() = Some((auth, uri.query().map(str::to_owned)));
                    upgrade.on_upgrade(|mut socket| async move {
                        let big = vec![0u8; 2 * MIB];
                        let _ = socket.send(Message::Binary(big.into())).await;
                        // Hold the socket until the client leaves.
                        while socket.recv().await.is_some() {}
                    })
                },
            ),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, fake)
}

async fn client(base: &str, limits: ReadLimits) -> RelayClient {
    let identity = DeviceIdentity::generate();
    RelayClient::connect(base, JournalId([1; 16]), DeviceId([2; 16]), &identity, None)
        .await
        .unwrap()
        .with_read_limits(limits)
}

fn small() -> ReadLimits {
    ReadLimits {
        response_bytes: MIB,
        snapshot_bytes: 3 * MIB,
        live_message_bytes: MIB,
        error_bytes: 4 * 1024,
    }
}

/// The fake stopped producing far below `HUGE`: the client stopped reading.
fn assert_stopped_early(fake: &Fake) {
    let produced = fake.produced.swap(0, Ordering::SeqCst);
    assert!(produced < 64 * MIB, "the fake produced {produced} bytes");
}

#[tokio::test]
async fn an_oversized_pull_page_is_refused_without_reading_it_all() {
    let (base, fake) = start().await;
    let client = client(&base, small()).await;
    match client.pull(RelaySeq(0), 500).await {
        Err(SyncError::RelayAnsweredTooMuch { what, limit }) => {
            assert_eq!((what, limit), ("a page of envelopes", MIB));
        }
        other => panic!("expected RelayAnsweredTooMuch, got {:?}", other.map(|_| ())),
    }
    // Give a runaway server a moment to show it kept going.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_stopped_early(&fake);
}

#[tokio::test]
async fn an_oversized_snapshot_is_refused_with_its_own_cap_and_a_hint() {
    let (base, fake) = start().await;
    let client = client(&base, small()).await;
    let error = match client.snapshot().await {
        Err(error) => error,
        Ok(_) => panic!("a 1 GiB snapshot was accepted"),
    };
    assert!(matches!(
        error,
        SyncError::RelayAnsweredTooMuch { what: "the journal's snapshot", limit } if limit == 3 * MIB
    ));
    let sentence = error.to_string();
    assert!(sentence.contains("3 MiB"), "{sentence}");
    assert!(sentence.contains("ATTUNE_MAX_SNAPSHOT_MIB"), "{sentence}");
    assert_stopped_early(&fake);
}

#[tokio::test]
async fn an_oversized_error_body_is_cut_and_shown_short() {
    let (base, fake) = start().await;
    let client = client(&base, small()).await;
    match client.rosters().await {
        Err(SyncError::Refused {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code), (500, ErrorCode::Unknown));
            assert_eq!(message.len(), 200);
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
    assert_stopped_early(&fake);
}

#[tokio::test]
async fn the_live_socket_sends_its_token_in_the_header_and_refuses_oversized_messages() {
    let (base, fake) = start().await;
    let client = client(&base, small()).await;
    assert!(
        !client.live_url().contains("token"),
        "{}",
        client.live_url()
    );
    let mut socket = client.open_live().await.unwrap();
    assert_eq!(
        fake.upgrade.lock().unwrap().clone(),
        Some(("Bearer fake-token".to_owned(), None))
    );
    let error = match socket.next().await {
        Some(Err(e)) => client.live_error(e),
        other => panic!(
            "expected a refused message, got {:?}",
            other.map(|m| m.is_ok())
        ),
    };
    assert!(
        matches!(error, SyncError::RelayAnsweredTooMuch { what: "a live message", limit } if limit == MIB),
        "{error}"
    );
}

#[test]
fn default_caps_are_generous_and_the_snapshot_cap_is_configurable() {
    let limits = ReadLimits::default();
    assert!(limits.response_bytes >= 16 * MIB);
    assert!(limits.snapshot_bytes >= 256 * MIB);
    assert!(limits.live_message_bytes >= 16 * MIB);
}
