//! Each entry's Automerge document in Automerge's standard binary save
//! format, plus a manifest, so any Automerge implementation loads the journal.
//!
//! `manifest.json`: `{"format": "attune-automerge", "version": 1, "entries":
//! [{"id", "file", "blake3"}]}`; the document layout (keys `kind`, `created`,
//! `body`, `fields`, …) is described in docs/FORMATS.md.

use std::path::Path;

use attune_core::{Entry, EntryDoc};
use serde_json::json;

use super::{plaintext, PortableError};
use crate::Store;

/// Write `<id>.automerge` for each of `entries` and `manifest.json` into the folder `path`.
pub fn write(store: &Store, path: &Path, entries: &[Entry]) -> Result<usize, PortableError> {
    plaintext::make_folder(store.dir(), path)?;
    let wanted: std::collections::BTreeSet<_> = entries.iter().map(|e| e.id).collect();
    let mut listed = Vec::new();
    for (id, saved) in store.export_docs()? {
        if !wanted.contains(&id) {
            continue;
        }
        let bytes = EntryDoc::automerge_of_saved(&saved).map_err(|e| {
            crate::StoreError::damaged(&store.dir().join("entries"), format!("entry {id}: {e}"))
        })?;
        let file = format!("{id}.automerge");
        plaintext::write_file(store.dir(), &path.join(&file), &bytes)?;
        listed.push(json!({
            "id": id.to_string(),
            "file": file,
            "blake3": blake3::hash(&bytes).to_hex().to_string(),
        }));
    }
    let manifest = json!({"format": "attune-automerge", "version": 1, "entries": listed});
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| PortableError::write(path, e))?;
    plaintext::write_file(store.dir(), &path.join("manifest.json"), &text)?;
    Ok(listed.len())
}
