//! Errors of the local store, each a sentence a writer can act on.

use std::path::{Path, PathBuf};

/// Everything that can go wrong with the journal directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// There is no journal in the directory yet.
    #[error("there is no journal in {0} yet; create one with `attune init`")]
    NotInitialised(PathBuf),
    /// `init` was asked for a directory that already holds a journal.
    #[error("{0} already holds a journal; nothing was changed")]
    AlreadyInitialised(PathBuf),
    /// Another process holds the journal's lock.
    #[error("the journal in {dir} is busy: another attune process is using it ({holder}); try again when it has finished")]
    Busy {
        /// The journal directory.
        dir: PathBuf,
        /// Who holds the lock, as recorded in the lock file.
        holder: String,
    },
    /// A file is damaged or belongs to another journal.
    #[error("{path} is damaged or does not belong to this journal ({reason}); the rest of the journal is unaffected")]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The identity needs a passphrase and none was given.
    #[error("this journal is protected by a passphrase; give it at the prompt, with --passphrase-file, or in ATTUNE_PASSPHRASE_FILE")]
    PassphraseRequired,
    /// The passphrase does not open the identity.
    #[error("that passphrase does not open this journal; nothing was changed")]
    WrongPassphrase,
    /// This device asked to join a journal and has not been added yet.
    #[error("this device is waiting to join a journal: run `attune device add REQUEST` on a device of the journal, then `attune join finish TICKET` here")]
    JoinPending,
    /// No entry matches the id the writer typed.
    #[error("no entry matches {0:?}; `attune list` shows the ids")]
    NoSuchEntry(String),
    /// Several entries match a short id.
    #[error("{prefix:?} matches several entries ({}); type more of the id", candidates.join(", "))]
    AmbiguousId {
        /// What was typed.
        prefix: String,
        /// The matching ids.
        candidates: Vec<String>,
    },
    /// A cryptographic check failed.
    #[error(transparent)]
    Crypto(#[from] attune_crypto::CryptoError),
    /// The journal model refused an operation.
    #[error(transparent)]
    Core(#[from] attune_core::CoreError),
}

impl StoreError {
    /// An I/O error about `path`.
    pub fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A damaged-file error about `path`.
    pub fn damaged(path: &Path, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Damaged {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}
