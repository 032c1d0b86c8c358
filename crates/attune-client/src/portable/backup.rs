//! A backup: one file in the standard age format that the stock `age` tool
//! opens (`age -d -i IDENTITY`), encrypted to every current device's age
//! recipient and to the recovery device derived from the recovery words
//! (`attune recovery age-identity` prints its identity).
//!
//! Inside is a tar:
//!
//! | name | what |
//! |---|---|
//! | `manifest.json` | `{"format": "attune-backup", "version": 1, "created", "journal_id", "entries", "files": {name: blake3 hex}}` |
//! | `journal.json` | the JSON export, deleted entries and the safety plan included |
//! | `safety-plan.json` | the safety plan alone |
//! | `automerge/<id>.automerge` | each entry's Automerge document (standard binary save format) |

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use attune_core::{Query, Timestamp};
use serde::{Deserialize, Serialize};

use super::export::{json_document, select, Selection};
use super::{plaintext, PortableError};
use crate::dir::atomic as files;
use crate::Store;

/// What the manifest's `format` says.
pub const BACKUP_FORMAT: &str = "attune-backup";
/// The backup version this build writes and reads.
pub const BACKUP_VERSION: u32 = 1;

/// The list of what a backup holds, with a hash of each file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// [`BACKUP_FORMAT`].
    pub format: String,
    /// [`BACKUP_VERSION`].
    pub version: u32,
    /// When it was made (RFC 3339).
    pub created: String,
    /// The journal (hex).
    pub journal_id: Option<String>,
    /// How many entries (deleted ones included).
    pub entries: usize,
    /// Every other file of the tar and its BLAKE3 hash (hex).
    pub files: BTreeMap<String, String>,
}

/// What a backup was encrypted to, and how big it is.
#[derive(Clone, Debug)]
pub struct Created {
    /// Entries in it.
    pub entries: usize,
    /// The age recipients it opens for.
    pub recipients: Vec<String>,
    /// Size of the file in bytes.
    pub bytes: usize,
}

/// Every age recipient a backup of this journal is encrypted to: this
/// device, every device of the trusted roster, and the recovery device.
pub fn recipients(store: &Store) -> Result<Vec<String>, PortableError> {
    let mut out = vec![store.identity().age_recipient()];
    if let Ok(state) = crate::sync::state::SyncState::load(store) {
        if let Some(roster) = state.roster() {
            out.extend(roster.devices.iter().map(|d| d.age_recipient.clone()));
        }
    }
    if let Some(kit) = &store.config().recovery {
        out.push(kit.age_recipient.clone());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn add_file(
    tar: &mut tar::Builder<Vec<u8>>,
    name: &str,
    bytes: &[u8],
    hashes: Option<&mut BTreeMap<String, String>>,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)?;
    if let Some(hashes) = hashes {
        hashes.insert(name.to_string(), blake3::hash(bytes).to_hex().to_string());
    }
    Ok(())
}

/// The tar of the whole journal (plaintext; only ever written encrypted).
pub fn archive(store: &mut Store, now: Timestamp) -> Result<(Vec<u8>, usize), PortableError> {
    let selection = Selection {
        query: Query::default(),
        kinds: Vec::new(),
        include_deleted: true,
    };
    let entries = select(store, &selection)?;
    let document = json_document(store, now, &entries, true)?;
    let journal = serde_json::to_vec_pretty(&document)
        .map_err(|e| PortableError::write(Path::new("journal.json"), e))?;
    let plan = serde_json::to_vec_pretty(&store.safety_plan()?)
        .map_err(|e| PortableError::write(Path::new("safety-plan.json"), e))?;
    let io = |e: std::io::Error| PortableError::write(Path::new("backup"), e);
    let mut hashes = BTreeMap::new();
    let mut tar = tar::Builder::new(Vec::new());
    add_file(&mut tar, "journal.json", &journal, Some(&mut hashes)).map_err(io)?;
    add_file(&mut tar, "safety-plan.json", &plan, Some(&mut hashes)).map_err(io)?;
    let docs = store.export_docs()?;
    let count = docs.len();
    for (id, saved) in docs {
        let automerge = attune_core::EntryDoc::automerge_of_saved(&saved).map_err(|e| {
            crate::StoreError::damaged(&store.dir().join("entries"), format!("entry {id}: {e}"))
        })?;
        let name = format!("automerge/{id}.automerge");
        add_file(&mut tar, &name, &automerge, Some(&mut hashes)).map_err(io)?;
    }
    let manifest = Manifest {
        format: BACKUP_FORMAT.into(),
        version: BACKUP_VERSION,
        created: super::document::rfc3339(now),
        journal_id: store.config().journal_id.map(|j| j.to_string()),
        entries: count,
        files: hashes,
    };
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| PortableError::write(Path::new("manifest.json"), e))?;
    add_file(&mut tar, "manifest.json", &manifest, None).map_err(io)?;
    Ok((tar.into_inner().map_err(io)?, count))
}

/// Encrypt `plain` in the age format to `recipients`.
pub fn encrypt(plain: &[u8], recipients: &[String]) -> Result<Vec<u8>, PortableError> {
    let bad = |e: &dyn std::fmt::Display| PortableError::write(Path::new("backup"), e);
    let parsed = recipients
        .iter()
        .map(|r| r.parse::<age::x25519::Recipient>().map_err(|e| bad(&e)))
        .collect::<Result<Vec<_>, _>>()?;
    let encryptor =
        age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| bad(&e))?;
    let mut out = Vec::with_capacity(plain.len() + 1024);
    let mut writer = encryptor.wrap_output(&mut out).map_err(|e| bad(&e))?;
    writer.write_all(plain).map_err(|e| bad(&e))?;
    writer.finish().map_err(|e| bad(&e))?;
    Ok(out)
}

/// Write a backup of the whole journal to `path` (0600, not inside the journal).
pub fn create(store: &mut Store, now: Timestamp, path: &Path) -> Result<Created, PortableError> {
    plaintext::check_destination(store.dir(), path)?;
    let recipients = recipients(store)?;
    let (plain, entries) = archive(store, now)?;
    let sealed = encrypt(&plain, &recipients)?;
    files::write_private(&plaintext::absolute(path), &sealed)?;
    Ok(Created {
        entries,
        recipients,
        bytes: sealed.len(),
    })
}
