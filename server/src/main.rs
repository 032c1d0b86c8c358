//! `attune-relay`: command line, logging, and wiring around [`attune_relay::Relay`].

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, Result};
use attune_relay::settings::{redact, Backend, Cli, LogFormat};
use attune_relay::storage::postgres::PostgresStorage;
use attune_relay::storage::sqlite::{SqliteStorage, DB_FILE};
use attune_relay::storage::Storage;
use attune_relay::Relay;

/// Logs to stderr as text or JSON lines, at `RUST_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().init(),
    }
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
    let cli = Cli::parse_args();
    let settings = cli.resolve()?;
    if cli.print_config {
        let shown = attune_relay::settings::Overrides::of(&settings).to_toml();
        print!("{shown}");
        return Ok(());
    }
    init_logging(settings.log_format);
    attune_relay::metrics::install();
    let backend = settings.backend()?;
    let (storage, database): (Arc<dyn Storage>, String) = match &backend {
        Backend::Sqlite(dir) => {
            attune_relay::data_dir::prepare(dir, DB_FILE)
                .with_context(|| format!("preparing the data directory {}", dir.display()))?;
            let storage = SqliteStorage::open(dir)
                .await
                .with_context(|| format!("opening the relay database in {}", dir.display()))?;
            (Arc::new(storage), format!("sqlite://{}", dir.display()))
        }
        Backend::Postgres(url) => {
            let shown = redact(url);
            let storage = PostgresStorage::connect(url)
                .await
                .with_context(|| format!("opening the relay database {shown}"))?;
            (Arc::new(storage), shown)
        }
    };
    let listen = settings.listen;
    let relay = Relay::new(settings.config, storage);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "attune-relay listening on http://{address}").context("writing to stdout")?;
    stdout.flush().context("flushing stdout")?;
    drop(stdout);
    tracing::info!(%address, %database, "relay started");
    relay
        .serve(listener, shutdown_signal())
        .await
        .context("serving HTTP")?;
    Ok(())
}
