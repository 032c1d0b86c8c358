//! When a device takes a snapshot: weighed by envelopes applied, changes
//! applied and sealed bytes received since the last one, kept in the sealed
//! `snapshot-state` file.

use serde::{Deserialize, Serialize};

use crate::dir::layout::SNAPSHOT_STATE_FILE;
use crate::sync::report::SyncReport;
use crate::sync::state::SyncState;
use crate::sync::SyncError;
use crate::Store;

/// Take a snapshot once the journal is this many envelopes past the last one.
pub const SNAPSHOT_EVERY: u64 = 1000;
/// … or once this many changes of other devices were applied since it
/// (thousands of short entries fit in a few hundred envelopes).
pub const SNAPSHOT_AFTER_CHANGES: u64 = 2000;
/// … or once this many sealed bytes were received since it (this device's
/// own envelopes pulled back included): what a new device would replay.
pub const SNAPSHOT_AFTER_BYTES: u64 = 8 << 20;
/// Set (to anything) in the environment, no snapshot is taken unless asked
/// (`attune sync --snapshot`): for benchmarks and tests that measure a new
/// device replaying every envelope. Not for everyday use.
pub const NO_AUTO_SNAPSHOT_VAR: &str = "ATTUNE_NO_AUTO_SNAPSHOT";

/// What this device remembers about snapshots.
#[derive(Default, Serialize, Deserialize)]
struct SnapshotState {
    v: u8,
    /// [`SyncState::applied_envelopes`] when this device last took or started from a snapshot.
    last_applied: u64,
    /// Changes of other devices applied since then.
    changes_since: u64,
    /// Sealed bytes received since then.
    bytes_since: u64,
}

/// 3 added `changes_since` and `bytes_since`.
const SNAPSHOT_STATE_VERSION: u8 = 3;

/// The snapshot state; a missing or older one counts as none (it only schedules snapshots).
fn load_state(store: &Store) -> Result<SnapshotState, SyncError> {
    Ok(store
        .read_sealed_state(SNAPSHOT_STATE_FILE)?
        .and_then(|bytes| postcard::from_bytes::<SnapshotState>(&bytes).ok())
        .filter(|s| s.v == SNAPSHOT_STATE_VERSION)
        .unwrap_or_default())
    // (A version-2 state does not parse as version 3: it counts as none, and
    // the envelope count starts again from this device's total.)
}

pub(crate) fn save_state(store: &Store, last_applied: u64) -> Result<(), SyncError> {
    let state = SnapshotState {
        v: SNAPSHOT_STATE_VERSION,
        last_applied,
        changes_since: 0,
        bytes_since: 0,
    };
    let bytes = postcard::to_allocvec(&state)
        .map_err(|e| crate::StoreError::damaged(&store.dir().join(SNAPSHOT_STATE_FILE), e))?;
    store.write_sealed_state(SNAPSHOT_STATE_FILE, &bytes)?;
    Ok(())
}

/// Whether a sync that did what `report` says should take a snapshot now:
/// weighed by envelopes applied, changes applied and bytes received since the
/// last one (replayed or refused envelopes never make one due). Keeps the
/// running counts when it is not.
pub(crate) fn due(
    store: &Store,
    state: &SyncState,
    report: &SyncReport,
) -> Result<bool, SyncError> {
    let mut kept = load_state(store)?;
    if kept.v != SNAPSHOT_STATE_VERSION {
        // None yet (or an older format): count from this device's start.
        kept = SnapshotState {
            v: SNAPSHOT_STATE_VERSION,
            ..SnapshotState::default()
        };
    }
    kept.changes_since = kept.changes_since.saturating_add(report.applied as u64);
    kept.bytes_since = kept.bytes_since.saturating_add(report.received_bytes);
    // Counted even when automatic snapshots are off, so that the next sync
    // without the variable weighs everything since the last snapshot.
    let due = weighs_enough(state.applied_envelopes, &kept)
        && std::env::var_os(NO_AUTO_SNAPSHOT_VAR).is_none();
    if report.applied > 0 || report.received_bytes > 0 {
        let bytes = postcard::to_allocvec(&kept)
            .map_err(|e| crate::StoreError::damaged(&store.dir().join(SNAPSHOT_STATE_FILE), e))?;
        store.write_sealed_state(SNAPSHOT_STATE_FILE, &bytes)?;
    }
    Ok(due)
}

/// Whether the counts call for a snapshot.
fn weighs_enough(applied_envelopes: u64, kept: &SnapshotState) -> bool {
    applied_envelopes >= kept.last_applied.saturating_add(SNAPSHOT_EVERY)
        || kept.changes_since >= SNAPSHOT_AFTER_CHANGES
        || kept.bytes_since >= SNAPSHOT_AFTER_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(last_applied: u64, changes_since: u64, bytes_since: u64) -> SnapshotState {
        SnapshotState {
            v: SNAPSHOT_STATE_VERSION,
            last_applied,
            changes_since,
            bytes_since,
        }
    }

    #[test]
    fn many_short_entries_in_few_envelopes_make_a_snapshot_due() {
        // 85,000 one-line entries arrive in a few hundred envelopes.
        assert!(!weighs_enough(222, &kept(0, 0, 0)));
        assert!(weighs_enough(222, &kept(0, 85_000, 0)));
        assert!(weighs_enough(222, &kept(0, 0, 30 << 20)));
        // The envelope count alone still does.
        assert!(weighs_enough(1_500, &kept(400, 10, 10)));
        assert!(!weighs_enough(
            1_399,
            &kept(400, SNAPSHOT_AFTER_CHANGES - 1, SNAPSHOT_AFTER_BYTES - 1)
        ));
    }
}
