//! `GET …/ws`: the live WebSocket of a device.
//!
//! The client sends [`ClientMessage`] binary frames: `Push` is answered by
//! `Acked` or `Error`; `Pull { after }` by zero or more non-empty `Envelopes`
//! pages followed by one empty `Envelopes` frame that marks the end of the
//! backlog. Independently, every envelope of the journal committed after the
//! connection opened (the device's own included, so cursors stay gap-free) is
//! sent as an `Envelopes` frame. A connection that falls behind the in-memory
//! fan-out is caught up from storage, so nothing is lost.
//!
//! Authentication: `Authorization: Bearer TOKEN` on the upgrade request, or,
//! where headers cannot be set (browsers), a [`LiveAuth`] first frame within
//! [`FIRST_FRAME_TIMEOUT`]; a socket that does not authenticate in time is
//! closed with code 1008 and the error code as reason (`missing_token`,
//! `invalid_token`, `not_in_roster`). A token in the URL (`?token=`) is
//! refused with `400 token_in_url`: proxies and access logs keep URLs.
//!
//! A device removed from the journal's roster loses its connection: the
//! instance storing the roster update closes it at once (others when the
//! update is announced, PostgreSQL), and a push through a connection of a
//! removed device is refused in the storage commit and closes it too. The
//! close frame has code 1008 and reason `not_in_roster`.

use std::time::Duration;

use attune_proto::{
    ClientFrame, ClientMessage, ErrorCode, JournalId, RelaySeq, ServerFrame, ServerMessage,
    StoredEnvelope,
};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{timeout, Instant};

use crate::auth::Grant;
use crate::config::PULL_PAGE_MAX;
use crate::error::ApiError;
use crate::extract::Client;
use crate::fanout::Batch;
use crate::limits::LiveSlot;
use crate::live_devices::{REMOVED_CLOSE_CODE, REMOVED_CLOSE_REASON};
use crate::routes::envelopes::{accept_push, pull_page};
use crate::state::AppState;

mod auth;

use auth::open_by_first_frame;
pub use auth::{LiveCredentials, FIRST_FRAME_TIMEOUT};

/// Read buffer per socket: thousands of mostly idle sockets must stay cheap (10,000 at 4 KiB measured 151 MiB on PostgreSQL; see docs/PERFORMANCE.md).
const READ_BUFFER: usize = 2 * 1024;
/// Write buffer per socket.
const WRITE_BUFFER: usize = 4 * 1024;

/// Upgrades to a WebSocket for the authenticated device (or one that authenticates by its first frame).
pub async fn live(
    State(state): State<AppState>,
    credentials: LiveCredentials,
    Client(client): Client,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let slot = state.limits.admit_live(client)?;
    // With the header, a full journal is refused before the upgrade, as an HTTP 429.
    let opening = match credentials {
        LiveCredentials::Header(grant) => Opening::Ready(grant, subscribe(&state, grant.journal)?),
        LiveCredentials::FirstFrame { journal, slot } => Opening::AwaitingAuth(journal, slot),
    };
    let max_message = state.config.max_body_bytes;
    let tracker = state.sessions.clone();
    Ok(upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(max_message.saturating_mul(2).max(WRITE_BUFFER + 1))
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                match opening {
                    Opening::Ready(grant, receiver) => {
                        run(socket, state, grant, receiver, slot).await
                    }
                    Opening::AwaitingAuth(journal, waiting) => {
                        open_by_first_frame(socket, state, journal, waiting, slot).await
                    }
                }
            })
        }))
}

/// A socket about to open: authenticated and subscribed, or waiting for its first frame.
enum Opening {
    Ready(Grant, broadcast::Receiver<Batch>),
    AwaitingAuth(JournalId, tokio::sync::OwnedSemaphorePermit),
}

/// A receiver of the journal's fan-out, or the refusal of a journal with too many live connections.
fn subscribe(state: &AppState, journal: JournalId) -> Result<broadcast::Receiver<Batch>, ApiError> {
    state
        .hub
        .subscribe(journal, state.config.max_connections_per_journal)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyConnections,
                "this journal has too many live connections; close one or use pull",
            )
        })
}

type Sink = SplitSink<WebSocket, Message>;

struct LiveSession {
    state: AppState,
    grant: Grant,
    sink: Sink,
    /// Highest relay sequence sent on this connection (live or by catch-up).
    sent_upto: RelaySeq,
}

async fn run(
    socket: WebSocket,
    state: AppState,
    grant: Grant,
    mut receiver: broadcast::Receiver<Batch>,
    // Counted against the client until the connection ends.
    _slot: LiveSlot,
) {
    let journal = grant.journal;
    // Registered before anything else: a removal from now on closes this connection.
    let registration = state.hub.devices().register(journal, grant.device);
    let (sink, mut stream) = socket.split();
    // Subscribed first, head read second: live batches continue from here without a gap.
    let head = match state.storage.journal_stats(journal).await {
        Ok(Some(stats)) => stats.head,
        Ok(None) | Err(_) => {
            drop(receiver);
            state.hub.release(journal);
            return;
        }
    };
    let mut session = LiveSession {
        state: state.clone(),
        grant,
        sink,
        sent_upto: head,
    };
    // The upgrade checked membership; a removal stored before `registration` is caught here.
    if let Ok(false) = state.storage.is_member(journal, grant.device).await {
        session
            .close(REMOVED_CLOSE_CODE, REMOVED_CLOSE_REASON)
            .await;
        drop(receiver);
        state.hub.release(journal);
        return;
    }
    tracing::info!(journal_id = %journal, device_id = %grant.device, "live connection opened");
    metrics::gauge!(crate::metrics::LIVE_CONNECTIONS).increment(1.0);
    // A zero interval would make `interval` panic.
    let mut ping =
        tokio::time::interval(state.config.ws_ping_interval.max(Duration::from_millis(1)));
    ping.tick().await;
    let mut last_heard = Instant::now();
    loop {
        let keep_going = tokio::select! {
            () = state.shutdown.cancelled() => {
                session.close(1001, "relay shutting down").await;
                false
            }
            () = registration.removed() => {
                tracing::info!(journal_id = %journal, device_id = %grant.device,
                    "device removed from the roster; closing its live connection");
                session.close(REMOVED_CLOSE_CODE, REMOVED_CLOSE_REASON).await;
                false
            }
            message = stream.next() => match message {
                Some(Ok(message)) => {
                    last_heard = Instant::now();
                    session.on_message(message).await
                }
                None | Some(Err(_)) => false,
            },
            batch = receiver.recv() => match batch {
                Ok(batch) => session.deliver(&batch).await,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(journal_id = %journal, missed, "live connection lagged; catching up from storage");
                    session.catch_up().await
                }
                Err(RecvError::Closed) => false,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > state.config.ws_idle_timeout {
                    tracing::info!(journal_id = %journal, device_id = %grant.device, "live connection idle; closing");
                    session.close(1000, "idle").await;
                    false
                } else {
                    session.send_raw(Message::Ping(Vec::new().into())).await
                }
            }
        };
        if !keep_going {
            break;
        }
    }
    drop(receiver);
    drop(registration);
    metrics::gauge!(crate::metrics::LIVE_CONNECTIONS).decrement(1.0);
    state.hub.release(journal);
    tracing::info!(journal_id = %journal, device_id = %grant.device, "live connection closed");
}

impl LiveSession {
    /// Sends a frame; false when the client is gone or too slow.
    async fn send_raw(&mut self, message: Message) -> bool {
        let sent = timeout(self.state.config.ws_send_timeout, self.sink.send(message)).await;
        if sent.is_err() {
            tracing::info!(journal_id = %self.grant.journal, device_id = %self.grant.device,
                "live client too slow to take a frame; closing");
        }
        matches!(sent, Ok(Ok(())))
    }

    /// Says goodbye with a close frame (best effort, bounded by the send timeout).
    async fn close(&mut self, code: u16, reason: &'static str) {
        let close = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = self.send_raw(Message::Close(Some(close))).await;
    }

    async fn send(&mut self, frame: ServerFrame) -> bool {
        if let ServerFrame::Envelopes(list) = &frame {
            metrics::counter!(crate::metrics::ENVELOPES_SERVED).increment(list.len() as u64);
        }
        let bytes = ServerMessage::new(frame).encode();
        self.send_raw(Message::Binary(bytes.into())).await
    }

    async fn send_error(&mut self, error: &ApiError) -> bool {
        self.send(ServerFrame::Error(error.body())).await
    }

    /// Handles one client frame; false to close the connection.
    async fn on_message(&mut self, message: Message) -> bool {
        let bytes = match message {
            Message::Binary(bytes) => bytes,
            Message::Text(_) => {
                let error = ApiError::bad_request(
                    ErrorCode::TextFrame,
                    "send binary ClientMessage frames, not text",
                );
                return self.send_error(&error).await;
            }
            Message::Ping(_) | Message::Pong(_) => return true,
            Message::Close(_) => return false,
        };
        let message = match ClientMessage::decode(&bytes) {
            Ok(message) => message,
            Err(e) => return self.send_error(&ApiError::from_proto(e)).await,
        };
        match message.frame {
            ClientFrame::Push(request) => {
                let count = request.envelopes.len();
                match accept_push(&self.state, self.grant, request).await {
                    Ok(response) => {
                        tracing::info!(journal_id = %self.grant.journal, device_id = %self.grant.device,
                            envelopes = count, bytes = bytes.len(), "live push");
                        self.send(ServerFrame::Acked(response)).await
                    }
                    Err(error) if error.code == ErrorCode::NotInRoster => {
                        // Removed through another instance: refused in the commit; close.
                        tracing::info!(journal_id = %self.grant.journal, device_id = %self.grant.device,
                            "live push of a device no longer in the roster; closing");
                        self.send_error(&error).await;
                        self.close(REMOVED_CLOSE_CODE, REMOVED_CLOSE_REASON).await;
                        false
                    }
                    Err(error) => self.send_error(&error).await,
                }
            }
            ClientFrame::Pull { after } => {
                // Like every HTTP request: only a device still in the latest roster.
                match self
                    .state
                    .storage
                    .is_member(self.grant.journal, self.grant.device)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        let error = ApiError::forbidden(
                            ErrorCode::NotInRoster,
                            "this device is no longer in the journal's roster",
                        );
                        self.send_error(&error).await;
                        self.close(REMOVED_CLOSE_CODE, REMOVED_CLOSE_REASON).await;
                        return false;
                    }
                    Err(e) => return self.send_error(&ApiError::from(e)).await,
                }
                if !self.send_pages(after).await {
                    return false;
                }
                // An empty page marks the end of the backlog.
                self.send(ServerFrame::Envelopes(Vec::new())).await
            }
        }
    }

    /// Sends every stored envelope after `after`, page by page; false if the connection failed.
    async fn send_pages(&mut self, mut after: RelaySeq) -> bool {
        loop {
            let page = match pull_page(&self.state, self.grant, after, PULL_PAGE_MAX).await {
                Ok(page) => page,
                Err(error) => return self.send_error(&error).await,
            };
            let Some(last) = page.envelopes.last().map(|e| e.relay_seq) else {
                return true;
            };
            if !self.send(ServerFrame::Envelopes(page.envelopes)).await {
                return false;
            }
            self.sent_upto = self.sent_upto.max(last);
            after = last;
        }
    }

    /// Sends newly committed envelopes, catching up from storage if some were missed.
    async fn deliver(&mut self, batch: &[StoredEnvelope]) -> bool {
        let fresh: Vec<StoredEnvelope> = batch
            .iter()
            .filter(|e| e.relay_seq > self.sent_upto)
            .cloned()
            .collect();
        let Some(first) = fresh.first() else {
            return true;
        };
        if first.relay_seq.0 != self.sent_upto.0 + 1 {
            return self.catch_up().await;
        }
        let last = fresh.last().map_or(self.sent_upto, |e| e.relay_seq);
        if !self.send(ServerFrame::Envelopes(fresh)).await {
            return false;
        }
        self.sent_upto = last;
        true
    }

    /// Sends from storage everything after what this connection has sent.
    async fn catch_up(&mut self) -> bool {
        self.send_pages(self.sent_upto).await
    }
}
