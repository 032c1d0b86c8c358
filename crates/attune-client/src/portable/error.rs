//! What can go wrong while exporting, importing or backing up.

use std::path::PathBuf;

/// An export, import or backup that did not happen; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortableError {
    /// The journal itself could not be read or written.
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    /// Exports are plaintext and never go inside the journal directory.
    #[error("{0} is inside the journal directory; exports are plaintext and must go elsewhere")]
    InsideJournal(PathBuf),
    /// A folder export needs a new or empty folder.
    #[error("{0} is not empty; choose a new or empty folder")]
    FolderNotEmpty(PathBuf),
    /// Writing an export or backup failed.
    #[error("writing {path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A file to import does not read: which file, entry and field, and why.
    #[error("{file}: {entry}: {field}: {message}; nothing was imported")]
    Malformed {
        /// The file.
        file: String,
        /// The entry (its place or id).
        entry: String,
        /// The field.
        field: String,
        /// Why.
        message: String,
    },
    /// What to import could not be recognised.
    #[error("{0}")]
    Unrecognised(String),
    /// A backup that is damaged, truncated, or for nobody this device can be.
    #[error("the backup {path} cannot be restored: {message}; nothing was written")]
    Backup {
        /// The backup file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl PortableError {
    /// A malformed import at `file`, `entry`, `field`.
    pub fn malformed(
        file: impl Into<String>,
        entry: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> PortableError {
        PortableError::Malformed {
            file: file.into(),
            entry: entry.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// Writing `path` failed.
    pub fn write(path: &std::path::Path, message: impl std::fmt::Display) -> PortableError {
        PortableError::Write {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}
