//! Entry packs (ADR 0011): small entry documents are kept 256 to a journal,
//! packed by the first byte of their id (`entries/<xx>.pack`), so that a
//! journal of 100,000 short entries is a few hundred files, not 100,000.
//! A document larger than [`OWN_FILE_BYTES`] keeps a file of its own
//! (`entries/<id>.am`, the layout of ADR 0001), and so does one whose pack
//! cannot be read, so that a damaged pack never stops a new entry.
//!
//! After a completed write every document is in one place. A crash between
//! publishing a document's new place and removing its old one leaves it in
//! both; readers then merge the two (Automerge changes only accumulate, so
//! merging an older copy into a newer one adds nothing and loses nothing).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use attune_core::EntryId;
use serde::{Deserialize, Serialize};

use crate::dir::atomic as files;
use crate::dir::sealed::{Purpose, Sealer};
use crate::StoreError;

/// Extension of pack files.
pub(crate) const PACK_EXT: &str = "pack";
/// Extension of documents with a file of their own.
pub(crate) const OWN_EXT: &str = "am";
/// Saved documents larger than this keep a file of their own: editing any
/// entry rewrites its whole pack, which must stay small.
pub(crate) const OWN_FILE_BYTES: usize = 48 * 1024;
const PACK_VERSION: u8 = 1;

#[derive(Serialize, Deserialize)]
struct PackFile {
    v: u8,
    /// Entry id → its saved (compressed Automerge) document.
    docs: BTreeMap<EntryId, Vec<u8>>,
}

enum Pack {
    Readable(BTreeMap<EntryId, Vec<u8>>),
    Damaged(String),
}

/// The documents of one entry as saved: in its pack, in a file of its own, or both.
#[derive(Default)]
pub(super) struct Saved {
    pub copies: Vec<Vec<u8>>,
}

/// The files one batch writes, and the files to remove once they are durable.
#[derive(Default)]
pub(super) struct Staged {
    /// Path and sealed bytes of each pack or own file to write.
    pub write: Vec<(PathBuf, Vec<u8>)>,
    /// Own files whose documents moved into a pack.
    pub remove: Vec<PathBuf>,
}

/// A pack that could not be read: its path and why.
pub(super) type Unreadable = (PathBuf, String);

/// The entry documents of one journal directory, loaded on first use.
pub(super) struct Packs {
    dir: PathBuf,
    packs: RefCell<BTreeMap<u8, Pack>>,
    own: RefCell<Option<BTreeSet<EntryId>>>,
}

/// The pack an entry belongs in.
fn pack_of(id: EntryId) -> u8 {
    id.0[0]
}

fn pack_name(n: u8) -> String {
    format!("{n:02x}")
}

impl Packs {
    /// The documents in `entries_dir`.
    pub fn new(entries_dir: PathBuf) -> Packs {
        Packs {
            dir: entries_dir,
            packs: RefCell::new(BTreeMap::new()),
            own: RefCell::new(None),
        }
    }

    /// `entries/<xx>.pack`
    fn pack_path(&self, n: u8) -> PathBuf {
        self.dir.join(format!("{}.{PACK_EXT}", pack_name(n)))
    }

    /// `entries/<id>.am`
    pub fn own_path(&self, id: EntryId) -> PathBuf {
        self.dir.join(format!("{id}.{OWN_EXT}"))
    }

    /// Forget what was loaded (after a write that failed part-way).
    pub fn forget(&self) {
        self.packs.borrow_mut().clear();
        *self.own.borrow_mut() = None;
    }

    /// Load pack `n` if it is not loaded yet.
    fn load(&self, sealer: &Sealer, n: u8) -> Result<(), StoreError> {
        if self.packs.borrow().contains_key(&n) {
            return Ok(());
        }
        let path = self.pack_path(n);
        let pack = match files::read_if_exists(&path)? {
            None => Pack::Readable(BTreeMap::new()),
            Some(sealed) => match sealer
                .open(&path, Purpose::Pack, &pack_name(n), &sealed)
                .map_err(|e| e.to_string())
                .and_then(|plain| {
                    postcard::from_bytes::<PackFile>(&plain).map_err(|e| e.to_string())
                }) {
                Ok(file) if file.v == PACK_VERSION => Pack::Readable(file.docs),
                Ok(file) => Pack::Damaged(format!("pack format {} is not known", file.v)),
                Err(reason) => Pack::Damaged(reason),
            },
        };
        self.packs.borrow_mut().insert(n, pack);
        Ok(())
    }

    /// List the documents with a file of their own, once per open journal.
    fn list_own(&self) -> Result<(), StoreError> {
        if self.own.borrow().is_none() {
            let listed: BTreeSet<EntryId> = files::list(&self.dir, OWN_EXT)?
                .iter()
                .filter_map(|path| files::stem(path).parse().ok())
                .collect();
            *self.own.borrow_mut() = Some(listed);
        }
        Ok(())
    }

    /// Ids of documents with a file of their own.
    fn own_ids(&self) -> Result<BTreeSet<EntryId>, StoreError> {
        self.list_own()?;
        Ok(self.own.borrow().clone().unwrap_or_default())
    }

    /// Whether entry `id` has a file of its own (no copy of the listing).
    pub fn has_own(&self, id: EntryId) -> Result<bool, StoreError> {
        self.list_own()?;
        Ok(self.own.borrow().as_ref().is_some_and(|o| o.contains(&id)))
    }

    /// Every saved copy of entry `id` (none if this device never saw it).
    /// A damaged pack is an error only if the entry has no file of its own.
    pub fn saved(&self, sealer: &Sealer, id: EntryId) -> Result<Saved, StoreError> {
        let n = pack_of(id);
        self.load(sealer, n)?;
        let mut saved = Saved::default();
        let damaged = match self.packs.borrow().get(&n) {
            Some(Pack::Readable(docs)) => {
                saved.copies.extend(docs.get(&id).cloned());
                None
            }
            Some(Pack::Damaged(reason)) => Some(reason.clone()),
            None => None,
        };
        if self.has_own(id)? {
            let path = self.own_path(id);
            if let Some(plain) = sealer.read(&path, Purpose::Entry, &id.to_string())? {
                saved.copies.push(plain);
            }
        }
        match damaged {
            Some(reason) if saved.copies.is_empty() => {
                Err(StoreError::damaged(&self.pack_path(n), reason))
            }
            _ => Ok(saved),
        }
    }

    /// Whether this device holds a document of entry `id`.
    pub fn contains(&self, sealer: &Sealer, id: EntryId) -> Result<bool, StoreError> {
        let n = pack_of(id);
        self.load(sealer, n)?;
        let in_pack =
            matches!(self.packs.borrow().get(&n), Some(Pack::Readable(d)) if d.contains_key(&id));
        Ok(in_pack || self.has_own(id)?)
    }

    /// Ids of every document, and the packs that could not be read.
    pub fn ids(&self, sealer: &Sealer) -> Result<(Vec<EntryId>, Vec<Unreadable>), StoreError> {
        let mut ids = self.own_ids()?;
        let mut damaged = Vec::new();
        for path in files::list(&self.dir, PACK_EXT)? {
            let Some(n) = u8::from_str_radix(&files::stem(&path), 16).ok() else {
                continue;
            };
            self.load(sealer, n)?;
            match self.packs.borrow().get(&n) {
                Some(Pack::Readable(docs)) => ids.extend(docs.keys().copied()),
                Some(Pack::Damaged(reason)) => damaged.push((path.clone(), reason.clone())),
                None => {}
            }
        }
        Ok((ids.into_iter().collect(), damaged))
    }

    /// Ids of documents starting with `prefix` (at least two hex digits): one pack and the own files.
    pub fn ids_with_prefix(
        &self,
        sealer: &Sealer,
        prefix: &str,
    ) -> Result<Vec<EntryId>, StoreError> {
        let n = prefix.get(..2).and_then(|p| u8::from_str_radix(p, 16).ok());
        let mut ids: BTreeSet<EntryId> = self
            .own_ids()?
            .into_iter()
            .filter(|id| id.to_string().starts_with(prefix))
            .collect();
        if let Some(n) = n {
            self.load(sealer, n)?;
            match self.packs.borrow().get(&n) {
                Some(Pack::Readable(docs)) => ids.extend(
                    docs.keys()
                        .filter(|id| id.to_string().starts_with(prefix))
                        .copied(),
                ),
                Some(Pack::Damaged(reason)) if ids.is_empty() => {
                    return Err(StoreError::damaged(&self.pack_path(n), reason))
                }
                _ => {}
            }
        }
        Ok(ids.into_iter().collect())
    }

    /// Stage saved documents: each goes into its pack, or into a file of its
    /// own when it is large or its pack is damaged. The cache holds the new
    /// state at once; call [`Packs::forget`] if writing the staged files fails.
    pub fn stage(
        &self,
        sealer: &Sealer,
        rows: Vec<(EntryId, Vec<u8>)>,
    ) -> Result<Staged, StoreError> {
        let mut staged = Staged::default();
        let mut dirty = BTreeSet::new();
        self.own_ids()?;
        for (id, saved) in rows {
            let n = pack_of(id);
            self.load(sealer, n)?;
            let mut packs = self.packs.borrow_mut();
            let pack_ok = matches!(packs.get(&n), Some(Pack::Readable(_)));
            if saved.len() > OWN_FILE_BYTES || !pack_ok {
                if let Some(Pack::Readable(docs)) = packs.get_mut(&n) {
                    if docs.remove(&id).is_some() {
                        dirty.insert(n);
                    }
                }
                let sealed = sealer.seal(Purpose::Entry, &id.to_string(), &saved)?;
                staged.write.push((self.own_path(id), sealed));
                if let Some(own) = self.own.borrow_mut().as_mut() {
                    own.insert(id);
                }
            } else {
                if let Some(Pack::Readable(docs)) = packs.get_mut(&n) {
                    docs.insert(id, saved);
                    dirty.insert(n);
                }
                let mut own = self.own.borrow_mut();
                if own.as_mut().is_some_and(|o| o.remove(&id)) {
                    staged.remove.push(self.own_path(id));
                }
            }
        }
        let packs = self.packs.borrow();
        for n in dirty {
            if let Some(Pack::Readable(docs)) = packs.get(&n) {
                let plain = postcard::to_allocvec(&PackFile {
                    v: PACK_VERSION,
                    docs: docs.clone(),
                })
                .map_err(|e| StoreError::damaged(&self.pack_path(n), e))?;
                let sealed = sealer.seal(Purpose::Pack, &pack_name(n), &plain)?;
                staged.write.push((self.pack_path(n), sealed));
            }
        }
        Ok(staged)
    }

    /// Own files that would fit in a pack (the ADR 0001 layout, before packs), at most `limit`.
    /// Those whose pack cannot be read stay where they are.
    pub fn small_own_files(
        &self,
        sealer: &Sealer,
        limit: usize,
    ) -> Result<Vec<EntryId>, StoreError> {
        let mut out = Vec::new();
        for id in self.own_ids()? {
            if out.len() >= limit {
                break;
            }
            // The size first: large documents (the usual own files) cost one
            // stat at open, and their packs are not read.
            let len = std::fs::metadata(self.own_path(id))
                .map(|m| m.len() as usize)
                .unwrap_or(usize::MAX);
            // The seal adds well under a kilobyte.
            if len > OWN_FILE_BYTES {
                continue;
            }
            self.load(sealer, pack_of(id))?;
            if !matches!(
                self.packs.borrow().get(&pack_of(id)),
                Some(Pack::Damaged(_))
            ) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Every pack and own file on disk: its name in `entries/` and sealed bytes.
    pub fn files_on_disk(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for ext in [PACK_EXT, OWN_EXT] {
            for path in files::list(&self.dir, ext)? {
                out.push((file_name(&path), files::read(&path)?));
            }
        }
        Ok(out)
    }

    /// The path of a file named in [`Packs::files_on_disk`].
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The name of `path` inside `entries/`.
pub(super) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
