//! Pieces of the `attune` command line that are worth testing on their own.

pub mod output;
pub mod prompt;
pub mod time;
