//! The Attune client library: the encrypted local store that the `attune` CLI drives.
//!
//! A journal lives in one directory per device ([`Store`]); every file in it
//! is sealed with the journal key except the config (ids and settings) and the
//! device identity (0600, optionally passphrase-protected).

mod at_rest;
pub mod config;
mod error;
pub mod files;
mod joining;
pub mod layout;
mod manifest;
pub mod safety;
pub mod store;
pub mod sync;

pub use config::Config;
pub use error::StoreError;
pub use joining::JoiningDevice;
pub use safety::SafetyPlan;
pub use store::{InitOptions, Problem, Store};
