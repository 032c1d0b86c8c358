//! A fresh PostgreSQL schema per test: the shared test kit's.

pub use attune_testkit::pg::*;
