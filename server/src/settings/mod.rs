//! Where the relay's settings come from: flags, environment, a TOML file, defaults.
//!
//! Every setting has a flag (`--max-body-bytes`), an environment variable
//! (`ATTUNE_RELAY_MAX_BODY_BYTES`) and a key of the TOML file named by
//! `--config` (`max_body_bytes`). The first of these that is set wins, else
//! the default: **flag > environment > file > default**. Durations are whole
//! seconds (`request_timeout_secs`). A key the relay does not know is an
//! error, so a misspelt setting is never silently ignored.
//! `server/dist/relay.example.toml` lists every key with its default.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// How log lines are written to stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`, `span`, `spans`).
    Json,
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The configuration file cannot be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML, has an unknown key or a wrong value.
    #[error("configuration file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and the key.
        source: Box<toml::de::Error>,
    },
    /// A setting that must be positive is zero.
    #[error("{key} must be at least 1")]
    Zero {
        /// The key (or flag with dashes) of the setting.
        key: &'static str,
    },
    /// The storage settings contradict each other or cannot be used.
    #[error("{0}")]
    Storage(String),
}

/// The Attune relay: stores and forwards end-to-end encrypted journal envelopes it cannot read.
///
/// Storage is an embedded SQLite file in --data DIR by default (zero setup).
/// With --database postgres://… several relay instances can share one
/// PostgreSQL database behind a load balancer; devices connected to any
/// instance receive, live, what was pushed through any other.
///
/// Every setting below can also be given by its environment variable or as a
/// key of the --config file (the flag's name with `_` for `-`); a flag wins
/// over its environment variable, which wins over the file.
#[derive(Debug, Parser)]
#[command(name = "attune-relay", version, about, long_about)]
pub struct Cli {
    /// A TOML file of settings, keys named like the flags (`max_body_bytes = 1048576`).
    #[arg(long, env = "ATTUNE_RELAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the settings the relay would use, as TOML (password hidden), and exit.
    #[arg(long)]
    pub print_config: bool,
    /// The settings given as flags or environment variables.
    #[command(flatten)]
    pub settings: Overrides,
}

impl Cli {
    /// The command, with each setting's default shown in its help.
    pub fn command_with_defaults() -> clap::Command {
        let defaults = Overrides::of(&Settings::default()).shown();
        <Cli as CommandFactory>::command().mut_args(|arg| {
            let Some((_, shown)) = defaults
                .iter()
                .find(|(key, _)| arg.get_id() == key.as_str())
            else {
                return arg;
            };
            let suffix = format!(" [default: {shown}]");
            let help = arg.get_help().map(|h| format!("{h}{suffix}"));
            let long_help = arg.get_long_help().map(|h| format!("{h}{suffix}"));
            let arg = match help {
                Some(help) => arg.help(help),
                None => arg,
            };
            match long_help {
                Some(long_help) => arg.long_help(long_help),
                None => arg,
            }
        })
    }

    /// Parses the process's arguments (and environment); exits with clap's message on error.
    pub fn parse_args() -> Cli {
        let matches = Cli::command_with_defaults().get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` (the first is the program name) and the environment.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command_with_defaults().try_get_matches_from(args)?;
        Cli::from_arg_matches(&matches)
    }

    /// The settings: flags and environment over the `--config` file over defaults.
    pub fn resolve(&self) -> Result<Settings, SettingsError> {
        let file = match &self.config {
            Some(path) => Overrides::from_file(path)?,
            None => Overrides::default(),
        };
        self.settings.clone().or(file).resolve()
    }
}

/// Every setting, each optional: one layer (flags and environment, or the file).
///
/// The field names are the file's keys and, with `-` for `_`, the flags.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ATTUNE_RELAY_LISTEN", value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Directory of the embedded SQLite database (default: the XDG data directory's attune-relay).
    #[arg(long, env = "ATTUNE_RELAY_DATA", value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// How log lines on stderr are written (`RUST_LOG` sets the level).
    #[arg(long, env = "ATTUNE_RELAY_LOG_FORMAT", value_name = "FORMAT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Largest envelope accepted, in bytes.
    #[arg(long, env = "ATTUNE_RELAY_MAX_ENVELOPE_BYTES", value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_envelope_bytes: Option<usize>,
    /// Largest request body or WebSocket message accepted, in bytes (larger: 413).
    #[arg(long, env = "ATTUNE_RELAY_MAX_BODY_BYTES", value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<usize>,
    /// Largest snapshot (the whole sealed journal; one is kept per journal), in bytes (larger: 413).
    #[arg(long, env = "ATTUNE_RELAY_MAX_SNAPSHOT_BYTES", value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_snapshot_bytes: Option<usize>,
    /// Bytes of envelopes one journal may store (more: 507).
    #[arg(long, env = "ATTUNE_RELAY_JOURNAL_QUOTA_BYTES", value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_quota_bytes: Option<u64>,
    /// Seconds a request may take, body included, before it is answered 408.
    #[arg(long, env = "ATTUNE_RELAY_REQUEST_TIMEOUT_SECS", value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u64>,
    /// Seconds a device has to answer an authentication challenge.
    #[arg(long, env = "ATTUNE_RELAY_CHALLENGE_TTL_SECS", value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_ttl_secs: Option<u64>,
    /// Seconds a session token stays valid.
    #[arg(long, env = "ATTUNE_RELAY_SESSION_TTL_SECS", value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_ttl_secs: Option<u64>,
    /// Most unanswered challenges kept in memory (more: 503).
    #[arg(long, env = "ATTUNE_RELAY_MAX_CHALLENGES", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_challenges: Option<usize>,
    /// Most live sessions kept in memory (more: 503).
    #[arg(long, env = "ATTUNE_RELAY_MAX_SESSIONS", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sessions: Option<usize>,
    /// Most live WebSocket connections per journal (more: 429).
    #[arg(
        long,
        env = "ATTUNE_RELAY_MAX_CONNECTIONS_PER_JOURNAL",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections_per_journal: Option<usize>,
    /// Most live WebSocket connections from one client address (more: 429).
    #[arg(long, env = "ATTUNE_RELAY_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections_per_ip: Option<usize>,
    /// Most unauthenticated requests (challenge, session, pairing) in progress at once (more: 503).
    #[arg(long, env = "ATTUNE_RELAY_MAX_UNAUTHENTICATED", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unauthenticated: Option<usize>,
    /// Requests one client address may send in a burst (more: 429; health, readiness and metrics are exempt).
    #[arg(long, env = "ATTUNE_RELAY_RATE_LIMIT_BURST", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_burst: Option<u32>,
    /// Requests per second by which a client's burst allowance refills.
    #[arg(long, env = "ATTUNE_RELAY_RATE_LIMIT_PER_SECOND", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_second: Option<u32>,
    /// Challenge, session and pairing-post requests one client address may send in a burst.
    #[arg(long, env = "ATTUNE_RELAY_AUTH_RATE_LIMIT_BURST", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_rate_limit_burst: Option<u32>,
    /// Requests per second by which that stricter allowance refills.
    #[arg(
        long,
        env = "ATTUNE_RELAY_AUTH_RATE_LIMIT_PER_SECOND",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_rate_limit_per_second: Option<u32>,
    /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the real client.
    #[arg(
        long,
        env = "ATTUNE_RELAY_TRUSTED_PROXIES",
        value_name = "IP,…",
        value_delimiter = ','
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<Vec<IpAddr>>,
    /// Seconds between pings on a quiet WebSocket.
    #[arg(long, env = "ATTUNE_RELAY_WS_PING_INTERVAL_SECS", value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws_ping_interval_secs: Option<u64>,
    /// Seconds of silence (no frame, no pong) after which a WebSocket is closed.
    #[arg(long, env = "ATTUNE_RELAY_WS_IDLE_TIMEOUT_SECS", value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws_idle_timeout_secs: Option<u64>,
    /// Seconds a WebSocket client may take to accept a frame before it is disconnected.
    #[arg(long, env = "ATTUNE_RELAY_WS_SEND_TIMEOUT_SECS", value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws_send_timeout_secs: Option<u64>,
    /// Seconds a device-pairing code stays usable.
    #[arg(long, env = "ATTUNE_RELAY_PAIRING_TTL_SECS", value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairing_ttl_secs: Option<u64>,
}

/// Each field of `$high` that is set, else `$low`'s.
macro_rules! either {
    ($high:ident, $low:ident; $($field:ident),* $(,)?) => {
        Overrides { $($field: $high.$field.or($low.$field)),* }
    };
}

impl Overrides {
    /// Reads a TOML file of settings.
    pub fn from_file(path: &Path) -> Result<Overrides, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Overrides::from_toml(&text).map_err(|source| SettingsError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    /// Parses TOML settings; an unknown key is an error that names it.
    pub fn from_toml(text: &str) -> Result<Overrides, toml::de::Error> {
        toml::from_str(text)
    }

    /// These settings where set, `lower`'s elsewhere.
    pub fn or(self, lower: Overrides) -> Overrides {
        let high = self;
        either!(high, lower;
            listen, data, database, log_format,
            max_envelope_bytes, max_body_bytes, max_snapshot_bytes, journal_quota_bytes,
            request_timeout_secs, challenge_ttl_secs, session_ttl_secs,
            max_challenges, max_sessions,
            max_connections_per_journal, max_connections_per_ip, max_unauthenticated,
            rate_limit_burst, rate_limit_per_second,
            auth_rate_limit_burst, auth_rate_limit_per_second, trusted_proxies,
            ws_ping_interval_secs, ws_idle_timeout_secs, ws_send_timeout_secs,
            pairing_ttl_secs,
        )
    }

    /// Every setting of `settings`, set.
    pub fn of(settings: &Settings) -> Overrides {
        let c = &settings.config;
        Overrides {
            listen: Some(settings.listen),
            data: settings.data.clone(),
            database: settings.database.clone(),
            log_format: Some(settings.log_format),
            max_envelope_bytes: Some(c.max_envelope_bytes),
            max_body_bytes: Some(c.max_body_bytes),
            max_snapshot_bytes: Some(c.max_snapshot_bytes),
            journal_quota_bytes: Some(c.journal_quota_bytes),
            request_timeout_secs: Some(c.request_timeout.as_secs()),
            challenge_ttl_secs: Some(c.challenge_ttl.as_secs()),
            session_ttl_secs: Some(c.session_ttl.as_secs()),
            max_challenges: Some(c.max_challenges),
            max_sessions: Some(c.max_sessions),
            max_connections_per_journal: Some(c.max_connections_per_journal),
            max_connections_per_ip: Some(c.max_connections_per_ip),
            max_unauthenticated: Some(c.max_unauthenticated),
            rate_limit_burst: Some(c.rate_limit_burst),
            rate_limit_per_second: Some(c.rate_limit_per_second),
            auth_rate_limit_burst: Some(c.auth_rate_limit_burst),
            auth_rate_limit_per_second: Some(c.auth_rate_limit_per_second),
            trusted_proxies: Some(c.trusted_proxies.clone()),
            ws_ping_interval_secs: Some(c.ws_ping_interval.as_secs()),
            ws_idle_timeout_secs: Some(c.ws_idle_timeout.as_secs()),
            ws_send_timeout_secs: Some(c.ws_send_timeout.as_secs()),
            pairing_ttl_secs: Some(c.pairing_ttl.as_secs()),
        }
    }

    /// The settings, defaults where unset; refuses zero where zero cannot work.
    pub fn resolve(self) -> Result<Settings, SettingsError> {
        let d = Settings::default();
        let dc = &d.config;
        let secs = |value: Option<u64>, default: Duration, key| match value {
            Some(0) => Err(SettingsError::Zero { key }),
            Some(s) => Ok(Duration::from_secs(s)),
            None => Ok(default),
        };
        let config = Config {
            max_envelope_bytes: positive(
                self.max_envelope_bytes,
                dc.max_envelope_bytes,
                "max_envelope_bytes",
            )?,
            max_body_bytes: positive(self.max_body_bytes, dc.max_body_bytes, "max_body_bytes")?,
            max_snapshot_bytes: positive(
                self.max_snapshot_bytes,
                dc.max_snapshot_bytes,
                "max_snapshot_bytes",
            )?,
            journal_quota_bytes: self.journal_quota_bytes.unwrap_or(dc.journal_quota_bytes),
            request_timeout: secs(
                self.request_timeout_secs,
                dc.request_timeout,
                "request_timeout_secs",
            )?,
            challenge_ttl: secs(
                self.challenge_ttl_secs,
                dc.challenge_ttl,
                "challenge_ttl_secs",
            )?,
            session_ttl: secs(self.session_ttl_secs, dc.session_ttl, "session_ttl_secs")?,
            max_challenges: positive(self.max_challenges, dc.max_challenges, "max_challenges")?,
            max_sessions: positive(self.max_sessions, dc.max_sessions, "max_sessions")?,
            max_connections_per_journal: positive(
                self.max_connections_per_journal,
                dc.max_connections_per_journal,
                "max_connections_per_journal",
            )?,
            max_connections_per_ip: positive(
                self.max_connections_per_ip,
                dc.max_connections_per_ip,
                "max_connections_per_ip",
            )?,
            max_unauthenticated: positive(
                self.max_unauthenticated,
                dc.max_unauthenticated,
                "max_unauthenticated",
            )?,
            rate_limit_burst: positive(
                self.rate_limit_burst,
                dc.rate_limit_burst,
                "rate_limit_burst",
            )?,
            rate_limit_per_second: positive(
                self.rate_limit_per_second,
                dc.rate_limit_per_second,
                "rate_limit_per_second",
            )?,
            auth_rate_limit_burst: positive(
                self.auth_rate_limit_burst,
                dc.auth_rate_limit_burst,
                "auth_rate_limit_burst",
            )?,
            auth_rate_limit_per_second: positive(
                self.auth_rate_limit_per_second,
                dc.auth_rate_limit_per_second,
                "auth_rate_limit_per_second",
            )?,
            trusted_proxies: self
                .trusted_proxies
                .unwrap_or_else(|| dc.trusted_proxies.clone()),
            ws_ping_interval: secs(
                self.ws_ping_interval_secs,
                dc.ws_ping_interval,
                "ws_ping_interval_secs",
            )?,
            ws_idle_timeout: secs(
                self.ws_idle_timeout_secs,
                dc.ws_idle_timeout,
                "ws_idle_timeout_secs",
            )?,
            ws_send_timeout: secs(
                self.ws_send_timeout_secs,
                dc.ws_send_timeout,
                "ws_send_timeout_secs",
            )?,
            pairing_ttl: secs(self.pairing_ttl_secs, dc.pairing_ttl, "pairing_ttl_secs")?,
        };
        Ok(Settings {
            listen: self.listen.unwrap_or(d.listen),
            data: self.data,
            database: self.database.filter(|url| !url.is_empty()),
            log_format: self.log_format.unwrap_or(d.log_format),
            config,
        })
    }

    /// Each set key with its value as help shows it (strings unquoted, lists comma-separated).
    fn shown(&self) -> Vec<(String, String)> {
        let Ok(toml::Value::Table(table)) = toml::Value::try_from(self) else {
            return Vec::new();
        };
        let show = |value: &toml::Value| match value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        table
            .iter()
            .map(|(key, value)| {
                let shown = match value {
                    toml::Value::Array(items) if items.is_empty() => "none".to_owned(),
                    toml::Value::Array(items) => {
                        items.iter().map(show).collect::<Vec<_>>().join(",")
                    }
                    other => show(other),
                };
                (key.clone(), shown)
            })
            .collect()
    }

    /// These settings as a TOML document, the database password hidden.
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database = shown.database.as_deref().map(redact);
        toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot show the settings: {e}\n"))
    }
}

fn positive<T: PartialEq + From<u8>>(
    value: Option<T>,
    default: T,
    key: &'static str,
) -> Result<T, SettingsError> {
    match value {
        Some(v) if v == T::from(0) => Err(SettingsError::Zero { key }),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

/// The settings a relay runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The SQLite directory, if given.
    pub data: Option<PathBuf>,
    /// The database URL, if given.
    pub database: Option<String>,
    /// How logs are written.
    pub log_format: LogFormat,
    /// Limits and timings.
    pub config: Config,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            data: None,
            database: None,
            log_format: LogFormat::Text,
            config: Config::default(),
        }
    }
}

impl Settings {
    /// Where the relay keeps its data.
    pub fn backend(&self) -> Result<Backend, SettingsError> {
        backend(self.database.as_deref(), self.data.clone())
    }
}

/// Where the relay keeps its data.
#[derive(Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite in this directory.
    Sqlite(PathBuf),
    /// PostgreSQL at this URL.
    Postgres(String),
}

/// Chooses the backend from `--database` and `--data`.
pub fn backend(database: Option<&str>, data: Option<PathBuf>) -> Result<Backend, SettingsError> {
    let data_dir = |data: Option<PathBuf>| match data {
        Some(dir) => Ok(dir),
        None => default_data_dir(),
    };
    let Some(url) = database.filter(|u| !u.is_empty()) else {
        return Ok(Backend::Sqlite(data_dir(data)?));
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        if data.is_some() {
            return Err(SettingsError::Storage(format!(
                "--data is for the embedded SQLite database; it cannot be combined with --database {}",
                redact(url)
            )));
        }
        return Ok(Backend::Postgres(url.to_owned()));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Ok(Backend::Sqlite(data_dir(data)?));
        }
        if data.as_deref().is_some_and(|d| d != Path::new(path)) {
            return Err(SettingsError::Storage(format!(
                "--data and --database sqlite://{path} name different directories; give one"
            )));
        }
        return Ok(Backend::Sqlite(PathBuf::from(path)));
    }
    Err(SettingsError::Storage(format!(
        "unsupported --database {}: use postgres://… for PostgreSQL, or sqlite://DIR (or nothing) for the embedded default",
        redact(url)
    )))
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
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

fn default_data_dir() -> Result<PathBuf, SettingsError> {
    let base = directories::BaseDirs::new().ok_or_else(|| {
        SettingsError::Storage(
            "cannot find the home directory for the default data directory; pass --data DIR".into(),
        )
    })?;
    Ok(base.data_dir().join("attune-relay"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../dist/relay.example.toml");

    #[test]
    fn the_example_file_sets_every_key_to_its_default() {
        let example = Overrides::from_toml(EXAMPLE).unwrap();
        // Every key but the storage ones (whose defaults are "unset") is present…
        assert_eq!(example, Overrides::of(&Settings::default()));
        // …and the storage keys are documented, commented out.
        assert!(EXAMPLE.contains("\n# data = "), "data is not documented");
        assert!(
            EXAMPLE.contains("\n# database = "),
            "database is not documented"
        );
        assert_eq!(example.resolve().unwrap(), Settings::default());
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = Overrides::from_toml("max_body_byte = 10\n").unwrap_err();
        assert!(err.to_string().contains("max_body_byte"), "{err}");
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("relay.toml");
        std::fs::write(
            &file,
            "max_body_bytes = 5000\nrequest_timeout_secs = 7\nlog_format = \"json\"\n",
        )
        .unwrap();
        let cli = Cli::try_parse_args([
            "attune-relay",
            "--config",
            file.to_str().unwrap(),
            "--max-body-bytes",
            "6000",
            "--trusted-proxies",
            "127.0.0.1,::1",
        ])
        .unwrap();
        let settings = cli.resolve().unwrap();
        assert_eq!(settings.config.max_body_bytes, 6000);
        assert_eq!(settings.config.request_timeout, Duration::from_secs(7));
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.config.trusted_proxies.len(), 2);
        assert_eq!(
            settings.config.max_envelope_bytes,
            Config::default().max_envelope_bytes
        );
    }

    #[test]
    fn zero_where_zero_cannot_work_is_refused() {
        let err = Overrides::from_toml("ws_ping_interval_secs = 0")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(err.to_string().contains("ws_ping_interval_secs"), "{err}");
        let err = Overrides::from_toml("rate_limit_burst = 0")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(err.to_string().contains("rate_limit_burst"), "{err}");
    }

    #[test]
    fn help_lists_every_setting_with_its_default_and_variable() {
        let help = Cli::command_with_defaults().render_long_help().to_string();
        // Help is wrapped to the terminal: compare with whitespace runs as single spaces.
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for (key, shown) in Overrides::of(&Settings::default()).shown() {
            let flag = format!("--{}", key.replace('_', "-"));
            assert!(help.contains(&flag), "{flag} missing from --help");
            assert!(
                help.contains(&format!("[default: {shown}]")),
                "default of {flag} missing"
            );
            assert!(
                help.contains(&format!("ATTUNE_RELAY_{}", key.to_uppercase())),
                "environment variable of {flag} missing"
            );
        }
        for flag in ["--data", "--database", "--config", "--print-config"] {
            assert!(help.contains(flag), "{flag} missing from --help");
        }
    }

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
        let shown = Overrides {
            database: Some("postgres://u:secret@h/d".into()),
            ..Overrides::default()
        }
        .to_toml();
        assert!(!shown.contains("secret"), "{shown}");
    }
}
