//! The arguments of the verbs about devices and relays: joining, devices,
//! the relay, the recovery words and the passphrase.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum RecoveryAction {
    /// Issue new recovery words and remove the old ones from the journal
    /// (they restore nothing written from now on). Run it on the device
    /// that created the journal, or one restored from the words.
    Rotate,
    /// Print the age identity the recovery words give (opens every backup: `age -d -i`).
    AgeIdentity {
        /// Read the 24 words from this file instead of asking.
        #[arg(long, value_name = "FILE")]
        words_file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum RelayAction {
    /// Sync through the relay at URL (for example http://127.0.0.1:8787).
    ///
    /// On a journal that has synced before, a new address is a move: the next
    /// sync starts from the new relay's beginning and sends this device's
    /// changes again. If the new relay does not hold the journal yet, one
    /// device gives it its copy with `attune relay reseed`.
    Set {
        /// The relay's address.
        url: String,
        /// The invite the relay's operator gave you, if the relay asks for one
        /// to create a journal (kept sealed; sent only when the journal is created).
        #[arg(long, value_name = "TOKEN")]
        invite: Option<String>,
        /// The relay at this same address lost its data and was restored or
        /// re-seeded: start from its beginning as after a move.
        #[arg(long)]
        restored: bool,
        /// Re-seed the relay from this device right away if it does not hold the journal.
        #[arg(long)]
        reseed: bool,
    },
    /// Give a relay that does not hold this journal (a new one, or one that
    /// lost its data) this device's copy: the signed device list, the keys,
    /// its changes and a snapshot. The other devices then run
    /// `attune relay set URL` (with `--restored` for the same address).
    Reseed {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
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
