//! `attune`: an end-to-end encrypted journal for rebuilding connection.

mod cli;

/// mimalloc: applying a new device's catch-up allocates and frees millions
/// of small Automerge values on every core, where it is faster than the
/// system allocator (see docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use attune_client::{InitOptions, Store, StoreError};
use attune_core::{Edit, Query};
use clap::Parser;
use cli::args::{Cli, Command, PassphraseAction, RecoveryAction};
use cli::crisis::crisis;
use cli::devices::{device, join};
use cli::journal::{build_query, edit, write};
use cli::output::{entry_full, entry_json, entry_line, kinds_text};
pub(crate) use cli::passphrase::{read_passphrase_file, work_factor};
use cli::relay::relay;
use cli::safe;
use cli::sync::{status, sync};
use secrecy::SecretString;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Errors can quote a relay's message or a name from the journal.
            eprintln!("attune: {}", safe::line(&err.to_string()));
            for cause in err.chain().skip(1) {
                eprintln!("  because: {}", safe::line(&cause.to_string()));
            }
            ExitCode::FAILURE
        }
    }
}

fn default_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "attune")
        .map(|d| d.data_dir().to_path_buf())
        .context("could not find your data directory; pass --dir PATH or set ATTUNE_DIR")
}

pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

pub(crate) struct Ctx {
    pub(crate) dir: PathBuf,
    pub(crate) passphrase_file: Option<PathBuf>,
}

impl Ctx {
    /// The passphrase from --passphrase-file (or ATTUNE_PASSPHRASE_FILE), else asked at a terminal.
    pub(crate) fn passphrase_source(&self) -> impl FnMut() -> Result<SecretString, StoreError> {
        let file = self.passphrase_file.clone();
        move || -> Result<SecretString, StoreError> {
            if let Some(path) = &file {
                return read_passphrase_file(path);
            }
            if !interactive() {
                return Err(StoreError::PassphraseRequired);
            }
            rpassword::prompt_password("Passphrase: ")
                .map(SecretString::from)
                .map_err(|_| StoreError::PassphraseRequired)
        }
    }

    /// Opens the journal: with the identity from its unlock agent if one
    /// answers (no passphrase, no scrypt), else as always.
    pub(crate) fn open(&self) -> Result<Store> {
        #[cfg(target_os = "linux")]
        let unlocked = attune_client::agent::ask(&self.dir);
        #[cfg(not(target_os = "linux"))]
        let unlocked = None;
        let mut store = match unlocked {
            Some(identity) => Store::open_with_identity(&self.dir, identity)?,
            None => Store::open(&self.dir, &mut self.passphrase_source())?,
        };
        for w in store.take_warnings() {
            eprintln!("note: {}", safe::line(&w));
        }
        Ok(store)
    }

    /// A new passphrase for the device called `device_name`: from a file, or asked
    /// for (again, while it is too easy to guess). `None` means none at all.
    pub(crate) fn new_passphrase(
        &self,
        file: Option<&Path>,
        device_name: &str,
    ) -> Result<Option<SecretString>> {
        if let Some(path) = file.or(self.passphrase_file.as_deref()) {
            let pass = read_passphrase_file(path)?;
            cli::passphrase::require_strong(&pass, device_name, path)?;
            return Ok(Some(pass));
        }
        if !interactive() {
            bail!("no passphrase given: use --passphrase-file FILE, or --no-passphrase");
        }
        loop {
            let first = rpassword::prompt_password("Choose a passphrase (Enter for none): ")?;
            if first.is_empty() {
                println!(
                    "No passphrase: anyone who can read this device's files can read the journal."
                );
                return Ok(None);
            }
            if let Some(why) = cli::passphrase::weakness(&first, device_name) {
                println!("That passphrase is {why}.");
                continue;
            }
            let again = rpassword::prompt_password("Type it again: ")?;
            if first == again {
                return Ok(Some(SecretString::from(first)));
            }
            println!("Those did not match; let's try again.");
        }
    }

    pub(crate) fn init(&self, name: Option<String>, no_passphrase: bool) -> Result<Store> {
        let device_name = name
            .unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "this device".into()));
        let passphrase = if no_passphrase {
            None
        } else {
            self.new_passphrase(None, &device_name)?
        };
        let mut store = Store::init(
            &self.dir,
            InitOptions {
                device_name,
                work_factor: passphrase.as_ref().and_then(|_| work_factor()),
                passphrase,
            },
        )
        .with_context(|| format!("creating a journal in {}", self.dir.display()))?;
        println!("Created your journal in {}", self.dir.display());
        println!(
            "Everything you write is encrypted there. To back it up, copy the whole directory;"
        );
        println!(
            "it can only be read with this device's key ({}).",
            store.identity().fingerprint()
        );
        if store.config().passphrase_protected {
            println!(
                "Your passphrase protects it. There is no way to recover a forgotten passphrase."
            );
        } else {
            println!("No passphrase is set; `attune passphrase set` adds one.");
        }
        if let Some(words) = store.take_recovery_words() {
            cli::output::print_recovery_words(&words);
            println!("(once it has synced to a relay). Anyone holding them can read the journal.");
        }
        Ok(store)
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let dir = match cli.dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let ctx = Ctx {
        dir,
        passphrase_file: cli.passphrase_file,
    };
    match cli.command {
        Command::Init {
            name,
            no_passphrase,
        } => {
            ctx.init(name, no_passphrase)?;
        }
        Command::Write(args) => write(&ctx, args)?,
        Command::List(args) => {
            let query = build_query(&args.filter)?;
            let mut store = ctx.open()?;
            let entries = store.list(&query)?;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &entries.iter().map(entry_json).collect::<Vec<_>>()
                    )?
                );
            } else if entries.is_empty() {
                println!(
                    "{}",
                    if query == Query::default() {
                        "No entries yet. `attune write` starts one."
                    } else {
                        "No entries match."
                    }
                );
            } else {
                for e in &entries {
                    println!("{}", entry_line(e));
                }
            }
        }
        Command::Show { id, json } => {
            let mut store = ctx.open()?;
            let id = store.resolve(&id)?;
            let entry = store.get(id)?;
            for w in store.take_warnings() {
                eprintln!("note: {}", safe::line(&w));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&entry_json(&entry))?);
            } else {
                print!("{}", entry_full(&entry));
            }
        }
        Command::Edit(args) => edit(&ctx, args)?,
        Command::Delete { id } => {
            let mut store = ctx.open()?;
            let id = store.resolve(&id)?;
            store.edit(id, cli::time::now(), &[Edit::Delete])?;
            println!(
                "Deleted {}. Nothing is erased: `attune restore {}` brings it back.",
                id.short(),
                id.short()
            );
        }
        Command::Restore { id } => {
            let mut store = ctx.open()?;
            let id = store.resolve(&id)?;
            store.edit(id, cli::time::now(), &[Edit::Restore])?;
            println!("Restored {}.", id.short());
        }
        Command::Search {
            words,
            filter,
            json,
        } => {
            let query = build_query(&filter)?;
            let mut store = ctx.open()?;
            let hits = store.search(&words.join(" "), &query)?;
            if json {
                let out: Vec<_> = hits
                    .iter()
                    .map(|(e, snippet)| {
                        let mut v = entry_json(e);
                        v["snippet"] = serde_json::json!(snippet);
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else if hits.is_empty() {
                println!("Nothing found for {:?}.", words.join(" "));
            } else {
                for (e, snippet) in &hits {
                    println!("{}\n          {}", entry_line(e), safe::line(snippet));
                }
            }
        }
        Command::Insights(args) => cli::insights::insights(&ctx, args)?,
        Command::Crisis { action, json } => crisis(&ctx, action, json)?,
        Command::Kinds { json: false } => print!("{}", kinds_text()),
        Command::Kinds { json: true } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&cli::output::kinds_json())?
            )
        }
        Command::Check => {
            let mut store = ctx.open()?;
            let problems = store.check()?;
            for note in store.take_warnings() {
                println!("{}", safe::line(&note));
            }
            if problems.is_empty() {
                println!(
                    "Every file of the journal in {} reads correctly.",
                    ctx.dir.display()
                );
            } else {
                for p in &problems {
                    println!(
                        "damaged: {} ({})",
                        safe::line(&p.path.display().to_string()),
                        safe::line(&p.reason)
                    );
                }
                println!("{} damaged file(s). The rest of the journal is unaffected; restore these from a backup or another device.", problems.len());
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Relay { action } => relay(&ctx, action)?,
        Command::Export(args) => cli::export::export(&ctx, args)?,
        Command::Import(args) => cli::import::import(&ctx, args)?,
        Command::Backup { action } => cli::backup::backup(&ctx, action)?,
        Command::Recovery {
            action: RecoveryAction::AgeIdentity { words_file },
        } => cli::backup::age_identity(words_file.as_deref())?,
        Command::Recovery {
            action: RecoveryAction::Rotate,
        } => cli::devices::rotate_recovery(&ctx)?,
        Command::Sync {
            watch,
            snapshot,
            json,
        } => {
            if let Err(e) = sync(&ctx, watch, snapshot, json) {
                // A relay that does not hold a journal this device synced: at
                // a terminal, offer to give it this device's copy.
                let unknown = matches!(
                    e.downcast_ref::<attune_client::sync::SyncError>(),
                    Some(attune_client::sync::SyncError::WrongRelay(_))
                );
                if !(unknown && !json && cli::relay::offer_reseed(&ctx)?) {
                    return Err(e);
                }
            }
        }
        Command::Status { json } => status(&ctx, json)?,
        Command::Ui(args) => cli::ui::ui(&ctx, args)?,
        Command::Join(args) => join(&ctx, args)?,
        Command::Device { action } => device(&ctx, action)?,
        Command::Recover {
            relay,
            words_file,
            name,
            no_passphrase,
        } => cli::devices::recover(&ctx, &relay, words_file.as_deref(), name, no_passphrase)?,
        #[cfg(target_os = "linux")]
        Command::Unlock { lifetime } => cli::unlock::unlock(&ctx, &lifetime)?,
        #[cfg(target_os = "linux")]
        Command::Lock => cli::unlock::lock(&ctx)?,
        #[cfg(target_os = "linux")]
        Command::Agent { seconds } => cli::agent::run(&ctx.dir, seconds)?,
        #[cfg(not(target_os = "linux"))]
        Command::Unlock { .. } | Command::Lock | Command::Agent { .. } => {
            bail!(
                "unlocking for a while needs Linux for now; every command asks for the passphrase"
            )
        }
        Command::Passphrase { action } => {
            let mut store = ctx.open()?;
            match action {
                PassphraseAction::Set {
                    new_passphrase_file,
                } => {
                    let device_name = store.config().device_name.clone();
                    let Some(pass) = (match new_passphrase_file.as_deref() {
                        // The global --passphrase-file holds the current passphrase, not the new one.
                        Some(f) => ctx.new_passphrase(Some(f), &device_name)?,
                        None if interactive() => Ctx {
                            dir: ctx.dir.clone(),
                            passphrase_file: None,
                        }
                        .new_passphrase(None, &device_name)?,
                        None => bail!("give the new passphrase with --new-passphrase-file FILE"),
                    }) else {
                        println!("Nothing changed.");
                        return Ok(ExitCode::SUCCESS);
                    };
                    store.change_passphrase(Some(pass), work_factor())?;
                    // The agent would end by itself (the identity file changed); end it now.
                    #[cfg(target_os = "linux")]
                    let _ = attune_client::agent::lock(&ctx.dir);
                    println!("The device key is now protected by the new passphrase.");
                }
                PassphraseAction::Remove => {
                    store.change_passphrase(None, None)?;
                    #[cfg(target_os = "linux")]
                    let _ = attune_client::agent::lock(&ctx.dir);
                    println!("The passphrase is removed; anyone who can read this device's files can read the journal.");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
