//! In-memory fan-out of newly committed envelopes to the live connections of a journal.
//!
//! The hub also knows which device each live connection belongs to
//! ([`LiveDevices`]), so a roster update can close those of removed devices.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use attune_proto::{JournalId, StoredEnvelope};
use tokio::sync::broadcast;

use crate::live_devices::LiveDevices;

/// A batch of newly committed envelopes of one journal, in relay-sequence order.
pub type Batch = Arc<[StoredEnvelope]>;

/// One broadcast channel per journal with live listeners.
pub struct Hub {
    capacity: usize,
    channels: Mutex<HashMap<JournalId, broadcast::Sender<Batch>>>,
    devices: Arc<LiveDevices>,
}

impl Hub {
    /// A hub whose channels buffer `capacity` batches per journal before a slow listener lags.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            channels: Mutex::new(HashMap::new()),
            devices: Arc::default(),
        }
    }

    /// The live connections by device (to close those of removed devices).
    pub fn devices(&self) -> &Arc<LiveDevices> {
        &self.devices
    }

    /// Listens to a journal's new envelopes, unless it already has `max_listeners`.
    pub fn subscribe(
        &self,
        journal: JournalId,
        max_listeners: usize,
    ) -> Option<broadcast::Receiver<Batch>> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = channels
            .entry(journal)
            .or_insert_with(|| broadcast::channel(self.capacity).0);
        if sender.receiver_count() >= max_listeners {
            return None;
        }
        Some(sender.subscribe())
    }

    /// How many live listeners a journal has.
    pub fn listeners(&self, journal: JournalId) -> usize {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels.get(&journal).map_or(0, |s| s.receiver_count())
    }

    /// The journals that have live listeners now.
    pub fn journals(&self) -> Vec<JournalId> {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .iter()
            .filter(|(_, s)| s.receiver_count() > 0)
            .map(|(j, _)| *j)
            .collect()
    }

    /// Sends committed envelopes to the journal's listeners (called only after commit).
    pub fn publish(&self, journal: JournalId, envelopes: Vec<StoredEnvelope>) {
        if envelopes.is_empty() {
            return;
        }
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = channels.get(&journal) {
            if sender.send(envelopes.into()).is_err() {
                // Nobody listens any more: drop the channel so memory follows live connections.
                channels.remove(&journal);
            }
        }
    }

    /// Drops a journal's channel once its last listener is gone.
    pub fn release(&self, journal: JournalId) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if channels
            .get(&journal)
            .is_some_and(|s| s.receiver_count() == 0)
        {
            channels.remove(&journal);
        }
    }
}
