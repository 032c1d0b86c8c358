//! The command line's shape: verbs, flags and their help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::cli::device_args::{
    DeviceAction, JoinAction, JoinArgs, PassphraseAction, RecoveryAction, RelayAction,
};

/// An end-to-end encrypted, local-first journal for rebuilding connection after trauma.
///
/// Everything you write is encrypted on this device. Attune is self-help beside
/// care, not treatment: `attune crisis` shows where to find help right now.
#[derive(Parser)]
#[command(name = "attune", version, propagate_version = true)]
pub struct Cli {
    /// The journal directory (default: your data directory, e.g. ~/.local/share/attune).
    #[arg(long, global = true, env = "ATTUNE_DIR", value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of asking.
    #[arg(
        long,
        global = true,
        env = "ATTUNE_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a journal on this device.
    Init {
        /// A name for this device, such as "laptop".
        #[arg(long)]
        name: Option<String>,
        /// Do not protect the device key with a passphrase (anyone who can read your files can read the journal).
        #[arg(long)]
        no_passphrase: bool,
    },
    /// Write an entry, with guided questions for each kind (every one can be skipped).
    Write(WriteArgs),
    /// List entries, newest first.
    List(ListArgs),
    /// Show one entry in full.
    Show {
        /// The entry id (its first 8 characters are enough).
        id: String,
        /// Print stable JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Change an entry's fields, body, tags or people.
    Edit(EditArgs),
    /// Hide an entry. Nothing is erased; `attune restore` brings it back.
    Delete {
        /// The entry id.
        id: String,
    },
    /// Bring back a deleted entry.
    Restore {
        /// The entry id.
        id: String,
    },
    /// Find entries containing every word you give (in text, tags and people).
    Search {
        /// The words to look for.
        #[arg(required = true)]
        words: Vec<String>,
        #[command(flatten)]
        filter: FilterArgs,
        /// Print stable JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Patterns in your entries, gently: connection, routines, setbacks, grounding,
    /// micro-wins, reframes, on this day, this week. With plots.
    Insights(InsightsArgs),
    /// Crisis lines and your own safety plan, offline.
    Crisis {
        #[command(subcommand)]
        action: Option<CrisisAction>,
        /// Print stable JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The kinds of entry and their fields (for --field).
    Kinds {
        /// Print stable JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Write your entries as plaintext files: json, markdown or csv (with the list filters).
    Export(crate::cli::export::ExportArgs),
    /// Bring in entries from Attune JSON, jrnl, Day One, Daylio or Markdown (never twice).
    Import(crate::cli::import::ImportArgs),
    /// A backup in the standard age format: create one, or restore one.
    Backup {
        #[command(subcommand)]
        action: crate::cli::backup::BackupAction,
    },
    /// Check every file of the journal and name any that is damaged.
    Check,
    /// Choose the relay this journal syncs through.
    Relay {
        #[command(subcommand)]
        action: RelayAction,
    },
    /// Sync with the relay: once, or live with --watch.
    Sync {
        /// Stay connected and sync every change as it happens (Ctrl-C to stop).
        #[arg(long)]
        watch: bool,
        /// Also upload a snapshot of the whole (sealed) journal now, so new
        /// devices start from it, and let the relay delete the envelopes it
        /// covers. Taken anyway every 1,000 envelopes.
        #[arg(long, conflicts_with = "watch")]
        snapshot: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sync status: relay, last sync, what waits to be pushed, devices, problems.
    Status {
        /// Print stable JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Join an existing journal from this (new) device.
    ///
    /// With a pairing code from `attune device pair` on the other device:
    /// `attune join 7-crystal-harbor --relay URL`. Without one (offline
    /// fallback): `attune join start`, then `attune join finish`.
    Join(JoinArgs),
    /// The recovery words: `attune recovery rotate` issues new ones.
    Recovery {
        #[command(subcommand)]
        action: RecoveryAction,
    },
    /// Bring the journal back on this machine from the recovery words, when every device is lost.
    Recover {
        /// The relay the journal synced through.
        #[arg(long)]
        relay: String,
        /// Read the 24 words from this file instead of asking.
        #[arg(long, value_name = "FILE")]
        words_file: Option<PathBuf>,
        /// A name for this device.
        #[arg(long)]
        name: Option<String>,
        /// Do not protect this device's key with a passphrase.
        #[arg(long)]
        no_passphrase: bool,
    },
    /// The devices of this journal.
    Device {
        #[command(subcommand)]
        action: DeviceAction,
    },
    /// Set, change or remove the passphrase that protects this device's key.
    Passphrase {
        #[command(subcommand)]
        action: PassphraseAction,
    },
    /// Open the journal in your browser: a local page for writing, the timeline, insights,
    /// devices and your safety plan (only on this computer, syncing live meanwhile).
    Ui(crate::cli::ui::UiArgs),
    /// Ask the passphrase once; then no command asks it until `attune lock` or the time is up.
    Unlock {
        /// How long, from now (not from the last use): 30s, 15m, 1h, 1h30m; at most 24h.
        #[arg(long = "for", value_name = "DURATION", default_value = "1h")]
        lifetime: String,
    },
    /// Lock the journal again now: the next command asks for the passphrase.
    Lock,
    /// The unlock agent's process (started by `attune unlock`).
    #[command(name = "__agent", hide = true)]
    Agent {
        /// How long it serves, in seconds.
        #[arg(long)]
        seconds: u64,
    },
}

#[derive(Subcommand)]
pub enum CrisisAction {
    /// Edit your safety plan in your editor: all of it, or one section.
    Edit {
        /// Only this section: warning-signs, coping-steps, distractions, people,
        /// professionals, safer-surroundings or reasons.
        section: Option<String>,
    },
    /// Add one item to a section of your safety plan.
    Add {
        /// warning-signs, coping-steps, distractions, people, professionals,
        /// safer-surroundings or reasons.
        section: String,
        /// What to add.
        item: String,
    },
}

#[derive(Args)]
pub struct InsightsArgs {
    /// Only one area: this-week, connection, routines, setbacks, grounding,
    /// micro-wins, reframes or on-this-day.
    pub area: Option<String>,
    /// Print stable JSON for scripts (every pattern with its sample size and threshold).
    #[arg(long)]
    pub json: bool,
    /// Also write the plots as SVG files into this directory (not encrypted).
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
    /// Show setbacks and heavy entries in "on this day" too.
    #[arg(long)]
    pub include_hard: bool,
}

#[derive(Args, Default)]
pub struct FilterArgs {
    /// Only this kind (see `attune kinds`).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only entries with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only entries with this person.
    #[arg(long)]
    pub person: Option<String>,
    /// Only the last N days.
    #[arg(long, value_name = "N", conflicts_with = "since")]
    pub days: Option<u32>,
    /// From this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Show deleted entries instead.
    #[arg(long)]
    pub deleted: bool,
    /// At most this many.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print stable JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct WriteArgs {
    /// The kind of entry: conversation, self-compassion, grounding, check-in, session,
    /// listening, setback, micro-win, values, reframe or note.
    #[arg(long, short)]
    pub kind: Option<String>,
    /// The free text (skips the editor and the questions).
    #[arg(long, short)]
    pub body: Option<String>,
    /// Read the free text from a file (`-` for standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "body")]
    pub body_file: Option<PathBuf>,
    /// Write the free text in $EDITOR.
    #[arg(long, short, conflicts_with_all = ["body", "body_file"])]
    pub editor: bool,
    /// Notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// A person (repeatable).
    #[arg(long = "person", short = 'p', value_name = "NAME")]
    pub people: Vec<String>,
    /// A tag (repeatable).
    #[arg(long = "tag", short = 't', value_name = "TAG")]
    pub tags: Vec<String>,
    /// How steady you felt, 1 (overwhelmed) to 5 (steady).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub steadiness: Option<u8>,
    /// A kind-specific field, as key=value (repeatable; see `attune kinds`).
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// When it happened, if not now (YYYY-MM-DD or "YYYY-MM-DD HH:MM").
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Do not ask questions even at a terminal.
    #[arg(long)]
    pub no_prompt: bool,
    /// Print the new entry as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct EditArgs {
    /// The entry id (its first 8 characters are enough).
    pub id: String,
    /// Replace the free text.
    #[arg(long)]
    pub body: Option<String>,
    /// Add text to the end of the free text.
    #[arg(long, conflicts_with = "body")]
    pub append: Option<String>,
    /// Edit the free text in $EDITOR.
    #[arg(long, short, conflicts_with_all = ["body", "append"])]
    pub editor: bool,
    /// Replace the notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// Set a field, as key=value (repeatable).
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// Clear a field (repeatable).
    #[arg(long = "clear", value_name = "KEY")]
    pub clear: Vec<String>,
    /// Add a tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub add_tag: Vec<String>,
    /// Remove a tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub remove_tag: Vec<String>,
    /// Add a person (repeatable).
    #[arg(long, value_name = "NAME")]
    pub add_person: Vec<String>,
    /// Remove a person (repeatable).
    #[arg(long, value_name = "NAME")]
    pub remove_person: Vec<String>,
    /// Set how steady you felt (1–5).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub steadiness: Option<u8>,
    /// Change the kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Print the entry as JSON afterwards.
    #[arg(long)]
    pub json: bool,
}
