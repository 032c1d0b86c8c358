//! The Attune journal model on Automerge: entry kinds, edits, queries.
//!
//! Each entry is its own small Automerge document ([`EntryDoc`]), so opening,
//! editing and syncing one entry never loads the rest of the journal (see
//! `docs/adr/0001-document-layout.md`). Every mutation returns the exact
//! Automerge change bytes it produced ([`EntryChange`]); applying changes is
//! idempotent and order-free. The crate is pure: no I/O, no clock (time is
//! passed in), no randomness (ids are passed in).
//!
//! Kinds, choices and field values are saved by stable numbers, never by
//! their place in a list: in the document, and in binary serde formats
//! (postcard) through their `Serialize` impls; JSON uses their stable keys
//! ([`schema`], [`FieldValue::tag`], and [`legacy`] for bytes written before).
//! A kind or value written by a newer Attune reads as [`EntryKind::Newer`] or
//! [`FieldValue::Newer`] and is never rewritten: editing it is refused
//! ([`CoreError::NewerKind`], [`CoreError::NewerField`]).
//!
//! ```
//! use attune_core::{EntryDoc, EntryId, EntryKind, NewEntry, Edit, Timestamp, FieldValue};
//!
//! let now = Timestamp::new(1_764_633_600_000, 60);
//! let new = NewEntry { kind: Some(EntryKind::MicroWin), body: "I paused before answering.".into(), ..Default::default() };
//! let (mut laptop, created) = EntryDoc::create(EntryId([1; 16]), b"laptop-actor-001", now, new)?;
//!
//! // Another device receives the change and edits concurrently.
//! let mut desktop = EntryDoc::empty(EntryId([1; 16]), b"desktop-actor-01");
//! desktop.apply_changes([created.bytes.as_slice()])?;
//! let a = laptop.edit(now, &[Edit::SpliceBody { pos: 0, delete: 0, insert: "Today ".into() }])?.unwrap();
//! let b = desktop.edit(now, &[Edit::AddTag("work".into())])?.unwrap();
//! laptop.apply_changes([b.bytes.as_slice()])?;
//! desktop.apply_changes([a.bytes.as_slice()])?;
//! assert_eq!(laptop.entry()?, desktop.entry()?);
//! assert!(laptop.entry()?.body.starts_with("Today I paused"));
//! # Ok::<(), attune_core::CoreError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod doc;
mod entry;
mod error;
mod ids;
pub mod legacy;
pub mod query;
pub mod schema;

pub use doc::{ApplyReport, Edit, EntryChange, EntryDoc, NewEntry};
pub use entry::{describe, Entry, FieldValue};
pub use error::CoreError;
pub use ids::{EntryId, Timestamp};
pub use query::{list, search, Query, SearchHit};
pub use schema::{EntryKind, FieldSpec, FieldType};
