//! `attune backup create|restore` and `attune recovery age-identity`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use attune_client::portable::{backup, restore};
use attune_client::Store;
use clap::Subcommand;

use crate::{interactive, Ctx};

#[derive(Subcommand)]
pub enum BackupAction {
    /// Write one file in the standard age format that `age -d -i IDENTITY` opens
    /// (encrypted to every device and to the recovery words).
    Create {
        /// The backup file (FILE.age).
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
    /// Bring a backup back: into this journal (merged by entry id), or into a new
    /// one when the directory holds none.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// An age identity file that opens it (`attune recovery age-identity > FILE`).
        #[arg(long, short, value_name = "FILE")]
        identity: Option<PathBuf>,
        /// Open it with the recovery words in this file.
        #[arg(long, value_name = "FILE", conflicts_with = "identity")]
        words_file: Option<PathBuf>,
        /// A name for this device (a new journal only).
        #[arg(long)]
        name: Option<String>,
        /// Do not protect this device's key with a passphrase (a new journal only).
        #[arg(long)]
        no_passphrase: bool,
    },
}

fn read_words(words_file: Option<&Path>) -> Result<String> {
    match words_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the recovery words from {}", path.display())),
        None if interactive() => {
            let words = rpassword::prompt_password("Your 24 recovery words (hidden): ")?;
            Ok(words)
        }
        None => bail!("give the recovery words with --words-file FILE"),
    }
}

/// `attune recovery age-identity`: the age identity the recovery words give,
/// in the format of `age-keygen` (for `age -d -i FILE backup.age`).
pub fn age_identity(words_file: Option<&Path>) -> Result<()> {
    let identity = restore::recovery_identity(&read_words(words_file)?)?;
    eprintln!("This identity opens every backup of the journal: keep it as safe as the words.");
    println!("# the recovery identity of an Attune journal");
    println!("# public key: {}", identity.to_public());
    println!("{}", restore::identity_text(&identity));
    Ok(())
}

/// Run `attune backup`.
pub fn backup(ctx: &Ctx, action: BackupAction) -> Result<()> {
    match action {
        BackupAction::Create { output } => {
            let mut store = ctx.open()?;
            let created = backup::create(&mut store, crate::cli::time::now(), &output)?;
            println!(
                "Backed up {} entries to {} ({} bytes), openable by {} key(s): this journal's devices and its recovery words.",
                created.entries,
                output.display(),
                created.bytes,
                created.recipients.len()
            );
        }
        BackupAction::Restore {
            file,
            identity,
            words_file,
            name,
            no_passphrase,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut keys = Vec::new();
            if let Some(path) = &identity {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the identity {}", path.display()))?;
                keys = restore::identities_in(&text);
                if keys.is_empty() {
                    bail!(
                        "{} holds no age identity (AGE-SECRET-KEY-1…)",
                        path.display()
                    );
                }
            }
            let exists = Store::exists(&ctx.dir);
            if words_file.is_some() || (!exists && identity.is_none()) {
                keys.push(restore::recovery_identity(&read_words(
                    words_file.as_deref(),
                )?)?);
            }
            let mut store = if exists {
                let store = ctx.open()?;
                keys.push(store.identity().age_identity().clone());
                Some(store)
            } else {
                None
            };
            // Everything is decrypted and checked before anything is written.
            let opened = restore::open(&file, &bytes, &keys)?;
            let mut store = match store.take() {
                Some(store) => store,
                None => ctx.init(name, no_passphrase)?,
            };
            let done = restore::restore(&mut store, opened)?;
            println!(
                "Restored from {}: {} new, {} merged, {} already there.",
                file.display(),
                done.new,
                done.merged,
                done.already
            );
        }
    }
    Ok(())
}
