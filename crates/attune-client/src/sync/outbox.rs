//! The sealed envelopes waiting in `outbox/envelopes/` for the relay's
//! acknowledgement (the change records beside them belong to the store).

use std::fs;
use std::path::PathBuf;

use attune_proto::Envelope;

use crate::files;
use crate::layout::OUTBOX_DIR;
use crate::sync::SyncError;
use crate::{Store, StoreError};

pub(crate) fn envelope_dir(store: &Store) -> PathBuf {
    store.dir().join(OUTBOX_DIR).join("envelopes")
}

/// Sealed envelopes waiting for an acknowledgement, in device-sequence order.
pub(crate) fn outbox_envelopes(store: &Store) -> Result<Vec<(PathBuf, Envelope)>, SyncError> {
    let dir = envelope_dir(store);
    let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("env"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io(&dir, e).into()),
    };
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let bytes = files::read(&path)?;
        let env = Envelope::decode(&bytes).map_err(|e| StoreError::damaged(&path, e))?;
        out.push((path, env));
    }
    Ok(out)
}

/// How many local changes and sealed envelopes wait to be pushed.
pub fn pending_counts(store: &Store) -> Result<(usize, usize), SyncError> {
    Ok((
        store.outbox_changes()?.len(),
        outbox_envelopes(store)?.len(),
    ))
}
