//! SIGTERM of the real `attune-relay` process in the middle of a burst of pushes,
//! with devices live on WebSockets: every live socket is closed with 1001
//! "relay shutting down" (the client's cue to reconnect), the process exits 0,
//! and after a restart on the same storage every acknowledged envelope is
//! there, with gap-free relay sequences.
//!
//! Runs on SQLite (`sqlite::…`) and on a fresh PostgreSQL schema (`postgres::…`).

#[macro_use]
mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use attune_proto::*;
use common::process::{live_request, login, next_frame, spawn_relay, RelayProcess, Socket};
use common::{genesis, journal, Backend, Device};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// The relay binary on `on`'s storage (`data` holds the SQLite file).
fn start(on: &Backend, data: &std::path::Path) -> RelayProcess {
    let args = match on {
        Backend::Sqlite => vec!["--data".to_owned(), data.to_str().unwrap().to_owned()],
        Backend::Postgres(schema) => vec!["--database".to_owned(), schema.url()],
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    spawn_relay(&args, "warn", Stdio::inherit())
}

/// Opens a live socket and waits until its subscription is in place (an empty pull round-trip).
async fn live(base: &str, j: JournalId, token: &str) -> Socket {
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

/// Reads until the relay's close frame (live envelopes before it are skipped).
async fn close_frame(socket: &mut Socket) -> (CloseCode, String) {
    let read = async {
        while let Some(message) = socket.next().await {
            match message.expect("the socket ended with an error, not a close frame") {
                Message::Close(Some(frame)) => return (frame.code, frame.reason.to_string()),
                Message::Close(None) => panic!("a close frame without a code"),
                _ => {}
            }
        }
        panic!("the socket ended without a close frame");
    };
    tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("no close frame within 15 s of SIGTERM")
}

/// Every stored envelope, page by page.
async fn pull_all(
    client: &reqwest::Client,
    base: &str,
    j: JournalId,
    token: &str,
) -> (RelaySeq, Vec<StoredEnvelope>) {
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let page = client
            .get(format!("{base}/v1/journals/{j}/envelopes?after={after}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page = PullResponse::decode(&page).unwrap();
        let Some(last) = page.envelopes.last() else {
            return (page.head, all);
        };
        after = last.relay_seq.0;
        all.extend(page.envelopes);
    }
}

async fn sigterm_during_a_burst_closes_live_sockets_with_1001_and_loses_no_ack(on: &Backend) {
    let data = tempfile::tempdir().unwrap();
    let mut relay = start(on, data.path());
    let base = relay.base.clone();
    let client = reqwest::Client::new();
    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(61);
    let token_a = login(&client, &base, j, &a, Some(genesis(j, &[&a, &b], &a))).await;
    let token_b = login(&client, &base, j, &b, None).await;
    let mut sockets = vec![
        live(&base, j, &token_a).await,
        live(&base, j, &token_b).await,
    ];

    // A pushes one envelope at a time as fast as the relay acknowledges them,
    // until the relay stops answering; only a 200 with an ack counts.
    const BURST: usize = 400;
    let chain = a.chain(j, 1, None, BURST);
    let acked = Arc::new(AtomicUsize::new(0));
    let burst = tokio::spawn({
        let (client, base, token, chain, acked) = (
            client.clone(),
            base.clone(),
            token_a.clone(),
            chain.clone(),
            acked.clone(),
        );
        async move {
            for (i, envelope) in chain.into_iter().enumerate() {
                let body = PushRequest {
                    v: WIRE_VERSION,
                    envelopes: vec![envelope],
                }
                .encode();
                let sent = client
                    .post(format!("{base}/v1/journals/{j}/envelopes"))
                    .bearer_auth(&token)
                    .body(body)
                    .send()
                    .await;
                let Ok(response) = sent else {
                    return format!("connection failed after {i} acks");
                };
                let status = response.status().as_u16();
                let Ok(body) = response.bytes().await else {
                    return format!("reply lost after {i} acks");
                };
                if status != 200 {
                    return format!(
                        "{status} after {i} acks: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
                let acks = PushResponse::decode(&body).unwrap().acks;
                assert_eq!(acks.len(), 1);
                assert_eq!(acks[0].device_seq, DeviceSeq(i as u64 + 1));
                acked.store(i + 1, Ordering::SeqCst);
            }
            "the burst ended before the relay stopped".to_owned()
        }
    });
    while acked.load(Ordering::SeqCst) < 30 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = relay.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());

    // Every live client is told to reconnect, with "going away".
    for socket in &mut sockets {
        assert_eq!(
            close_frame(socket).await,
            (CloseCode::Away, "relay shutting down".to_owned())
        );
    }
    let mut status = None;
    for _ in 0..150 {
        if let Some(s) = relay.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.expect("relay did not exit within 15 s of SIGTERM");
    assert!(status.success(), "relay exited with {status}");
    let ended = burst.await.unwrap();
    let acked = acked.load(Ordering::SeqCst);
    assert!(
        acked < BURST,
        "SIGTERM landed after the burst, not during it: {ended}"
    );
    eprintln!("burst: {ended}");

    // Restarted on the same storage: every acknowledged envelope is there,
    // plus at most the one whose reply the shutdown cut off.
    let relay = start(on, data.path());
    let token = login(&client, &relay.base, j, &b, None).await;
    let (head, stored) = pull_all(&client, &relay.base, j, &token).await;
    assert!(
        (acked..=acked + 1).contains(&stored.len()),
        "{} stored, {acked} acknowledged",
        stored.len()
    );
    assert_eq!(head, RelaySeq(stored.len() as u64));
    assert_eq!(
        stored.iter().map(|e| e.relay_seq.0).collect::<Vec<_>>(),
        (1..=stored.len() as u64).collect::<Vec<_>>(),
        "relay sequences are not gap-free"
    );
    for (stored, sent) in stored.iter().zip(&chain) {
        assert_eq!(&stored.envelope, sent);
    }
    // The relay carries on where it stopped (sessions live in memory: log in again).
    let token_a = login(&client, &relay.base, j, &a, None).await;
    let next = &chain[stored.len()];
    let body = PushRequest {
        v: WIRE_VERSION,
        envelopes: vec![next.clone()],
    }
    .encode();
    let reply = client
        .post(format!("{}/v1/journals/{j}/envelopes", relay.base))
        .bearer_auth(&token_a)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let acks = PushResponse::decode(&reply.bytes().await.unwrap())
        .unwrap()
        .acks;
    assert_eq!(acks[0].relay_seq, RelaySeq(stored.len() as u64 + 1));
}

on_each_backend!(sigterm_during_a_burst_closes_live_sockets_with_1001_and_loses_no_ack);
