//! The live WebSocket connections held open, each from a loopback source address.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use attune_proto::{ServerFrame, ServerMessage};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::process::RelayProcess;
use super::push::Deliveries;
use super::setup::BenchJournal;
use super::SETUP_CONCURRENCY;

type Live = WebSocketStream<TcpStream>;

/// A live WebSocket from `source`, with small buffers so the benchmark's side stays cheap too.
async fn open_live(relay: SocketAddr, source: Ipv4Addr, url: &str, token: &str) -> Result<Live> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request()?;
    // The token goes in the header: the relay refuses one in the URL.
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let socket = TcpSocket::new_v4()?;
    socket
        .bind(SocketAddr::from((source, 0)))
        .with_context(|| format!("binding to {source}"))?;
    let stream = socket.connect(relay).await?;
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    Ok(ws)
}

/// Opens the live connections `range` (connection k is device k % per of journal k / per).
pub(super) async fn open_connections(
    relay: &RelayProcess,
    journals: &[BenchJournal],
    per: usize,
    range: std::ops::Range<usize>,
    sources: u8,
    deliveries: &Arc<Deliveries>,
    held: &mut Vec<JoinHandle<()>>,
) -> Result<()> {
    let ws_base = relay.url.replace("http://", "ws://");
    let opened: Vec<Live> = stream::iter(range)
        .map(|k| {
            let journal = &journals[k / per];
            let url = format!("{ws_base}/v1/journals/{}/ws", journal.journal.id);
            let token = &journal.tokens[k % per];
            // 127.0.0.2, 127.0.0.3, …: each source address has its own ports.
            let source = Ipv4Addr::new(127, 0, 0, 2 + (k % usize::from(sources)) as u8);
            async move {
                open_live(relay.addr, source, &url, token)
                    .await
                    .with_context(|| format!("live connection {k}"))
            }
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await?;
    for ws in opened {
        held.push(tokio::spawn(listen(ws, deliveries.clone())));
    }
    Ok(())
}

/// Reads a live connection until it closes, recording each envelope's delivery.
/// Reading also answers the relay's pings, so idle connections stay open.
async fn listen(mut ws: Live, deliveries: Arc<Deliveries>) {
    while let Some(Ok(message)) = ws.next().await {
        if let Message::Binary(bytes) = message {
            if let Ok(ServerMessage {
                frame: ServerFrame::Envelopes(list),
                ..
            }) = ServerMessage::decode(&bytes)
            {
                let now = Instant::now();
                for stored in &list {
                    deliveries.delivered(&stored.envelope, now);
                }
            }
        }
    }
}
