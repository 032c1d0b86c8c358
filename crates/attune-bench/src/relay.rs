//! `attune-bench relay`: the relay under many idle live connections, on each
//! storage backend, over loopback.
//!
//! For SQLite (in a temporary directory) and PostgreSQL (a fresh schema of the
//! `test` database at 127.0.0.1:5432; skipped loudly when unreachable), it
//! starts the real `attune-relay` binary, creates journals of a few devices,
//! authenticates every device, then holds one live WebSocket per device from
//! several loopback source addresses. At each connection count it prints the
//! connections held (confirmed by the relay's own gauge) and the relay's RSS,
//! then, with those connections held, the durable push rate and the fan-out
//! to live listeners, with push-to-delivery latencies.

use anyhow::{ensure, Context, Result};

use crate::print_figure;
use measure::measure;
use process::{raise_open_files_limit, RelayProcess};

mod connections;
mod measure;
mod process;
mod push;
mod setup;

/// Files the relay needs besides its live connections (listener, database, log, HTTP).
const OPEN_FILES_SPARE: usize = 500;
/// Requests in flight while setting up (journals, sessions, connections).
const SETUP_CONCURRENCY: usize = 128;

/// What to measure.
pub struct Options {
    /// Live connection counts to measure at, ascending.
    pub connections: Vec<usize>,
    /// Devices (one live connection each) per journal.
    pub devices_per_journal: usize,
    /// Loopback source addresses (127.0.0.2 onwards) the connections come from.
    pub sources: u8,
    /// Journals pushing at once in each push phase.
    pub pushers: usize,
    /// Envelopes each pushing journal sends one per request (four times as
    /// many, ten per request, in the batched phase).
    pub pushes: usize,
    /// Storage backends to measure, in order.
    pub backends: Vec<Backend>,
    /// Seconds to hold the connections after measuring each count, for inspection.
    pub inspect_secs: u64,
}

/// A storage backend of the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// SQLite in a temporary directory.
    Sqlite,
    /// A fresh schema of the `test` database at 127.0.0.1:5432.
    Postgres,
}

/// Run the relay benchmark and print its figures.
pub fn run(options: &Options) -> Result<()> {
    let mut asked = options.connections.clone();
    asked.sort_unstable();
    asked.dedup();
    ensure!(
        !asked.is_empty() && options.devices_per_journal > 0,
        "give at least one connection count and one device per journal"
    );
    ensure!(options.sources > 0, "give at least one source address");
    // Raised before the relay starts: it inherits the limit.
    let files = raise_open_files_limit()?;
    print_figure("relay_bench_open_files_limit", files as f64, "files");
    let ceiling = (files as usize).saturating_sub(OPEN_FILES_SPARE);
    let connections: Vec<usize> = asked.iter().map(|&n| n.min(ceiling)).collect();
    if connections != asked {
        eprintln!(
            "\n*** The open-file limit is {files}: measuring at {connections:?} connections instead of {asked:?}. ***\n"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    let tmp = tempfile::tempdir()?;
    let relay_bin = attune_testkit::binary("attune-relay");

    let most = *connections.last().unwrap_or(&0);
    for backend in &options.backends {
        match backend {
            Backend::Sqlite => {
                let dir = tmp.path().join("sqlite");
                let data = dir.display().to_string();
                let relay = RelayProcess::start(&relay_bin, &dir, &["--data", &data], most)?;
                rt.block_on(measure("sqlite", &relay, &connections, options))?;
                relay.stop();
                crate::catchup::run("sqlite", &[])?;
            }
            Backend::Postgres => {
                let schema = match rt.block_on(attune_testkit::pg::try_schema()) {
                    Ok(schema) => schema,
                    Err(errors) => {
                        eprintln!(
                            "\n*** PostgreSQL SKIPPED: not reachable ({errors}). Start it at 127.0.0.1:5432 \
                             (trust auth, database `test`) to measure the relay on PostgreSQL. ***\n"
                        );
                        continue;
                    }
                };
                let dir = tmp.path().join("postgres");
                let url = schema.url();
                let relay = RelayProcess::start(&relay_bin, &dir, &["--database", &url], most)?;
                let measured = rt.block_on(measure("postgres", &relay, &connections, options));
                relay.stop();
                let caught_up =
                    measured.and_then(|()| crate::catchup::run("postgres", &["--database", &url]));
                drop(schema);
                caught_up?;
            }
        }
    }
    Ok(())
}
