//! Opening a backup and bringing it into a journal: everything is decrypted
//! and checked against the manifest before anything is written, so a damaged
//! or truncated backup changes nothing.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use attune_core::{EntryDoc, EntryId};
use secrecy::ExposeSecret;

use super::backup::{Manifest, BACKUP_FORMAT, BACKUP_VERSION};
use super::document::ExportDocument;
use super::import::{self, attune as attune_json, Parsed};
use super::PortableError;
use crate::Store;

/// A backup, decrypted and checked.
#[derive(Debug)]
pub struct Opened {
    /// Its manifest.
    pub manifest: Manifest,
    /// The JSON export inside.
    pub document: ExportDocument,
    /// Each entry's Automerge document (standard binary save format).
    pub docs: Vec<(EntryId, Vec<u8>)>,
}

/// What a restore did.
#[derive(Clone, Debug, Default)]
pub struct Restored {
    /// Entries this journal did not have, now written.
    pub new: usize,
    /// Entries it had that received changes from the backup (Automerge merge).
    pub merged: usize,
    /// Entries it already had.
    pub already: usize,
}

/// The age identity of the recovery device, from the 24 words (`AGE-SECRET-KEY-1…`).
pub fn recovery_identity(words: &str) -> Result<age::x25519::Identity, PortableError> {
    let secret = attune_crypto::RecoverySecret::from_words(words)
        .map_err(|e| PortableError::Unrecognised(e.to_string()))?;
    let identity = secret
        .identity()
        .map_err(|e| PortableError::Unrecognised(e.to_string()))?;
    Ok(identity.age_identity().clone())
}

/// The age identities in an identity file's text (comments and blank lines skipped).
pub fn identities_in(text: &str) -> Vec<age::x25519::Identity> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .filter_map(|l| l.parse().ok())
        .collect()
}

/// Decrypt and check the backup `bytes` (read from `path`) with any of `identities`.
pub fn open(
    path: &Path,
    bytes: &[u8],
    identities: &[age::x25519::Identity],
) -> Result<Opened, PortableError> {
    let refuse = |message: String| PortableError::Backup {
        path: path.to_path_buf(),
        message,
    };
    let decryptor = age::Decryptor::new(bytes)
        .map_err(|e| refuse(format!("it is not a readable age file ({e})")))?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|e| refuse(format!("it does not open with this key ({e})")))?;
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|e| refuse(format!("it is damaged or cut short ({e})")))?;
    let mut files = BTreeMap::new();
    let mut tar = tar::Archive::new(plain.as_slice());
    let members = tar
        .entries()
        .map_err(|e| refuse(format!("its archive does not read ({e})")))?;
    for member in members {
        let mut member = member.map_err(|e| refuse(format!("its archive does not read ({e})")))?;
        let name = member
            .path()
            .map_err(|e| refuse(format!("a name in it does not read ({e})")))?
            .to_string_lossy()
            .into_owned();
        let mut data = Vec::new();
        member
            .read_to_end(&mut data)
            .map_err(|e| refuse(format!("{name} does not read ({e})")))?;
        files.insert(name, data);
    }
    let manifest: Manifest = files
        .get("manifest.json")
        .ok_or_else(|| refuse("it has no manifest".into()))
        .and_then(|m| {
            serde_json::from_slice(m)
                .map_err(|e| refuse(format!("its manifest does not read ({e})")))
        })?;
    if manifest.format != BACKUP_FORMAT || manifest.version > BACKUP_VERSION {
        return Err(refuse(format!(
            "it is {} version {}, and this Attune reads {BACKUP_FORMAT} up to version {BACKUP_VERSION}",
            manifest.format, manifest.version
        )));
    }
    for (name, hash) in &manifest.files {
        let data = files
            .get(name)
            .ok_or_else(|| refuse(format!("{name} is missing")))?;
        if blake3::hash(data).to_hex().as_str() != hash {
            return Err(refuse(format!("{name} does not match its hash")));
        }
    }
    let document: ExportDocument = files
        .get("journal.json")
        .ok_or_else(|| refuse("it has no journal.json".into()))
        .and_then(|j| {
            serde_json::from_slice(j)
                .map_err(|e| refuse(format!("journal.json does not read ({e})")))
        })?;
    let mut docs = Vec::new();
    for name in manifest.files.keys() {
        let Some(id) = name
            .strip_prefix("automerge/")
            .and_then(|n| n.strip_suffix(".automerge"))
        else {
            continue;
        };
        let id: EntryId = id
            .parse()
            .map_err(|_| refuse(format!("{name} is not named by an entry id")))?;
        // Its hash matched the manifest inside the authenticated age
        // payload; the document itself is loaded only when it is merged.
        docs.push((id, files.remove(name).unwrap_or_default()));
    }
    if docs.len() != manifest.entries {
        return Err(refuse(format!(
            "it lists {} entries but holds {}",
            manifest.entries,
            docs.len()
        )));
    }
    Ok(Opened {
        manifest,
        document,
        docs,
    })
}

/// Bring an opened backup into `store`.
///
/// The same journal: each entry's Automerge document is merged by entry id
/// (nothing duplicated, nothing lost). Another journal (or a new one): the
/// entries it lacks are written as this device's own, with their ids,
/// times and every field, so they sync like any other; those it has are left.
pub fn restore(store: &mut Store, opened: Opened) -> Result<Restored, PortableError> {
    let same_journal = opened.manifest.journal_id.is_some()
        && opened.manifest.journal_id == store.config().journal_id.map(|j| j.to_string());
    let mut out = Restored::default();
    let known: std::collections::BTreeSet<EntryId> = store.entry_ids()?.into_iter().collect();
    if same_journal {
        let actor = store.config().actor();
        let mut rows = Vec::new();
        for (id, bytes) in &opened.docs {
            let doc = EntryDoc::load_automerge(*id, bytes, &actor).map_err(|e| {
                PortableError::Backup {
                    path: "backup".into(),
                    message: format!("entry {id}: {e}"),
                }
            })?;
            let entry = doc.entry().ok();
            rows.push((*id, doc.save(), entry));
        }
        let written = store.merge_docs(rows)?;
        out.new = opened
            .docs
            .iter()
            .filter(|(id, _)| !known.contains(id))
            .count();
        out.merged = written.saturating_sub(out.new);
        out.already = opened.docs.len().saturating_sub(written);
    } else {
        let mut parsed = Parsed::default();
        for (n, record) in opened.document.entries.iter().enumerate() {
            parsed
                .entries
                .push(attune_json::incoming("journal.json", n, record)?);
        }
        let summary = import::apply(store, "journal.json", parsed, &mut |_| {})?;
        out.new = summary.new;
        out.already = summary.already;
    }
    if let Some(plan) = &opened.document.safety_plan {
        import::merge_safety_plan(store, plan)?;
    }
    Ok(out)
}

/// The recovery identity as the text `age -i` reads.
pub fn identity_text(identity: &age::x25519::Identity) -> String {
    identity.to_string().expose_secret().to_string()
}
