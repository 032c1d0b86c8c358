//! The command line (`attune-relay --help`) and the TOML file: the layers
//! of [`Overrides`] the settings are resolved from.

use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches, Parser};

use super::{redact, Overrides, Settings, SettingsError};

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

    /// Each set key with its value as help shows it (strings unquoted, lists comma-separated).
    pub(super) fn shown(&self) -> Vec<(String, String)> {
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

    /// These settings as a TOML document, the database password and the invites hidden.
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database = shown.database.as_deref().map(redact);
        if let Some(tokens) = &mut shown.invite_tokens {
            tokens.iter_mut().for_each(|t| *t = "<hidden>".into());
        }
        toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot show the settings: {e}\n"))
    }
}
