//! The Attune relay: stores and forwards sealed envelopes it cannot read.
//!
//! Devices authenticate by signing a challenge with their Ed25519 key, then
//! push envelopes (acknowledged only after a durable group commit), pull them
//! after a cursor, and receive new ones live over a WebSocket. Everything the
//! relay stores is opaque to it except public keys, ids, sequence numbers,
//! sizes and times. It depends on `attune-proto` only — never on
//! `attune-core` or `attune-crypto` — so it has no code that could decrypt.
//!
//! Storage is an embedded SQLite file by default ([`storage::sqlite`]) or a
//! PostgreSQL database shared by several relay instances
//! ([`storage::postgres`], selected with `attune-relay --database postgres://…`),
//! whose live fan-out crosses instances through `LISTEN/NOTIFY`.
//!
//! The binary (`attune-relay`) is a thin wrapper around [`Relay`]:
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use attune_relay::{storage::sqlite::SqliteStorage, Config, Relay};
//!
//! let storage = SqliteStorage::open("/var/lib/attune-relay".as_ref()).await?;
//! let relay = Relay::new(Config::default(), Arc::new(storage));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
//! relay.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

pub mod app;
pub mod auth;
pub mod config;
pub mod connections;
pub mod data_dir;
pub mod error;
pub mod extract;
pub mod fanout;
pub mod limits;
pub mod live_devices;
pub mod metrics;
pub mod pairing;
pub mod routes;
pub mod rules;
pub mod settings;
pub mod state;
pub mod storage;
pub mod time;
pub mod wire;
pub mod writer;

pub use app::Relay;
pub use config::Config;
pub use error::ApiError;
