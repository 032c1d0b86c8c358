//! Files sealed with the device's at-rest key, each bound to a [`Purpose`]
//! and a name so that one sealed file cannot stand in for another.

use std::path::Path;

use attune_crypto::{open_blob, private_name, seal_blob, JournalKey};

use crate::dir::atomic;
use crate::StoreError;

/// What a sealed file is for; part of what its seal authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `entries/<id>.am`, bound to the entry id.
    Entry,
    /// `entries/<xx>.pack`, bound to the pack's two hex digits.
    Pack,
    /// `views/<name>.view`, bound to the view's private name.
    View,
    /// `pending/<n>.chg` and `outbox/<n>.chg`, bound to the record name.
    Record,
    /// Root-level bookkeeping (`manifest`, `sync-state`, …), bound to the file name.
    State,
    /// `safety-plan`, bound to nothing else.
    SafetyPlan,
}

impl Purpose {
    /// The words sealed into the file's associated data (stable: changing
    /// one makes every existing file of that purpose unreadable).
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Entry => "entry",
            Purpose::Pack => "entry-pack",
            Purpose::View => "view",
            Purpose::Record => "pending",
            Purpose::State => "state",
            Purpose::SafetyPlan => "safety-plan",
        }
    }
}

/// The at-rest key and what it seals: every sealed file of the directory
/// goes through here.
pub struct Sealer {
    key: JournalKey,
}

impl Sealer {
    /// A sealer over this device's at-rest key.
    pub fn new(key: JournalKey) -> Sealer {
        Sealer { key }
    }

    /// Seal `plain` for `purpose` and `name`.
    pub fn seal(&self, purpose: Purpose, name: &str, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        Ok(seal_blob(&self.key, purpose.as_str(), name, plain)?)
    }

    /// Open bytes sealed for `purpose` and `name`; `path` names the file in the error.
    pub fn open(
        &self,
        path: &Path,
        purpose: Purpose,
        name: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        open_blob(&self.key, purpose.as_str(), name, sealed)
            .map_err(|e| StoreError::damaged(path, e))
    }

    /// Read and open `path` (`None` if it does not exist yet).
    pub fn read(
        &self,
        path: &Path,
        purpose: Purpose,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match atomic::read_if_exists(path)? {
            Some(sealed) => self.open(path, purpose, name, &sealed).map(Some),
            None => Ok(None),
        }
    }

    /// Seal `plain` and write it to `path` atomically.
    pub fn write(
        &self,
        path: &Path,
        purpose: Purpose,
        name: &str,
        plain: &[u8],
    ) -> Result<(), StoreError> {
        atomic::write_atomic(path, &self.seal(purpose, name, plain)?)
    }

    /// A name that hides `label` (a month) from someone listing the directory.
    pub fn private_name(&self, purpose: Purpose, label: &str) -> String {
        private_name(&self.key, purpose.as_str(), label)
    }
}
