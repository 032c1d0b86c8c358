//! The shared state of the relay's handlers.

use std::ops::Deref;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::fanout::Hub;
use crate::storage::Storage;
use crate::writer::Writer;

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What the handlers share.
pub struct Shared {
    /// Limits and timings.
    pub config: Config,
    /// The durable store.
    pub storage: Arc<dyn Storage>,
    /// Challenges and sessions.
    pub auth: Authenticator,
    /// Live fan-out.
    pub hub: Arc<Hub>,
    /// The group-commit writer.
    pub writer: Writer,
    /// Cancelled when the relay starts shutting down (live connections close).
    pub shutdown: CancellationToken,
    /// Tracks live WebSocket sessions so shutdown can wait for them.
    pub sessions: TaskTracker,
    /// Device-pairing settings and lookup allowances (the rendezvous are in storage).
    pub pairing: crate::pairing::Pairing,
    /// Rate limits and connection caps.
    pub limits: crate::limits::Limits,
}

impl AppState {
    /// Wraps the shared state.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
