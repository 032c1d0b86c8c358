//! The entry manifest: which version of each entry file (pack or own file,
//! by its name in `entries/`) this device wrote last.
//!
//! A sealed entry file is bound to its purpose and name, so it cannot be
//! swapped for another's; but an *older* copy of the same file (and of
//! its month view) still opens. The manifest, sealed like every state file,
//! records a BLAKE3 hash of each entry file as last written, so that
//! `attune check` reports an entry file put back from an older copy.
//!
//! What it cannot see: a copy of the *whole* directory put back (the manifest
//! goes back with it). A device that syncs notices that case at the next sync,
//! because the relay holds envelopes this device sealed after the copy.

use std::collections::BTreeMap;

use attune_core::EntryId;
use serde::{Deserialize, Serialize};

/// 1: keyed by entry id (one file per entry); 2: keyed by file name.
const MANIFEST_VERSION: u8 = 2;

/// File name in `entries/` → hash of its sealed bytes as this device last wrote them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
    v: u8,
    entries: BTreeMap<String, [u8; 32]>,
}

/// The manifest of ADR 0001's layout, one file per entry (`<id>.am`).
#[derive(Deserialize)]
struct ManifestV1 {
    v: u8,
    entries: BTreeMap<EntryId, [u8; 32]>,
}

/// What [`Manifest::compare`] found wrong with one entry file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// The file is not the version this device wrote last (an older copy?).
    Replaced,
    /// The manifest knows the entry but its file is gone.
    Missing,
    /// A file this device never wrote.
    Unknown,
}

impl Manifest {
    /// A manifest of `files` as they are now (first use, or after a migration).
    pub fn of(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Manifest {
        let mut manifest = Manifest {
            v: MANIFEST_VERSION,
            entries: BTreeMap::new(),
        };
        for (id, sealed) in files {
            manifest.record(id, &sealed);
        }
        manifest
    }

    /// Reads a manifest; `None` if it is not one this version understands.
    pub fn decode(bytes: &[u8]) -> Option<Manifest> {
        match postcard::take_from_bytes::<u8>(bytes).ok()?.0 {
            MANIFEST_VERSION => postcard::from_bytes::<Manifest>(bytes).ok(),
            1 => {
                let old = postcard::from_bytes::<ManifestV1>(bytes).ok()?;
                Some(Manifest {
                    v: MANIFEST_VERSION,
                    entries: old
                        .entries
                        .into_iter()
                        .filter(|_| old.v == 1)
                        .map(|(id, hash)| (format!("{id}.am"), hash))
                        .collect(),
                })
            }
            _ => None,
        }
    }

    /// The bytes to seal.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Records `sealed` as the newest version of file `name`.
    pub fn record(&mut self, name: String, sealed: &[u8]) {
        self.entries.insert(name, *blake3::hash(sealed).as_bytes());
    }

    /// Records that file `name` was removed.
    pub fn forget(&mut self, name: &str) {
        self.entries.remove(name);
    }

    /// Compares the entry files on disk with what this device wrote last.
    pub fn compare(
        &self,
        on_disk: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Vec<(String, Mismatch)> {
        let mut unseen: BTreeMap<String, [u8; 32]> = self.entries.clone();
        let mut found = Vec::new();
        for (id, sealed) in on_disk {
            match unseen.remove(&id) {
                Some(hash) if hash == *blake3::hash(&sealed).as_bytes() => {}
                Some(_) => found.push((id, Mismatch::Replaced)),
                None => found.push((id, Mismatch::Unknown)),
            }
        }
        found.extend(unseen.into_keys().map(|id| (id, Mismatch::Missing)));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_replaced_missing_and_unknown_files() {
        let (a, b, c) = (
            "a.pack".to_string(),
            "b.am".to_string(),
            "c.pack".to_string(),
        );
        let mut manifest = Manifest::of([(a.clone(), b"a1".to_vec()), (b.clone(), b"b1".to_vec())]);
        manifest.record(a.clone(), b"a2");
        let decoded = Manifest::decode(&manifest.encode()).unwrap();
        assert_eq!(
            decoded.compare([(a.clone(), b"a2".to_vec()), (b.clone(), b"b1".to_vec())]),
            []
        );
        let found = decoded.compare([(a.clone(), b"a1".to_vec()), (c.clone(), b"c".to_vec())]);
        assert_eq!(
            found,
            [
                (a, Mismatch::Replaced),
                (c, Mismatch::Unknown),
                (b, Mismatch::Missing)
            ]
        );
        assert!(Manifest::decode(b"\x09junk").is_none());
    }

    #[test]
    fn reads_a_manifest_of_one_file_per_entry() {
        #[derive(Serialize)]
        struct V1 {
            v: u8,
            entries: BTreeMap<EntryId, [u8; 32]>,
        }
        let id = EntryId([7; 16]);
        let old = postcard::to_allocvec(&V1 {
            v: 1,
            entries: [(id, *blake3::hash(b"x").as_bytes())].into(),
        })
        .unwrap();
        let manifest = Manifest::decode(&old).unwrap();
        assert_eq!(manifest.compare([(format!("{id}.am"), b"x".to_vec())]), []);
    }
}
