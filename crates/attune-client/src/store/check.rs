//! `attune check`: every file of the journal read back, and the entry
//! manifest that tells an older copy of an entry file from the one this
//! device saved last.

use std::path::PathBuf;

use super::manifest::{Manifest, Mismatch};
use super::views::ViewProblem;
use super::Store;
use crate::dir::atomic as files;
use crate::dir::layout::MANIFEST_FILE;
use crate::StoreError;

/// A problem found by [`Store::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file concerned.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

impl Store {
    /// Loads the entry manifest, or makes one from the entry files as they are
    /// (a journal from before it existed, or just migrated).
    pub(super) fn load_manifest(&mut self) -> Result<(), StoreError> {
        if self.manifest.is_some() {
            return Ok(());
        }
        let loaded = match self.read_sealed_state(MANIFEST_FILE) {
            Ok(bytes) => bytes.and_then(|b| Manifest::decode(&b)),
            Err(StoreError::Damaged { .. }) => None,
            Err(e) => return Err(e),
        };
        let manifest = match loaded {
            Some(manifest) => manifest,
            None => {
                let manifest = Manifest::of(self.packs.files_on_disk()?);
                self.write_sealed_state(MANIFEST_FILE, &manifest.encode())?;
                manifest
            }
        };
        self.manifest = Some(manifest);
        Ok(())
    }

    /// Check every file of the journal; returns the damaged ones.
    pub fn check(&mut self) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        // List rows are derived from the documents (a snapshot brings the
        // author's): any that differ are rebuilt from the documents here.
        let rows = self.view_rows()?;
        let mut rows_differ = false;
        let (ids, damaged) = self.packs.ids(&self.sealer)?;
        problems.extend(
            damaged
                .into_iter()
                .map(|(path, reason)| Problem { path, reason }),
        );
        for id in ids {
            match self.load_doc(id) {
                Ok(Some(doc)) => match doc.entry() {
                    Ok(entry) => rows_differ |= rows.get(&id) != Some(&entry),
                    Err(e) => problems.push(Problem {
                        path: self.packs.own_path(id),
                        reason: format!("entry {id}: {e}"),
                    }),
                },
                Ok(None) => {}
                Err(StoreError::Damaged { path, reason }) => {
                    problems.push(Problem { path, reason })
                }
                Err(e) => return Err(e),
            }
        }
        for path in self.view_files()? {
            if let Err(ViewProblem::Damaged(reason)) =
                self.open_view(&files::stem(&path), &files::read(&path)?)
            {
                problems.push(Problem { path, reason });
            }
        }
        self.load_manifest()?;
        if let Some(manifest) = &self.manifest {
            for (name, mismatch) in manifest.compare(self.packs.files_on_disk()?) {
                let path = self.packs.path_of(&name);
                if problems.iter().any(|p| p.path == path) {
                    continue; // already reported as unreadable
                }
                let reason = match mismatch {
                    Mismatch::Replaced => "this is not the version of the entry this device saved last: an older copy was put back (restored from a backup, or tampered with)",
                    Mismatch::Missing => "this entry's file is missing",
                    Mismatch::Unknown => "this device never saved this entry file: it was put here from elsewhere",
                };
                problems.push(Problem {
                    path,
                    reason: reason.into(),
                });
            }
        }
        if rows_differ && problems.is_empty() {
            self.rebuild_views()?;
            self.warnings
                .push("some list rows differed from their entries; rebuilt them".into());
        }
        Ok(problems)
    }
}
