//! The relay's limits and timings, as a running relay uses them.
//!
//! [`Config`] is declared with the settings it comes from (each field's flag,
//! environment variable, file key and default) in [`crate::settings`].

pub use crate::settings::Config;

/// Default number of envelopes in a pull page.
pub const PULL_PAGE_DEFAULT: u32 = 500;
/// Largest pull page.
pub const PULL_PAGE_MAX: u32 = 1000;
