//! `quarantine/`: envelopes refused for good, kept as the relay served them
//! (still sealed) so that nothing is lost and a writer can show them to
//! someone who helps.

use std::path::PathBuf;

use attune_proto::StoredEnvelope;

use crate::dir::atomic as files;
use crate::dir::layout::{ENVELOPE_EXT, QUARANTINE_DIR};
use crate::sync::SyncError;
use crate::Store;

/// At most this many refused envelopes are kept (a relay serving garbage
/// without end must not fill the disk); the newest beyond it are only reported.
const QUARANTINE_MAX: usize = 1000;

/// Keeps a refused envelope, as served, in `quarantine/` (it is still sealed).
pub(super) fn quarantine(store: &Store, stored: &StoredEnvelope) -> Result<(), SyncError> {
    let dir = store.dir().join(QUARANTINE_DIR);
    files::create_private_dir(&dir)?;
    let kept = std::fs::read_dir(&dir).map_or(0, |entries| entries.count());
    if kept >= QUARANTINE_MAX {
        return Ok(());
    }
    let path: PathBuf = dir.join(format!("{:020}.{ENVELOPE_EXT}", stored.relay_seq.0));
    files::write_private(&path, &stored.envelope.encode())?;
    Ok(())
}
