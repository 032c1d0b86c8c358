//! The real `attune-relay` binary: start on an ephemeral port, push over HTTP,
//! a WebSocket round-trip between two devices, then SIGTERM and a clean exit.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use attune_proto::*;
use common::process::{live_request, login, next_frame, post, spawn_relay, RelayProcess};
use common::{genesis, journal, Device};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn start(data: &std::path::Path) -> RelayProcess {
    start_logging(data, "info", Stdio::null())
}

fn start_logging(data: &std::path::Path, filter: &str, stderr: Stdio) -> RelayProcess {
    let data = data.to_str().expect("utf-8 temp path");
    spawn_relay(&["--data", data], filter, stderr)
}

#[tokio::test]
async fn binary_serves_http_and_websocket_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut relay = start(data.path());
    let base = relay.base.clone();
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");

    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(42);
    let token_a = login(&client, &base, j, &a, Some(genesis(j, &[&a, &b], &a))).await;
    let token_b = login(&client, &base, j, &b, None).await;

    // HTTP push of two envelopes.
    let chain = a.chain(j, 1, None, 3);
    let push = PushRequest {
        v: WIRE_VERSION,
        envelopes: chain[..2].to_vec(),
    };
    let (status, body) = post(
        &client,
        format!("{base}/v1/journals/{j}/envelopes"),
        Some(&token_a),
        push.encode(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(PushResponse::decode(&body).unwrap().acks.len(), 2);
    // A refusal is JSON.
    let (status, body) = post(
        &client,
        format!("{base}/v1/journals/{j}/envelopes"),
        Some(&token_a),
        vec![1, 2, 3],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_slice::<ErrorBody>(&body).unwrap().error,
        "malformed"
    );

    // Device B listens (token as the first frame, as a browser does), device A connects with the header.
    let ws_base = base.replacen("http://", "ws://", 1);
    let (mut socket_b, _) =
        tokio_tungstenite::connect_async(format!("{ws_base}/v1/journals/{j}/ws"))
            .await
            .unwrap();
    socket_b
        .send(Message::Binary(
            LiveAuth::new(token_b.clone()).encode().into(),
        ))
        .await
        .unwrap();
    let mut request = format!("{ws_base}/v1/journals/{j}/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token_a}").parse().unwrap(),
    );
    let (mut socket_a, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    // B pulls its backlog: one page with both envelopes, then the empty end marker.
    let pull = ClientMessage::new(ClientFrame::Pull { after: RelaySeq(0) });
    socket_b
        .send(Message::Binary(pull.encode().into()))
        .await
        .unwrap();
    match next_frame(&mut socket_b).await {
        ServerFrame::Envelopes(page) => assert_eq!(
            page.iter().map(|e| e.envelope.clone()).collect::<Vec<_>>(),
            chain[..2]
        ),
        other => panic!("expected a page, got {other:?}"),
    }
    assert_eq!(
        next_frame(&mut socket_b).await,
        ServerFrame::Envelopes(vec![])
    );

    // A pushes over its socket; A gets the ack, B gets the envelope live.
    let push = ClientMessage::new(ClientFrame::Push(PushRequest {
        v: WIRE_VERSION,
        envelopes: vec![chain[2].clone()],
    }));
    socket_a
        .send(Message::Binary(push.encode().into()))
        .await
        .unwrap();
    let mut acked = false;
    while !acked {
        match next_frame(&mut socket_a).await {
            ServerFrame::Acked(response) => {
                assert_eq!(
                    response.acks,
                    vec![Ack {
                        device_seq: DeviceSeq(3),
                        relay_seq: RelaySeq(3)
                    }]
                );
                acked = true;
            }
            ServerFrame::Envelopes(_) => {} // A's own envelope echoed live
            ServerFrame::Error(e) => panic!("push refused: {e:?}"),
        }
    }
    match next_frame(&mut socket_b).await {
        ServerFrame::Envelopes(live) => {
            assert_eq!(live.len(), 1);
            assert_eq!(
                (live[0].relay_seq, &live[0].envelope),
                (RelaySeq(3), &chain[2])
            );
        }
        other => panic!("expected live envelopes, got {other:?}"),
    }
    // A bad frame gets an error frame and the socket stays usable.
    socket_a
        .send(Message::Binary(vec![9, 9].into()))
        .await
        .unwrap();
    loop {
        match next_frame(&mut socket_a).await {
            ServerFrame::Error(e) => {
                assert_eq!(e.error, "unsupported_version");
                break;
            }
            ServerFrame::Envelopes(_) => {}
            other => panic!("expected an error frame, got {other:?}"),
        }
    }

    // SIGTERM: live sockets are closed by the relay and the process exits 0.
    let pid = relay.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = socket_b.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "live socket was not closed on shutdown");
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = relay.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.expect("relay did not exit within 10 s of SIGTERM");
    assert!(status.success(), "relay exited with {status}");

    // Everything acknowledged is there after a restart.
    let relay = start(data.path());
    let token = login(&client, &relay.base, j, &b, None).await;
    let page = client
        .get(format!("{}/v1/journals/{j}/envelopes?after=0", relay.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let page = PullResponse::decode(&page).unwrap();
    assert_eq!(page.head, RelaySeq(3));
    assert_eq!(
        page.envelopes
            .into_iter()
            .map(|e| e.envelope)
            .collect::<Vec<_>>(),
        chain
    );
}

#[tokio::test]
async fn trace_logs_carry_ids_but_no_payload_or_token() {
    let data = tempfile::tempdir().unwrap();
    let log_path = data.path().join("relay.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut relay = start_logging(&data.path().join("db"), "trace", Stdio::from(log));
    let client = reqwest::Client::new();
    let a = Device::new(1);
    let j = journal(43);
    let token = login(&client, &relay.base, j, &a, Some(genesis(j, &[&a], &a))).await;
    let marker = b"MARKER-ciphertext-must-not-be-logged";
    let push = PushRequest {
        v: WIRE_VERSION,
        envelopes: vec![a.envelope(j, 1, [0; 32], marker)],
    };
    let (status, _) = post(
        &client,
        format!("{}/v1/journals/{j}/envelopes", relay.base),
        Some(&token),
        push.encode(),
    )
    .await;
    assert_eq!(status, 200);
    let pid = relay.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(relay.child.wait().unwrap().success());

    let logs = std::fs::read(&log_path).unwrap();
    let text = String::from_utf8_lossy(&logs);
    assert!(
        text.contains("request served"),
        "no request lines in the log"
    );
    assert!(
        text.contains(&j.to_string()),
        "journal id missing from the log"
    );
    assert!(
        text.contains(&a.id.to_string()),
        "device id missing from the log"
    );
    assert!(
        !text.contains("MARKER-ciphertext"),
        "payload leaked into the log"
    );
    assert!(!text.contains(&token), "bearer token leaked into the log");
}

#[tokio::test]
async fn live_delivery_is_ordered_and_gap_free_under_concurrent_pushes() {
    let data = tempfile::tempdir().unwrap();
    let relay = start(data.path());
    let base = relay.base.clone();
    let client = reqwest::Client::new();
    let devices = [Device::new(1), Device::new(2), Device::new(3)];
    let j = journal(44);
    let refs: Vec<&Device> = devices.iter().collect();
    let first = login(
        &client,
        &base,
        j,
        &devices[0],
        Some(genesis(j, &refs, &devices[0])),
    )
    .await;
    let (mut socket, _) = tokio_tungstenite::connect_async(live_request(&base, j, &first))
        .await
        .unwrap();
    // Make sure the subscription is in place before pushing: an empty pull round-trip.
    let pull = ClientMessage::new(ClientFrame::Pull { after: RelaySeq(0) });
    socket
        .send(Message::Binary(pull.encode().into()))
        .await
        .unwrap();
    assert_eq!(
        next_frame(&mut socket).await,
        ServerFrame::Envelopes(vec![])
    );

    let mut tasks = Vec::new();
    for d in &devices {
        let token = login(&client, &base, j, d, None).await;
        let chain = d.chain(j, 1, None, 60);
        let (client, base) = (client.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            for batch in chain.chunks(3) {
                let push = PushRequest {
                    v: WIRE_VERSION,
                    envelopes: batch.to_vec(),
                };
                let (status, _) = post(
                    &client,
                    format!("{base}/v1/journals/{j}/envelopes"),
                    Some(&token),
                    push.encode(),
                )
                .await;
                assert_eq!(status, 200);
            }
        }));
    }
    let mut seen = Vec::new();
    while seen.len() < 180 {
        match next_frame(&mut socket).await {
            ServerFrame::Envelopes(batch) => seen.extend(batch.iter().map(|e| e.relay_seq.0)),
            other => panic!("unexpected frame {other:?}"),
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(seen, (1..=180).collect::<Vec<_>>());
}
