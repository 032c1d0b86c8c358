//! The entry manifest: which version of each entry file this device wrote last.
//!
//! A sealed entry file is bound to its purpose and entry id, so it cannot be
//! swapped for another entry's; but an *older* copy of the same entry (and of
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

const MANIFEST_VERSION: u8 = 1;

/// Entry id → hash of its sealed file as this device last wrote it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
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
    pub fn of(files: impl IntoIterator<Item = (EntryId, Vec<u8>)>) -> Manifest {
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
        postcard::from_bytes::<Manifest>(bytes)
            .ok()
            .filter(|m| m.v == MANIFEST_VERSION)
    }

    /// The bytes to seal.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Records `sealed` as the newest file of entry `id`.
    pub fn record(&mut self, id: EntryId, sealed: &[u8]) {
        self.entries.insert(id, *blake3::hash(sealed).as_bytes());
    }

    /// Compares the entry files on disk with what this device wrote last.
    pub fn compare(
        &self,
        on_disk: impl IntoIterator<Item = (EntryId, Vec<u8>)>,
    ) -> Vec<(EntryId, Mismatch)> {
        let mut unseen: BTreeMap<EntryId, [u8; 32]> = self.entries.clone();
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
        let (a, b, c) = (EntryId([1; 16]), EntryId([2; 16]), EntryId([3; 16]));
        let mut manifest = Manifest::of([(a, b"a1".to_vec()), (b, b"b1".to_vec())]);
        manifest.record(a, b"a2");
        let decoded = Manifest::decode(&manifest.encode()).unwrap();
        assert_eq!(
            decoded.compare([(a, b"a2".to_vec()), (b, b"b1".to_vec())]),
            []
        );
        let found = decoded.compare([(a, b"a1".to_vec()), (c, b"c".to_vec())]);
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
}
