//! How the live socket authenticates, against the real relay binary: never by
//! a token in the URL (refused with `400 token_in_url`, and the request log
//! line of the attempt holds no token), by the `Authorization` header, or by a
//! `LiveAuth` first frame; a socket that does not authenticate within a few
//! seconds is closed with 1008 and the error code as reason.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use attune_proto::*;
use common::process::{error_code, live, login, next_frame, spawn_relay, Socket};
use common::{genesis, journal, Device};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A socket opened without any credential (as a browser opens one).
async fn bare(base: &str, j: JournalId) -> Socket {
    let ws = base.replacen("http://", "ws://", 1);
    tokio_tungstenite::connect_async(format!("{ws}/v1/journals/{j}/ws"))
        .await
        .unwrap()
        .0
}

/// The error frame (if any) and the close frame the relay ends a socket with.
async fn refusal(socket: &mut Socket) -> (Option<ErrorCode>, CloseCode, String) {
    let read = async {
        let mut error = None;
        while let Some(message) = socket.next().await {
            match message.expect("the socket ended with an error, not a close frame") {
                Message::Binary(bytes) => {
                    if let ServerFrame::Error(body) = ServerMessage::decode(&bytes).unwrap().frame {
                        error = Some(body.code());
                    }
                }
                Message::Close(Some(frame)) => {
                    return (error, frame.code, frame.reason.to_string())
                }
                Message::Close(None) => panic!("a close frame without a code"),
                _ => {}
            }
        }
        panic!("the socket ended without a close frame");
    };
    tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("no close frame within 15 s")
}

/// Sends one binary frame.
async fn send(socket: &mut Socket, bytes: Vec<u8>) {
    socket.send(Message::Binary(bytes.into())).await.unwrap();
}

#[tokio::test]
async fn the_live_socket_refuses_a_token_in_the_url_and_never_logs_it() {
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_str().unwrap().to_string();
    let mut relay = spawn_relay(
        &["--data", &data_path, "--log-format", "json"],
        "info",
        Stdio::piped(),
    );
    let base = relay.base.clone();
    let http = reqwest::Client::new();
    let (d, j) = (Device::new(1), journal(1));
    let token = login(&http, &base, j, &d, Some(genesis(j, &[&d], &d))).await;

    // A WebSocket upgrade with ?token= is refused before the upgrade, header or not.
    let ws = base.replacen("http://", "ws://", 1);
    let url = format!("{ws}/v1/journals/{j}/ws?token={token}");
    let Err(WsError::Http(response)) = tokio_tungstenite::connect_async(url.as_str()).await else {
        panic!("a ?token= upgrade was accepted");
    };
    assert_eq!(response.status(), 400);
    let body = response.body().clone().unwrap_or_default();
    assert_eq!(error_code(&body), "token_in_url");
    // Also alongside a valid header: the token is already in some proxy's log.
    let plain = http
        .get(format!("{base}/v1/journals/{j}/ws?a=1&token={token}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);
    assert_eq!(error_code(&plain.bytes().await.unwrap()), "token_in_url");
    // The header alone is enough (the helper connects that way).
    let socket = live(&base, j, &token).await;
    drop(socket);

    let pid = relay.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    relay.child.wait().unwrap();
    let mut stderr = String::new();
    relay
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains(&token), "a token was logged:\n{stderr}");
    let refused: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| {
            l["fields"]["message"] == "request served"
                && l["fields"]["status"] == 400
                && l["span"]["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/ws"))
        })
        .collect();
    assert_eq!(
        refused.len(),
        2,
        "no request line for each refused upgrade:\n{stderr}"
    );
}

#[tokio::test]
async fn a_first_frame_authenticates_and_anything_else_is_closed_with_1008() {
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_str().unwrap().to_string();
    let relay = spawn_relay(&["--data", &data_path], "warn", Stdio::inherit());
    let base = relay.base.clone();
    let http = reqwest::Client::new();
    let (a, b, j) = (Device::new(1), Device::new(2), journal(2));
    let token_a = login(&http, &base, j, &a, Some(genesis(j, &[&a, &b], &a))).await;

    // A LiveAuth first frame: the socket then works like one opened with the header.
    let mut socket = bare(&base, j).await;
    send(&mut socket, LiveAuth::new(token_a.clone()).encode()).await;
    let pull = ClientMessage::new(ClientFrame::Pull { after: RelaySeq(0) });
    send(&mut socket, pull.encode()).await;
    assert_eq!(
        next_frame(&mut socket).await,
        ServerFrame::Envelopes(vec![])
    );
    let push = ClientMessage::new(ClientFrame::Push(PushRequest {
        v: WIRE_VERSION,
        envelopes: a.chain(j, 1, None, 1),
    }));
    send(&mut socket, push.encode()).await;
    let mut acked = false;
    for _ in 0..2 {
        match next_frame(&mut socket).await {
            ServerFrame::Acked(response) => {
                acked = true;
                assert_eq!(response.acks[0].relay_seq, RelaySeq(1));
            }
            ServerFrame::Envelopes(list) => assert_eq!(list[0].relay_seq, RelaySeq(1)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(acked);

    // An unknown token: an error frame, then 1008 invalid_token.
    let mut wrong = bare(&base, j).await;
    send(&mut wrong, LiveAuth::new("not-a-token").encode()).await;
    assert_eq!(
        refusal(&mut wrong).await,
        (
            Some(ErrorCode::InvalidToken),
            CloseCode::Policy,
            "invalid_token".to_owned()
        )
    );

    // A text frame first: 1008 missing_token.
    let mut texting = bare(&base, j).await;
    texting
        .send(Message::Text(token_a.clone().into()))
        .await
        .unwrap();
    assert_eq!(
        refusal(&mut texting).await,
        (
            Some(ErrorCode::MissingToken),
            CloseCode::Policy,
            "missing_token".to_owned()
        )
    );
    // A pull first: closed with 1008, nothing served (its bytes may read as a
    // LiveAuth with a nonsense token, hence either code).
    let mut pulling = bare(&base, j).await;
    send(&mut pulling, pull.encode()).await;
    let (error, close, reason) = refusal(&mut pulling).await;
    assert_eq!(close, CloseCode::Policy);
    assert!(
        matches!(
            error,
            Some(ErrorCode::MissingToken | ErrorCode::InvalidToken)
        ) && error.map(ErrorCode::as_str) == Some(reason.as_str()),
        "{error:?} {reason}"
    );

    // Silence: closed after a few seconds.
    let started = Instant::now();
    let mut silent = bare(&base, j).await;
    assert_eq!(
        refusal(&mut silent).await,
        (
            Some(ErrorCode::MissingToken),
            CloseCode::Policy,
            "missing_token".to_owned()
        )
    );
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(4)..Duration::from_secs(10)).contains(&waited),
        "closed after {waited:?}"
    );
}
