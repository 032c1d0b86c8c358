//! `attune-relay`: command line, logging, and wiring around [`attune_relay::Relay`].

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::{Config, Relay};
use clap::Parser;

/// The Attune relay: stores and forwards end-to-end encrypted journal envelopes it cannot read.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ATTUNE_RELAY_LISTEN", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Directory of the database (default: the XDG data directory's attune-relay).
    #[arg(long, env = "ATTUNE_RELAY_DATA")]
    data: Option<PathBuf>,
    /// Largest envelope accepted, in bytes.
    #[arg(long, default_value_t = Config::default().max_envelope_bytes)]
    max_envelope_bytes: usize,
    /// Largest request body or WebSocket message accepted, in bytes.
    #[arg(long, default_value_t = Config::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Bytes of envelopes one journal may store.
    #[arg(long, default_value_t = Config::default().journal_quota_bytes)]
    journal_quota_bytes: u64,
}

fn default_data_dir() -> Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .context("finding the home directory for the default data directory; pass --data DIR")?;
    Ok(base.data_dir().join("attune-relay"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let data = match cli.data {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let config = Config {
        max_envelope_bytes: cli.max_envelope_bytes,
        max_body_bytes: cli.max_body_bytes,
        journal_quota_bytes: cli.journal_quota_bytes,
        ..Config::default()
    };
    let storage = SqliteStorage::open(&data)
        .await
        .with_context(|| format!("opening the relay database in {}", data.display()))?;
    let relay = Relay::new(config, Arc::new(storage));
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .with_context(|| format!("listening on {}", cli.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "attune-relay listening on http://{address}").context("writing to stdout")?;
    stdout.flush().context("flushing stdout")?;
    drop(stdout);
    tracing::info!(%address, data = %data.display(), "relay started");
    relay
        .serve(listener, shutdown_signal())
        .await
        .context("serving HTTP")?;
    Ok(())
}
