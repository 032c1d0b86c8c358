//! Leaving and arriving: plaintext exports the writer asks for, backups in
//! the standard age format, and imports from other journals.
//!
//! - [`export`]: which entries, and Attune's own JSON ([`document`]);
//! - [`markdown`]: one `.md` per entry with YAML front matter;
//! - [`table`]: CSV, one file per kind;
//! - [`html`]: one printable page for someone else, names left out;
//! - [`automerge`]: each entry's Automerge document and a manifest;
//! - [`plaintext`]: where plaintext may be written (never in the journal, 0600);
//! - [`backup`]: an age-encrypted tar of everything; [`restore`]: bringing it back;
//! - [`import`]: Attune JSON, jrnl, Day One, Daylio and Markdown, all or nothing.

pub mod automerge;
pub mod backup;
pub mod document;
mod error;
pub mod export;
pub mod html;
pub mod import;
pub mod markdown;
pub mod plaintext;
pub mod restore;
pub mod table;

pub use error::PortableError;
