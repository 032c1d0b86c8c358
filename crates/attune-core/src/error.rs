//! Errors of the journal model.

use crate::EntryKind;

/// Everything that can go wrong while reading or changing a journal entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// The entry kind is not one Attune knows.
    #[error("unknown entry kind {0:?}; known kinds: {known}", known = crate::EntryKind::ALL.iter().map(|k| k.key()).collect::<Vec<_>>().join(", "))]
    UnknownKind(String),
    /// A field name is not part of the entry's kind.
    #[error("{kind} entries have no field {field:?}; their fields are: {known}")]
    UnknownField {
        /// The kind of the entry.
        kind: EntryKind,
        /// The field that was asked for.
        field: String,
        /// The fields this kind has, comma separated.
        known: String,
    },
    /// A field value could not be understood.
    #[error("{field}: {message}")]
    InvalidValue {
        /// The field being set.
        field: String,
        /// What is wrong, in plain words.
        message: String,
    },
    /// The entry is of a kind a newer version of Attune added: it can be read here, not changed.
    #[error("this entry is a newer kind of entry (kind {code}) that this version of Attune cannot change; update Attune to edit it")]
    NewerKind {
        /// The kind's stored code.
        code: u64,
    },
    /// A field holds a value a newer version of Attune wrote: it can be kept here, not changed.
    #[error("{field} holds a value from a newer version of Attune that this version cannot change; update Attune to edit it")]
    NewerField {
        /// The field's key.
        field: String,
    },
    /// An entry id is not 32 hexadecimal characters.
    #[error("{0:?} is not an entry id (expected 32 hexadecimal characters)")]
    BadEntryId(String),
    /// Saved entry bytes could not be read.
    #[error("the saved entry could not be read: {0}")]
    Corrupt(String),
    /// A change received from another device could not be decoded.
    #[error("a change could not be decoded: {0}")]
    BadChange(String),
    /// The entry document does not hold an entry yet (its first change has not arrived).
    #[error("this entry has not fully arrived yet")]
    Incomplete,
    /// A body splice points outside the text.
    #[error("the edit position {pos} is past the end of the text ({len} characters)")]
    SpliceOutOfRange {
        /// Requested position.
        pos: usize,
        /// Text length in characters.
        len: usize,
    },
    /// An edit names a version of the entry that this device has never seen.
    #[error("this edit was made on a version of the entry this device does not have; reload it and edit again")]
    UnknownVersion,
    /// The underlying Automerge document refused an operation.
    #[error("journal document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}
