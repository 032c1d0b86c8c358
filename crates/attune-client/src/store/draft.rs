//! A front end's unsaved entry, sealed in `draft`: it survives a closed tab
//! or a crash and is never kept in plain anywhere else.

use std::fs;

use super::Store;
use crate::dir::layout::DRAFT_FILE;
use crate::dir::sealed::Purpose;
use crate::StoreError;

impl Store {
    /// The draft last kept (`None`: none).
    pub fn draft(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.sealer
            .read(&self.dir.join(DRAFT_FILE), Purpose::State, DRAFT_FILE)
    }

    /// Keep `plain` as the draft, replacing the one before.
    pub fn set_draft(&self, plain: &[u8]) -> Result<(), StoreError> {
        self.sealer.write(
            &self.dir.join(DRAFT_FILE),
            Purpose::State,
            DRAFT_FILE,
            plain,
        )
    }

    /// Forget the draft (it was saved as an entry, or thrown away).
    pub fn clear_draft(&self) -> Result<(), StoreError> {
        let path = self.dir.join(DRAFT_FILE);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io(&path, e)),
            _ => Ok(()),
        }
    }
}
