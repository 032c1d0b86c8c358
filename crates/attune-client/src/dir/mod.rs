//! The journal directory on disk: its file names ([`layout`]), crash-safe
//! writes ([`atomic`]), the at-rest sealing every file goes through
//! ([`sealed`]) and the one-process lock ([`lock`]).
//!
//! Everything else in the crate reaches the file system through this module,
//! so another storage (a browser's, say) has one place to plug in.

pub mod atomic;
pub mod layout;
pub mod lock;
pub mod sealed;
