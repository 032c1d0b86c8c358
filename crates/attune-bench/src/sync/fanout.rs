//! Fan-out: deliveries per second to live devices, through the relay and through
//! a bare WebSocket hub.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use attune_client::sync::RelayClient;
use attune_proto::{ServerFrame, ServerMessage};
use attune_testkit::Relay;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::fixture::{chain_of, live, make_journal, Ws};

/// Count envelopes arriving on a live connection until `stop` is set.
fn count_deliveries(mut ws: Ws, counter: Arc<AtomicUsize>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Binary(b) = msg {
                if let Ok(ServerMessage {
                    frame: ServerFrame::Envelopes(list),
                    ..
                }) = ServerMessage::decode(&b)
                {
                    counter.fetch_add(list.len(), Ordering::Relaxed);
                }
            }
        }
    })
}

/// Deliveries per second to `receivers` live devices while one device pushes.
pub(super) async fn fanout(relay: &Relay, receivers: usize, pushes: usize) -> Result<f64> {
    let j = make_journal(relay, receivers + 1).await?;
    let counter = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for (d, identity) in &j.devices[1..] {
        let c = RelayClient::connect(&relay.url, j.id, *d, identity, None).await?;
        handles.push(count_deliveries(live(&c, 0).await?, counter.clone()));
    }
    let (d0, id0) = &j.devices[0];
    let pusher = RelayClient::connect(&relay.url, j.id, *d0, id0, None).await?;
    let chain = chain_of(&j, 0, pushes, 1, [0; 32])?;
    let expected = pushes * receivers;
    let start = Instant::now();
    for chunk in chain.chunks(10) {
        pusher.push(chunk.to_vec()).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    for h in handles {
        h.abort();
    }
    Ok(counter.load(Ordering::Relaxed) as f64 / elapsed)
}

/// The ceiling: a bare axum WebSocket hub that forwards every message to every
/// other socket, with no storage, auth or crypto.
pub(super) async fn bare_fanout(receivers: usize, pushes: usize) -> Result<f64> {
    use axum::extract::ws::{Message as AxMessage, WebSocket, WebSocketUpgrade};
    use tokio::sync::broadcast;
    let (tx, _) = broadcast::channel::<Vec<u8>>(4096);
    let hub = tx.clone();
    let app = axum::Router::new().route(
        "/ws",
        axum::routing::get(move |ws: WebSocketUpgrade| {
            let tx = hub.clone();
            async move {
                ws.on_upgrade(move |socket: WebSocket| async move {
                    let (mut sink, mut stream) = socket.split();
                    let mut rx = tx.subscribe();
                    let forward = tokio::spawn(async move {
                        while let Ok(m) = rx.recv().await {
                            if sink.send(AxMessage::Binary(m.into())).await.is_err() {
                                break;
                            }
                        }
                    });
                    while let Some(Ok(AxMessage::Binary(b))) = stream.next().await {
                        let _ = tx.send(b.to_vec());
                    }
                    forward.abort();
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let counter = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..receivers {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await?;
        let c = counter.clone();
        handles.push(tokio::spawn(async move {
            let mut ws = ws;
            while let Some(Ok(msg)) = ws.next().await {
                if matches!(msg, Message::Binary(_)) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let (mut pusher, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let payload = vec![0x33u8; 1400];
    // The pusher also receives its own messages, like a relay device does.
    let expected = pushes * (receivers + 1);
    let start = Instant::now();
    for _ in 0..pushes {
        pusher.send(Message::Binary(payload.clone().into())).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < pushes * receivers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let _ = expected;
    for h in handles {
        h.abort();
    }
    server.abort();
    Ok(counter.load(Ordering::Relaxed) as f64 / elapsed)
}
