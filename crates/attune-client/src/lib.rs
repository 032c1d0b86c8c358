//! The encrypted journal directory and its sync, as a library for any front
//! end (the `attune` command, a local web UI, later a browser).
//!
//! A journal lives in one directory per device ([`Store`]); every file in it
//! is sealed with this device's own at-rest key except the config (ids and
//! settings) and the device identity (0600, optionally passphrase-protected).
//! Changes written here wait in the [outbox] until [`sync`] has sealed them
//! into envelopes and the relay has acknowledged them.
//!
//! ```
//! use attune_client::{InitOptions, Store};
//! use attune_core::{EntryKind, NewEntry, Query, Timestamp};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let options = InitOptions { device_name: "laptop".into(), ..Default::default() };
//! let mut journal = Store::init(dir.path(), options)?;
//! let now = Timestamp::new(1_780_000_000_000, 0);
//! let entry = NewEntry {
//!     kind: Some(EntryKind::Note),
//!     body: "Called my sister; I mostly listened.".into(),
//!     ..Default::default()
//! };
//! journal.create(now, entry)?;
//! let entries = journal.list(&Query::default())?;
//! assert_eq!(entries.len(), 1);
//! assert!(entries[0].body.contains("mostly listened"));
//! # Ok(())
//! # }
//! ```
//!
//! Code map: [`dir`] is the only module that touches the file system
//! (names, atomic writes, sealing, the lock); [`store`] owns entries, views,
//! keys and the safety plan; [`outbox`] owns what waits to leave; [`sync`]
//! talks to the relay; `agent` (Linux) unlocks a passphrase-protected journal
//! once for many commands ([`Store::open_with_identity`]).

#[cfg(target_os = "linux")]
pub mod agent;
pub mod config;
pub mod describe;
pub mod dir;
mod error;
mod joining;
pub mod outbox;
pub mod portable;
pub mod safety;
pub mod store;
pub mod sync;

pub use config::Config;
pub use error::StoreError;
pub use joining::JoiningDevice;
pub use safety::SafetyPlan;
pub use store::{InitOptions, Problem, Store};
