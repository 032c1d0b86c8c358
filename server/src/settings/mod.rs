//! Where the relay's settings come from: flags, environment, a TOML file, defaults.
//!
//! Every setting has a flag (`--max-body-bytes`), an environment variable
//! (`ATTUNE_RELAY_MAX_BODY_BYTES`) and a key of the TOML file named by
//! `--config` (`max_body_bytes`). The first of these that is set wins, else
//! the default: **flag > environment > file > default**. Durations are whole
//! seconds (`request_timeout_secs`). A key the relay does not know is an
//! error, so a misspelt setting is never silently ignored.
//! `server/dist/relay.example.toml` lists every key with its default.
//!
//! Each setting is declared once, in `settings/table.rs`: that row makes its field of
//! [`Settings`] (or of [`Config`], the limits and timings of a running relay),
//! its default, its check, its key, its flag and its environment variable.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

mod cli;
mod declare;
mod table;
#[cfg(test)]
mod tests;

pub use cli::Cli;
pub use table::{Config, Overrides, Settings};

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
