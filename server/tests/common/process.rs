//! The real `attune-relay` binary as a child process, and the HTTP/WebSocket
//! calls the process-level tests make against it.

use std::process::Stdio;
use std::time::Duration;

use attune_proto::*;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::{answer, Device};

pub use attune_testkit::RelayChild as RelayProcess;

/// Start this package's relay binary with `args` (after `--listen 127.0.0.1:0`) and `RUST_LOG=filter`.
pub fn spawn_relay(args: &[&str], filter: &str, stderr: Stdio) -> RelayProcess {
    attune_testkit::spawn_relay(
        std::path::Path::new(env!("CARGO_BIN_EXE_attune-relay")),
        args,
        filter,
        stderr,
    )
}

/// POST `body`, optionally with a bearer token; returns status and body.
pub async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let mut request = client.post(url).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap().to_vec(),
    )
}

/// Challenge and session for `d`; returns the session token.
pub async fn login(
    client: &reqwest::Client,
    base: &str,
    j: JournalId,
    d: &Device,
    genesis: Option<Roster>,
) -> String {
    let request = ChallengeRequest {
        v: WIRE_VERSION,
        device_id: d.id,
    };
    let (status, body) = post(
        client,
        format!("{base}/v1/journals/{j}/challenge"),
        None,
        request.encode(),
    )
    .await;
    assert_eq!(status, 200);
    let nonce = Challenge::decode(&body).unwrap().nonce;
    let (status, body) = post(
        client,
        format!("{base}/v1/journals/{j}/session"),
        None,
        answer(j, d, nonce, genesis).encode(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    Session::decode(&body).unwrap().token
}

/// A client WebSocket to the relay.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next server frame, within 15 s.
pub async fn next_frame(socket: &mut Socket) -> ServerFrame {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("no frame within 15 s")
            .expect("socket closed")
            .unwrap();
        if let Message::Binary(bytes) = message {
            return ServerMessage::decode(&bytes).unwrap().frame;
        }
    }
}

/// PUT `body` with a bearer token; returns status and body.
pub async fn put(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let response = client
        .put(url)
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap().to_vec(),
    )
}

/// GET with a bearer token; returns status and body.
pub async fn get(client: &reqwest::Client, url: String, token: &str) -> (u16, Vec<u8>) {
    let response = client.get(url).bearer_auth(token).send().await.unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap().to_vec(),
    )
}

/// The `error` code of a JSON refusal body.
pub fn error_code(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(body)));
    value["error"].as_str().unwrap().to_owned()
}

/// The upgrade request of a live socket, the token in the `Authorization` header (the relay refuses it in the URL).
pub fn live_request(
    base: &str,
    j: JournalId,
    token: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let ws = base.replacen("http://", "ws://", 1);
    let mut request = format!("{ws}/v1/journals/{j}/ws")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Opens a live socket and waits until its subscription is in place (an empty pull round-trip).
pub async fn live(base: &str, j: JournalId, token: &str) -> Socket {
    use futures_util::SinkExt;
    let (mut socket, _) = tokio_tungstenite::connect_async(live_request(base, j, token))
        .await
        .unwrap();
    let pull = ClientMessage::new(ClientFrame::Pull { after: RelaySeq(0) });
    socket
        .send(Message::Binary(pull.encode().into()))
        .await
        .unwrap();
    while next_frame(&mut socket).await != ServerFrame::Envelopes(vec![]) {}
    socket
}
