//! Keys and sealing for Attune.
