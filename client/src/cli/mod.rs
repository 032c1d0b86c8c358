//! Pieces of the `attune` command line that are worth testing on their own.

#[cfg(target_os = "linux")]
pub mod agent;
pub mod args;
pub mod backup;
pub mod crisis;
pub mod device_args;
pub mod devices;
pub mod export;
pub mod import;
pub mod insights;
pub mod journal;
pub mod output;
pub mod passphrase;
pub mod prompt;
pub mod relay;
pub mod safe;
pub mod sync;
pub mod time;
pub mod ui;
#[cfg(target_os = "linux")]
pub mod unlock;
