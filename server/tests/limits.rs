//! Every limit of the relay, hit over real TCP connections: rate limits,
//! connection caps, challenge expiry, idle WebSockets and a slow-loris body.
//! Each test also shows that the relay goes on serving everyone else.
//!
//! Clients choose their source address in 127.0.0.0/8 (all loopback on
//! Linux) to act as different clients.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use attune_proto::*;
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::{Config, Relay};
use common::process::{login, next_frame, post, Socket};
use common::{answer, genesis, journal, Device};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::MaybeTlsStream;

const A: &str = "127.0.0.1";
const B: &str = "127.0.0.2";

/// An in-process relay served on 127.0.0.1 the way the binary serves it.
struct Served {
    addr: SocketAddr,
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn start(config: Config) -> Served {
        attune_relay::metrics::install();
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path()).await.unwrap();
        let relay = Relay::new(config, Arc::new(storage));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(relay.serve(listener, async {
            let _ = stopped.await;
        }));
        Served {
            addr,
            base: format!("http://{addr}"),
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The upgrade request of a live socket (the token in the header: the relay refuses it in the URL).
    fn ws_url(&self, j: JournalId, token: &str) -> tungstenite::handshake::client::Request {
        common::process::live_request(&self.base, j, token)
    }

    /// A WebSocket from `source` (refusals come back as `Err(Http(response))`).
    async fn ws(
        &self,
        source: &str,
        j: JournalId,
        token: &str,
    ) -> Result<Socket, tungstenite::Error> {
        let socket = TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::new(source.parse().unwrap(), 0))
            .unwrap();
        let stream = socket.connect(self.addr).await.unwrap();
        tokio_tungstenite::client_async(self.ws_url(j, token), MaybeTlsStream::Plain(stream))
            .await
            .map(|(socket, _)| socket)
    }

    /// A raw TCP connection from `source`.
    async fn tcp(&self, source: &str) -> TcpStream {
        let socket = TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::new(source.parse().unwrap(), 0))
            .unwrap();
        socket.connect(self.addr).await.unwrap()
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// An HTTP client whose connections come from `source`.
///
/// It does not keep connections: with the short request timeouts of these
/// tests the relay closes idle ones quickly, and reusing one just as it closes
/// would fail a request for a reason that is not under test.
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// The `error` code of a JSON refusal.
fn code(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)));
    assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
    value["error"].as_str().unwrap().to_owned()
}

async fn get(client: &reqwest::Client, url: String) -> (u16, Option<String>, Vec<u8>) {
    let response = client.get(url).send().await.unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        response.status().as_u16(),
        retry_after,
        response.bytes().await.unwrap().to_vec(),
    )
}

async fn challenge(
    client: &reqwest::Client,
    served: &Served,
    j: JournalId,
    d: &Device,
) -> (u16, Vec<u8>) {
    let request = ChallengeRequest {
        v: WIRE_VERSION,
        device_id: d.id,
    };
    post(
        client,
        served.url(&format!("/v1/journals/{j}/challenge")),
        None,
        request.encode(),
    )
    .await
}

/// The refusal of a WebSocket upgrade: status and code.
fn ws_refusal(result: Result<Socket, tungstenite::Error>) -> (u16, String) {
    match result {
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (response.status().as_u16(), code(&body))
        }
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, the connection was accepted"),
    }
}

/// The socket answers a pull (it is alive and served).
async fn assert_live(socket: &mut Socket) {
    let pull = ClientMessage::new(ClientFrame::Pull { after: RelaySeq(0) });
    socket
        .send(Message::Binary(pull.encode().into()))
        .await
        .unwrap();
    loop {
        match next_frame(socket).await {
            ServerFrame::Envelopes(list) if list.is_empty() => return,
            ServerFrame::Envelopes(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Retries `attempt` until it succeeds, for up to 5 s (a slot is released when a task ends).
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    mut attempt: impl FnMut() -> F,
) -> T {
    for _ in 0..100 {
        if let Some(value) = attempt().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("did not succeed within 5 s");
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after_and_others_are_served() {
    let served = Served::start(Config {
        rate_limit_burst: 5,
        rate_limit_per_second: 1,
        ..Config::default()
    })
    .await;
    let (a, b) = (client_from(A), client_from(B));
    let pull = served.url(&format!("/v1/journals/{}/envelopes", journal(1)));
    // Every API request counts, refused or not.
    for _ in 0..5 {
        let (status, _, body) = get(&a, pull.clone()).await;
        assert_eq!((status, code(&body).as_str()), (401, "missing_token"));
    }
    let (status, retry_after, body) = get(&a, pull.clone()).await;
    assert_eq!((status, code(&body).as_str()), (429, "rate_limited"));
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");

    // Operations endpoints are exempt, for the limited client too.
    for path in ["/healthz", "/readyz", "/metrics"] {
        let (status, _, _) = get(&a, served.url(path)).await;
        assert_eq!(status, 200, "{path}");
    }
    let (_, _, metrics) = get(&a, served.url("/metrics")).await;
    assert!(String::from_utf8_lossy(&metrics).contains("reason=\"rate_limited\""));

    // Another client is served.
    let (status, _, body) = get(&b, pull.clone()).await;
    assert_eq!((status, code(&body).as_str()), (401, "missing_token"));

    // The bucket refills: a second later the limited client is served again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, _) = get(&a, pull).await;
    assert_eq!(status, 401);
    served.stop().await;
}

#[tokio::test]
async fn unauthenticated_endpoints_have_a_stricter_rate() {
    let served = Served::start(Config {
        auth_rate_limit_burst: 3,
        auth_rate_limit_per_second: 1,
        ..Config::default()
    })
    .await;
    let (a, b) = (client_from(A), client_from(B));
    let (d, j) = (Device::new(1), journal(1));
    for _ in 0..3 {
        assert_eq!(challenge(&a, &served, j, &d).await.0, 200);
    }
    let (status, body) = challenge(&a, &served, j, &d).await;
    assert_eq!((status, code(&body).as_str()), (429, "rate_limited"));
    // Authenticated endpoints are under the general rate only.
    let (status, _, _) = get(&a, served.url(&format!("/v1/journals/{j}/envelopes"))).await;
    assert_eq!(status, 401);
    // Another client logs in.
    login(&b, &served.base, j, &d, Some(genesis(j, &[&d], &d))).await;
    served.stop().await;
}

#[tokio::test]
async fn an_expired_challenge_is_refused_and_a_fresh_one_works() {
    let served = Served::start(Config {
        challenge_ttl: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let http = client_from(A);
    let (d, j) = (Device::new(1), journal(1));
    let (status, body) = challenge(&http, &served, j, &d).await;
    assert_eq!(status, 200);
    let nonce = Challenge::decode(&body).unwrap().nonce;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let late = answer(j, &d, nonce, Some(genesis(j, &[&d], &d)));
    let (status, body) = post(
        &http,
        served.url(&format!("/v1/journals/{j}/session")),
        None,
        late.encode(),
    )
    .await;
    assert_eq!((status, code(&body).as_str()), (401, "challenge_expired"));
    // Answered in time, a new challenge opens a session (and creates the journal).
    login(&http, &served.base, j, &d, Some(genesis(j, &[&d], &d))).await;
    served.stop().await;
}

#[tokio::test]
async fn an_idle_websocket_is_closed_and_an_active_one_stays() {
    let served = Served::start(Config {
        ws_ping_interval: Duration::from_millis(100),
        ws_idle_timeout: Duration::from_millis(400),
        ..Config::default()
    })
    .await;
    let http = client_from(A);
    let (d, e, j) = (Device::new(1), Device::new(2), journal(1));
    let token_d = login(&http, &served.base, j, &d, Some(genesis(j, &[&d, &e], &d))).await;
    let token_e = login(&http, &served.base, j, &e, None).await;
    let mut idle = served.ws(A, j, &token_d).await.unwrap();
    let mut active = served.ws(A, j, &token_e).await.unwrap();

    // The active socket reads (and so answers pings) for 1.2 s; the idle one does not.
    let until = tokio::time::Instant::now() + Duration::from_millis(1200);
    while tokio::time::Instant::now() < until {
        let _ = tokio::time::timeout(Duration::from_millis(50), active.next()).await;
    }
    // The idle socket is closed. Its close frame (1000 "idle") may be lost:
    // the pongs this client sends now arrive at a closed socket, and the
    // reset that answers them discards what the client had not read yet.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        let mut close = None;
        while let Some(message) = idle.next().await {
            match message {
                Ok(Message::Close(frame)) => close = frame,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        close
    })
    .await
    .expect("the idle socket was not closed");
    if let Some(frame) = closed {
        assert_eq!(
            (u16::from(frame.code), frame.reason.as_str()),
            (1000, "idle")
        );
    }

    assert_live(&mut active).await;
    let mut fresh = served.ws(A, j, &token_d).await.unwrap();
    assert_live(&mut fresh).await;
    served.stop().await;
}

#[tokio::test]
async fn a_body_trickled_slowly_is_cut_off_by_the_request_timeout() {
    let served = Served::start(Config {
        request_timeout: Duration::from_millis(500),
        ..Config::default()
    })
    .await;
    let (d, j) = (Device::new(1), journal(1));
    let mut slow = served.tcp(A).await;
    let head = format!(
        "POST /v1/journals/{j}/challenge HTTP/1.1\r\nhost: relay\r\ncontent-length: 1000\r\n\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = slow.into_split();
    let trickle = tokio::spawn(async move {
        // One byte every 100 ms: 1000 bytes would take 100 s.
        for _ in 0..1000 {
            if writer.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    // Meanwhile another client is served at once.
    let http = client_from(B);
    let started = std::time::Instant::now();
    assert_eq!(challenge(&http, &served, j, &d).await.0, 200);
    assert!(started.elapsed() < Duration::from_millis(400));

    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&response).contains("}") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the slow request was not cut off");
    let text = String::from_utf8_lossy(&response).to_string();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    assert_eq!(code(body.as_bytes()), "timeout");
    trickle.abort();

    // And the relay still serves everyone.
    login(&http, &served.base, j, &d, Some(genesis(j, &[&d], &d))).await;
    served.stop().await;
}

#[tokio::test]
async fn headers_trickled_slowly_or_never_sent_are_cut_off_by_the_request_timeout() {
    let served = Served::start(Config {
        request_timeout: Duration::from_millis(500),
        ..Config::default()
    })
    .await;
    let mut trickling = served.tcp(A).await;
    trickling
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: relay\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = trickling.into_split();
    let trickle = tokio::spawn(async move {
        // A header line every 100 ms, never the blank line that ends them.
        for i in 0..1000 {
            let line = format!("x-slow-{i}: y\r\n");
            if writer.write_all(line.as_bytes()).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut silent = served.tcp(A).await;

    // Meanwhile another client is served at once.
    let http = client_from(B);
    let (status, _, _) = get(&http, served.url("/healthz")).await;
    assert_eq!(status, 200);

    for (name, reader) in [
        (
            "trickling",
            &mut reader as &mut (dyn tokio::io::AsyncRead + Unpin + Send),
        ),
        ("silent", &mut silent),
    ] {
        let mut got = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            let mut buf = [0u8; 1024];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the {name} connection was not closed");
        assert!(
            !String::from_utf8_lossy(&got).contains(" 200 "),
            "the {name} connection was served"
        );
    }
    trickle.abort();
    let (status, _, _) = get(&http, served.url("/healthz")).await;
    assert_eq!(status, 200);
    served.stop().await;
}

#[tokio::test]
async fn a_live_client_that_does_not_read_is_disconnected_and_the_others_get_everything() {
    let served = Served::start(Config {
        ws_send_timeout: Duration::from_millis(300),
        max_connections_per_journal: 2,
        ..Config::default()
    })
    .await;
    let http = client_from(A);
    let (d, e, j) = (Device::new(1), Device::new(2), journal(1));
    let token_d = login(&http, &served.base, j, &d, Some(genesis(j, &[&d, &e], &d))).await;
    let token_e = login(&http, &served.base, j, &e, None).await;

    // The slow client never reads, with a small receive window.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind(SocketAddr::new(A.parse().unwrap(), 0)).unwrap();
    let stream = socket.connect(served.addr).await.unwrap();
    let (_slow, _) =
        tokio_tungstenite::client_async(served.ws_url(j, &token_e), MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    // The active client reads everything.
    let mut active = served.ws(A, j, &token_d).await.unwrap();
    let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader = tokio::spawn({
        let received = received.clone();
        async move {
            while let Some(Ok(message)) = active.next().await {
                if let Message::Binary(bytes) = message {
                    if let ServerFrame::Envelopes(list) =
                        ServerMessage::decode(&bytes).unwrap().frame
                    {
                        received.fetch_add(list.len(), std::sync::atomic::Ordering::SeqCst);
                    }
                }
            }
        }
    });

    // 10 MB of envelopes: far more than the socket buffers between the relay
    // and the slow client hold.
    let (count, per_push) = (100u64, 4usize);
    let mut prev = [0u8; 32];
    let mut envelopes = Vec::new();
    for seq in 1..=count {
        let envelope = d.envelope(j, seq, prev, &vec![seq as u8; 100 * 1024]);
        prev = envelope.hash();
        envelopes.push(envelope);
    }
    for batch in envelopes.chunks(per_push) {
        let push = PushRequest {
            v: WIRE_VERSION,
            envelopes: batch.to_vec(),
        };
        let (status, body) = post(
            &http,
            served.url(&format!("/v1/journals/{j}/envelopes")),
            Some(&token_d),
            push.encode(),
        )
        .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }

    // The slow client was dropped (its place is free again)…
    let mut again = eventually(|| async { served.ws(B, j, &token_e).await.ok() }).await;
    assert_live(&mut again).await;
    // …and the active one received every envelope.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while received.load(std::sync::atomic::Ordering::SeqCst) < count as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the active client received {} of {count}",
            received.load(std::sync::atomic::Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    reader.abort();
    served.stop().await;
}

#[tokio::test]
async fn a_journal_over_its_connection_cap_is_refused_and_others_connect() {
    let served = Served::start(Config {
        max_connections_per_journal: 2,
        ..Config::default()
    })
    .await;
    let http = client_from(A);
    let (d, j) = (Device::new(1), journal(1));
    let (other, k) = (Device::new(2), journal(2));
    let token = login(&http, &served.base, j, &d, Some(genesis(j, &[&d], &d))).await;
    let other_token = login(
        &http,
        &served.base,
        k,
        &other,
        Some(genesis(k, &[&other], &other)),
    )
    .await;
    let first = served.ws(A, j, &token).await.unwrap();
    let mut second = served.ws(A, j, &token).await.unwrap();
    assert_eq!(
        ws_refusal(served.ws(A, j, &token).await),
        (429, "too_many_connections".to_owned())
    );
    // Another journal connects; the open ones are served.
    let mut elsewhere = served.ws(A, k, &other_token).await.unwrap();
    assert_live(&mut elsewhere).await;
    assert_live(&mut second).await;
    // Closing one frees its place.
    drop(first);
    let mut again = eventually(|| async { served.ws(A, j, &token).await.ok() }).await;
    assert_live(&mut again).await;
    served.stop().await;
}

#[tokio::test]
async fn a_client_address_over_its_connection_cap_is_refused_and_others_connect() {
    let served = Served::start(Config {
        max_connections_per_ip: 2,
        ..Config::default()
    })
    .await;
    let http = client_from(A);
    let (d, j) = (Device::new(1), journal(1));
    let token = login(&http, &served.base, j, &d, Some(genesis(j, &[&d], &d))).await;
    let first = served.ws(A, j, &token).await.unwrap();
    let mut second = served.ws(A, j, &token).await.unwrap();
    assert_eq!(
        ws_refusal(served.ws(A, j, &token).await),
        (429, "too_many_connections_from_ip".to_owned())
    );
    // The same device from another address connects.
    let mut from_b = served.ws(B, j, &token).await.unwrap();
    assert_live(&mut from_b).await;
    assert_live(&mut second).await;
    drop(first);
    let mut again = eventually(|| async { served.ws(A, j, &token).await.ok() }).await;
    assert_live(&mut again).await;
    served.stop().await;
}

#[tokio::test]
async fn unauthenticated_requests_over_the_cap_get_503_and_authenticated_ones_are_served() {
    let served = Served::start(Config {
        max_unauthenticated: 2,
        ..Config::default()
    })
    .await;
    let http = client_from(B);
    let (d, j) = (Device::new(1), journal(1));
    let token = login(&http, &served.base, j, &d, Some(genesis(j, &[&d], &d))).await;

    // Two requests that never finish their body hold both slots.
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut slow = served.tcp(A).await;
        let head = format!(
            "POST /v1/journals/{j}/challenge HTTP/1.1\r\nhost: relay\r\ncontent-length: 100\r\n\r\nx"
        );
        slow.write_all(head.as_bytes()).await.unwrap();
        holders.push(slow);
    }
    let (retry_after, body) = eventually(|| async {
        let response = http
            .post(served.url(&format!("/v1/journals/{j}/challenge")))
            .body(
                ChallengeRequest {
                    v: WIRE_VERSION,
                    device_id: d.id,
                }
                .encode(),
            )
            .send()
            .await
            .unwrap();
        if response.status() != 503 {
            return None;
        }
        let retry_after = response.headers().get("retry-after").cloned();
        Some((retry_after, response.bytes().await.unwrap()))
    })
    .await;
    assert_eq!(code(&body), "too_many_unauthenticated");
    assert_eq!(retry_after.expect("Retry-After"), "1");

    // Authenticated requests are not held up.
    let response = http
        .get(served.url(&format!("/v1/journals/{j}/envelopes?after=0")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Hanging up releases the slots.
    drop(holders);
    eventually(|| async { (challenge(&http, &served, j, &d).await.0 == 200).then_some(()) }).await;
    served.stop().await;
}
