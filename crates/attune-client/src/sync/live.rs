//! Live sync over a WebSocket: envelopes arrive as they are stored, the
//! outbox is pushed as it fills, and the connection comes back after a drop.

use std::time::Duration;

use attune_proto::{
    ClientFrame, ClientMessage, DeviceSeq, Envelope, ErrorCode, RelaySeq, ServerFrame,
    ServerMessage,
};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::outbox::{self, seal_outbox};
use crate::sync::engine::sync_once;
use crate::sync::inbound::process_envelopes;
use crate::sync::membership::connect;
use crate::sync::push::push_chunk;
use crate::sync::relay::RelayClient;
use crate::sync::report::SyncReport;
use crate::sync::state::SyncState;
use crate::sync::SyncError;
use crate::{Store, StoreError};

/// Something that can open the journal again (the watch loop holds no lock while idle).
pub type Opener<'a> = &'a mut dyn FnMut() -> Result<Store, StoreError>;

/// Sync live over a WebSocket until `stop` resolves, reconnecting with backoff.
///
/// `on_report` is called after every batch of work with what happened.
pub async fn watch(
    open: Opener<'_>,
    mut on_report: impl FnMut(&SyncReport),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), SyncError> {
    tokio::pin!(stop);
    let mut backoff = Duration::from_millis(500);
    loop {
        let session = async {
            let (client, cursor) = {
                let mut store = open()?;
                let report = sync_once(&mut store).await?;
                on_report(&report);
                let state = SyncState::load(&store)?;
                (connect(&store, &state).await?, state.cursor)
            };
            run_live(&client, open, cursor, &mut on_report).await
        };
        tokio::select! {
            _ = &mut stop => return Ok(()),
            result = session => {
                match result {
                    Err(e @ (SyncError::NotInRoster | SyncError::StaleDevice(_) | SyncError::Roster(_) | SyncError::NoRelay | SyncError::Store(_))) => return Err(e),
                    Err(e) => {
                        on_report(&SyncReport { problems: vec![format!("{e}; reconnecting in {} s", backoff.as_secs_f32())], ..Default::default() });
                    }
                    Ok(()) => backoff = Duration::from_millis(500),
                }
            }
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn run_live(
    client: &RelayClient,
    open: Opener<'_>,
    cursor: u64,
    on_report: &mut impl FnMut(&SyncReport),
) -> Result<(), SyncError> {
    let mut ws = client.open_live().await?;
    let pull = ClientMessage::new(ClientFrame::Pull {
        after: RelaySeq(cursor),
    });
    ws.send(Message::Binary(pull.encode().into()))
        .await
        .map_err(|e| SyncError::Network(e.to_string()))?;
    let dir = open()?.dir().to_path_buf();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut in_flight = false;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let Some(msg) = msg else { return Err(SyncError::Network("the relay closed the live connection".into())) };
                let msg = msg.map_err(|e| client.live_error(e))?;
                let bytes = match msg {
                    Message::Binary(b) => b,
                    Message::Close(_) => return Err(SyncError::Network("the relay closed the live connection".into())),
                    _ => continue,
                };
                match ServerMessage::decode(&bytes)?.frame {
                    ServerFrame::Envelopes(list) if list.is_empty() => {}
                    ServerFrame::Envelopes(list) => {
                        let mut store = open()?;
                        let mut state = SyncState::load(&store)?;
                        let mut report = SyncReport::default();
                        process_envelopes(&mut store, &mut state, &list, &mut report)?;
                        if !report.problems.is_empty() {
                            state.problems = report.problems.clone();
                            state.save(&store)?;
                        }
                        on_report(&report);
                        if report.roster_stale {
                            // A new device or key epoch: a full sync (on reconnect) fetches the roster.
                            return Err(SyncError::Network("the journal's device list changed; syncing again".into()));
                        }
                    }
                    ServerFrame::Acked(resp) => {
                        let store = open()?;
                        let mut report = SyncReport::default();
                        let acked: Vec<DeviceSeq> = resp.acks.iter().map(|a| a.device_seq).collect();
                        report.pushed += store.ack_envelopes(&acked)?;
                        in_flight = false;
                        on_report(&report);
                    }
                    ServerFrame::Error(e) => {
                        match e.code() {
                            ErrorCode::NotInRoster => return Err(SyncError::NotInRoster),
                            ErrorCode::OutOfOrder | ErrorCode::SeqConflict => {
                                return Err(SyncError::StaleDevice(e.message));
                            }
                            // Reconnecting syncs once first, which starts from the snapshot.
                            ErrorCode::Compacted => return Err(SyncError::Network(e.message)),
                            _ => {}
                        }
                        in_flight = false;
                        on_report(&SyncReport { problems: vec![format!("the relay refused: {}", e.message)], ..Default::default() });
                    }
                }
            }
            _ = tick.tick() => {
                if in_flight || !outbox::has_work(&dir) {
                    continue;
                }
                let store = open()?;
                let mut state = SyncState::load(&store)?;
                seal_outbox(&store, &mut state)?;
                let envelopes: Vec<Envelope> = push_chunk(store.outbox_envelopes()?).into_iter().map(|(_, e)| e).collect();
                drop(store);
                if !envelopes.is_empty() {
                    let push = ClientMessage::new(ClientFrame::Push(attune_proto::PushRequest { v: attune_proto::WIRE_VERSION, envelopes }));
                    ws.send(Message::Binary(push.encode().into())).await.map_err(|e| SyncError::Network(e.to_string()))?;
                    in_flight = true;
                }
            }
        }
    }
}
