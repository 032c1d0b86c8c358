//! The journal directory on disk: its file names ([`layout`]), crash-safe
//! writes ([`atomic`]), the at-rest sealing every file goes through
//! ([`sealed`]), the one-process lock ([`lock`]) and where the unlock agent
//! listens (`agent_socket`, Linux only).
//!
//! Everything else in the crate reaches the file system through this module,
//! so another storage (a browser's, say) has one place to plug in.

#[cfg(target_os = "linux")]
pub mod agent_socket;
pub mod atomic;
pub mod layout;
pub mod lock;
pub mod sealed;
