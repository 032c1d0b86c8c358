//! Pieces of the `attune` command line that are worth testing on their own.

pub mod args;
pub mod devices;
pub mod journal;
pub mod output;
pub mod passphrase;
pub mod prompt;
pub mod safe;
pub mod sync;
pub mod time;
