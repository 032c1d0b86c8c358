//! What a sync did, for the writer.

/// What one sync did, for the writer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Envelopes this device pushed.
    pub pushed: usize,
    /// Envelopes received from the relay and verified.
    pub received: usize,
    /// Automerge changes that were new here.
    pub applied: usize,
    /// Sealed bytes of the envelopes received (this device's own pulled back included).
    pub received_bytes: u64,
    /// The relay's latest sequence number.
    pub head: u64,
    /// Problems found (rejected envelopes, gaps, rollbacks), in plain words.
    pub problems: Vec<String>,
    /// Entries written from a snapshot this sync started from.
    pub restored_entries: usize,
    /// The relay cursor of the snapshot this sync started from, if it used one.
    pub snapshot_cursor: Option<u64>,
    /// The snapshot this sync took and uploaded, if it took one.
    pub snapshot_taken: Option<crate::sync::SnapshotTaken>,
    /// An envelope waits for a device list newer than this device's: sync
    /// again (a live session reconnects, which fetches it).
    pub roster_stale: bool,
}
