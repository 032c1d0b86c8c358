//! `attune-relay`: command line, logging, and wiring around [`attune_relay::Relay`].

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use attune_relay::storage::postgres::PostgresStorage;
use attune_relay::storage::sqlite::SqliteStorage;
use attune_relay::storage::Storage;
use attune_relay::{Config, Relay};
use clap::Parser;

/// The Attune relay: stores and forwards end-to-end encrypted journal envelopes it cannot read.
///
/// Storage is an embedded SQLite file in --data DIR by default (zero setup).
/// With --database postgres://… several relay instances can share one
/// PostgreSQL database behind a load balancer; devices connected to any
/// instance receive, live, what was pushed through any other.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ATTUNE_RELAY_LISTEN", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Directory of the embedded SQLite database (default: the XDG data directory's attune-relay).
    #[arg(long, env = "ATTUNE_RELAY_DATA")]
    data: Option<PathBuf>,
    /// Database to use instead of the embedded default.
    ///
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?options=-c%20search_path%3DSCHEMA]`
    /// (or `postgresql://…`) uses PostgreSQL: the relay creates and migrates
    /// its tables itself at start, and any number of relay instances may share
    /// the database (sequence numbers stay gap-free; live fan-out crosses
    /// instances through LISTEN/NOTIFY on the channel `attune_envelopes`).
    /// The connection is not encrypted: use a local socket or host, or a tunnel.
    /// Absent, or `sqlite://DIR`, keeps the embedded SQLite database in
    /// `DIR/relay.sqlite3` (`sqlite://` alone means --data or its default).
    #[arg(
        long,
        env = "ATTUNE_RELAY_DATABASE",
        value_name = "URL",
        verbatim_doc_comment
    )]
    database: Option<String>,
    /// Largest envelope accepted, in bytes.
    #[arg(long, default_value_t = Config::default().max_envelope_bytes)]
    max_envelope_bytes: usize,
    /// Largest request body or WebSocket message accepted, in bytes.
    #[arg(long, default_value_t = Config::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Bytes of envelopes one journal may store.
    #[arg(long, default_value_t = Config::default().journal_quota_bytes)]
    journal_quota_bytes: u64,
    /// Seconds a device-pairing code stays usable.
    #[arg(long, default_value_t = Config::default().pairing_ttl.as_secs())]
    pairing_ttl_secs: u64,
}

/// Where the relay keeps its data.
#[derive(Debug, PartialEq, Eq)]
enum Backend {
    /// Embedded SQLite in this directory.
    Sqlite(PathBuf),
    /// PostgreSQL at this URL.
    Postgres(String),
}

/// Chooses the backend from `--database` and `--data`.
fn backend(database: Option<&str>, data: Option<PathBuf>) -> Result<Backend> {
    let data_dir = |data: Option<PathBuf>| match data {
        Some(dir) => Ok(dir),
        None => default_data_dir(),
    };
    let Some(url) = database.filter(|u| !u.is_empty()) else {
        return Ok(Backend::Sqlite(data_dir(data)?));
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        if data.is_some() {
            anyhow::bail!("--data is for the embedded SQLite database; it cannot be combined with --database {}", redact(url));
        }
        return Ok(Backend::Postgres(url.to_owned()));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Ok(Backend::Sqlite(data_dir(data)?));
        }
        if data
            .as_deref()
            .is_some_and(|d| d != std::path::Path::new(path))
        {
            anyhow::bail!(
                "--data and --database sqlite://{path} name different directories; give one"
            );
        }
        return Ok(Backend::Sqlite(PathBuf::from(path)));
    }
    anyhow::bail!(
        "unsupported --database {}: use postgres://… for PostgreSQL, or sqlite://DIR (or nothing) for the embedded default",
        redact(url)
    )
}

/// A database URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparsable URL>".into();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
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
    attune_relay::metrics::install();
    let backend = backend(cli.database.as_deref(), cli.data)?;
    let config = Config {
        max_envelope_bytes: cli.max_envelope_bytes,
        max_body_bytes: cli.max_body_bytes,
        journal_quota_bytes: cli.journal_quota_bytes,
        pairing_ttl: std::time::Duration::from_secs(cli.pairing_ttl_secs.max(1)),
        ..Config::default()
    };
    let (storage, database): (Arc<dyn Storage>, String) = match &backend {
        Backend::Sqlite(dir) => {
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
    let relay = Relay::new(config, storage);
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .with_context(|| format!("listening on {}", cli.listen))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_flag_selects_the_backend() {
        let pg = "postgres://u:secret@db.example:5432/attune";
        assert_eq!(
            backend(Some(pg), None).unwrap(),
            Backend::Postgres(pg.into())
        );
        assert!(backend(Some(pg), Some("/x".into())).is_err());
        assert_eq!(
            backend(None, Some("/x".into())).unwrap(),
            Backend::Sqlite("/x".into())
        );
        assert_eq!(
            backend(Some("sqlite:///srv/relay"), None).unwrap(),
            Backend::Sqlite("/srv/relay".into())
        );
        assert_eq!(
            backend(Some("sqlite://"), Some("/x".into())).unwrap(),
            Backend::Sqlite("/x".into())
        );
        assert!(backend(Some("sqlite:///a"), Some("/b".into())).is_err());
        let err = backend(Some("mysql://u:secret@h/d"), None).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn redaction_hides_the_password_only() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/d?x=1"),
            "postgres://u@h:5432/d?x=1"
        );
        assert_eq!(redact("postgres://h/d"), "postgres://h/d");
        assert_eq!(redact("nonsense"), "<unparsable URL>");
    }
}
