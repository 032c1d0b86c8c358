//! The command line's shape: verbs, flags and their help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
}

#[derive(Subcommand)]
pub enum CrisisAction {
    /// Edit your safety plan in your editor.
    Edit,
    /// Add one item to a section of your safety plan.
    Add {
        /// warning-signs, coping-steps, people or professionals.
        section: String,
        /// What to add.
        item: String,
    },
}

#[derive(Subcommand)]
pub enum RelayAction {
    /// Sync through the relay at URL (for example http://127.0.0.1:8787).
    Set {
        /// The relay's address.
        url: String,
        /// The invite the relay's operator gave you, if the relay asks for one
        /// to create a journal (kept sealed; sent only when the journal is created).
        #[arg(long, value_name = "TOKEN")]
        invite: Option<String>,
    },
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JoinArgs {
    #[command(subcommand)]
    pub action: Option<JoinAction>,
    /// The pairing code shown by `attune device pair` (asked for if missing).
    pub code: Option<String>,
    /// The relay the journal syncs through.
    #[arg(long)]
    pub relay: Option<String>,
    /// A name for this device, such as "desktop".
    #[arg(long)]
    pub name: Option<String>,
    /// Do not protect this device's key with a passphrase.
    #[arg(long)]
    pub no_passphrase: bool,
}

#[derive(Subcommand)]
pub enum JoinAction {
    /// Create this device's keys and print a join request to give to a device of the journal.
    Start {
        /// The relay the journal syncs through.
        #[arg(long)]
        relay: String,
        /// A name for this device, such as "desktop".
        #[arg(long)]
        name: Option<String>,
        /// Do not protect this device's key with a passphrase.
        #[arg(long)]
        no_passphrase: bool,
    },
    /// After `attune device add` ran on the other device: fetch the keys and the journal.
    Finish {
        /// The ticket printed by `attune device add` (the journal id and the
        /// hash of the device list that added this device).
        #[arg(value_name = "TICKET")]
        journal_id: String,
    },
}

#[derive(Subcommand)]
pub enum DeviceAction {
    /// Add a new device with a short one-time code (the new device runs `attune join CODE`).
    Pair {
        /// Add the device without asking for confirmation (scripts).
        #[arg(long)]
        yes: bool,
    },
    /// Add a new device from the join request it printed (`attune join start`).
    Add {
        /// The join request (starts with attune-join-v1.).
        request: String,
    },
    /// Remove a lost or retired device: it can no longer sync or read anything new.
    Revoke {
        /// The device's id or fingerprint (its first characters are enough; see `attune device list`).
        device: String,
    },
    /// Rename this device (the other devices learn the name at the next sync).
    Rename {
        /// The new name.
        name: String,
    },
    /// List the journal's devices as of the last sync.
    List {
        /// Print stable JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PassphraseAction {
    /// Protect (or re-protect) the device key with a new passphrase (one too easy to guess is refused).
    #[command(alias = "change")]
    Set {
        /// Read the new passphrase from this file instead of asking.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Remove the passphrase (anyone who can read your files can then read the journal).
    Remove,
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
