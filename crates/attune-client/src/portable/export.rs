//! Choosing what to export, and Attune's own JSON export.

use std::path::Path;

use attune_core::{Entry, EntryKind, Query, Timestamp};

use super::document::ExportDocument;
use super::{plaintext, PortableError};
use crate::Store;

/// Which entries an export holds: the list filters, several kinds, and deleted ones on request.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Dates, tag, person (its `kind` and `deleted` are ignored: see below).
    pub query: Query,
    /// Only these kinds (empty: every kind).
    pub kinds: Vec<EntryKind>,
    /// Deleted entries too (they are tombstones: `deleted: true`).
    pub include_deleted: bool,
}

/// The selected entries, newest first.
pub fn select(store: &mut Store, selection: &Selection) -> Result<Vec<Entry>, PortableError> {
    let mut query = selection.query.clone();
    query.kind = None;
    query.deleted = false;
    let mut entries = store.list(&query)?;
    if selection.include_deleted {
        query.deleted = true;
        entries.extend(store.list(&query)?);
    }
    entries.retain(|e| selection.kinds.is_empty() || selection.kinds.contains(&e.kind));
    entries.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    if let Some(limit) = selection.query.limit {
        entries.truncate(limit);
    }
    Ok(entries)
}

/// The JSON export of `entries` (with the safety plan when `with_plan`).
pub fn json_document(
    store: &Store,
    now: Timestamp,
    entries: &[Entry],
    with_plan: bool,
) -> Result<ExportDocument, PortableError> {
    let plan = if with_plan {
        Some(store.safety_plan()?)
    } else {
        None
    };
    let journal = store.config().journal_id.map(|j| j.to_string());
    Ok(ExportDocument::new(now, journal, entries, plan))
}

/// Write the JSON export to `path` (0600, never inside the journal).
pub fn write_json(
    store: &Store,
    path: &Path,
    document: &ExportDocument,
) -> Result<(), PortableError> {
    let bytes = serde_json::to_vec_pretty(document).map_err(|e| PortableError::write(path, e))?;
    plaintext::write_file(store.dir(), path, &bytes)
}
