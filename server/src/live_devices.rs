//! The live connections of each device, so that a device removed from a
//! journal's roster loses its open WebSockets at once.
//!
//! Every live connection registers its journal and device and keeps the
//! returned [`LiveDevice`]; the relay instance that stores a roster update,
//! and (PostgreSQL) every other instance when the update is announced, call
//! [`LiveDevices::close_removed`], which cancels the connections of devices
//! no longer in the roster. The connection then says goodbye and closes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use attune_proto::{DeviceId, ErrorCode, JournalId};
use tokio_util::sync::CancellationToken;

/// The close code sent to a device removed from the roster (1008: policy violation).
pub const REMOVED_CLOSE_CODE: u16 = 1008;
/// The close reason sent to a device removed from the roster.
pub const REMOVED_CLOSE_REASON: &str = ErrorCode::NotInRoster.as_str();

struct Entry {
    id: u64,
    device: DeviceId,
    removed: CancellationToken,
}

/// Live connections by journal.
#[derive(Default)]
pub struct LiveDevices {
    next: AtomicU64,
    sockets: Mutex<HashMap<JournalId, Vec<Entry>>>,
}

/// One registered live connection; unregisters itself when dropped.
pub struct LiveDevice {
    devices: Arc<LiveDevices>,
    journal: JournalId,
    id: u64,
    removed: CancellationToken,
}

impl LiveDevices {
    fn lock(&self) -> MutexGuard<'_, HashMap<JournalId, Vec<Entry>>> {
        // No code holding this lock panics; if one ever did, the map is still consistent.
        self.sockets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a live connection of `device` to `journal`.
    pub fn register(self: &Arc<Self>, journal: JournalId, device: DeviceId) -> LiveDevice {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let removed = CancellationToken::new();
        self.lock().entry(journal).or_default().push(Entry {
            id,
            device,
            removed: removed.clone(),
        });
        LiveDevice {
            devices: self.clone(),
            journal,
            id,
            removed,
        }
    }

    /// Whether `journal` has live connections here.
    pub fn has_journal(&self, journal: JournalId) -> bool {
        self.lock().contains_key(&journal)
    }

    /// The journals with live connections here.
    pub fn journals(&self) -> Vec<JournalId> {
        self.lock().keys().copied().collect()
    }

    /// Closes the live connections to `journal` of every device for which
    /// `is_member` is false; returns how many were closed.
    pub fn close_removed(&self, journal: JournalId, is_member: impl Fn(DeviceId) -> bool) -> usize {
        let sockets = self.lock();
        let Some(entries) = sockets.get(&journal) else {
            return 0;
        };
        let mut closed = 0;
        for entry in entries.iter().filter(|e| !is_member(e.device)) {
            if !entry.removed.is_cancelled() {
                entry.removed.cancel();
                closed += 1;
            }
        }
        closed
    }
}

impl LiveDevice {
    /// Resolves when the device was removed from the journal's roster.
    pub async fn removed(&self) {
        self.removed.cancelled().await;
    }
}

impl Drop for LiveDevice {
    fn drop(&mut self) {
        let mut sockets = self.devices.lock();
        if let Some(entries) = sockets.get_mut(&self.journal) {
            entries.retain(|e| e.id != self.id);
            if entries.is_empty() {
                sockets.remove(&self.journal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_devices_are_cancelled_and_entries_dropped() {
        let devices = Arc::new(LiveDevices::default());
        let (j, k) = (JournalId([1; 16]), JournalId([2; 16]));
        let (a, b) = (DeviceId([1; 16]), DeviceId([2; 16]));
        let a1 = devices.register(j, a);
        let b1 = devices.register(j, b);
        let b_elsewhere = devices.register(k, b);
        assert_eq!(devices.close_removed(j, |d| d == a), 1);
        assert!(b1.removed.is_cancelled());
        assert!(!a1.removed.is_cancelled());
        assert!(!b_elsewhere.removed.is_cancelled());
        // Already closed: not counted again.
        assert_eq!(devices.close_removed(j, |d| d == a), 0);
        drop((a1, b1));
        assert!(!devices.has_journal(j));
        assert_eq!(devices.journals(), vec![k]);
    }
}
