//! `attune`: an end-to-end encrypted journal for rebuilding connection.

mod cli;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use attune::safety::{CRISIS_HINT, CRISIS_NOTE, SECTIONS};
use attune::sync::SyncReport;
use attune::{InitOptions, SafetyPlan, Store, StoreError};
use attune_core::{Edit, Entry, EntryKind, FieldValue, NewEntry, Query};
use clap::{Args, Parser, Subcommand};
use cli::output::{entry_full, entry_json, entry_line, kinds_text};
use cli::prompt::Prompter;
use secrecy::SecretString;

/// An end-to-end encrypted, local-first journal for rebuilding connection after trauma.
///
/// Everything you write is encrypted on this device. Attune is self-help beside
/// care, not treatment: `attune crisis` shows where to find help right now.
#[derive(Parser)]
#[command(name = "attune", version, propagate_version = true)]
struct Cli {
    /// The journal directory (default: your data directory, e.g. ~/.local/share/attune).
    #[arg(long, global = true, env = "ATTUNE_DIR", value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of asking.
    #[arg(
        long,
        global = true,
        env = "ATTUNE_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    Kinds,
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
    Join {
        #[command(subcommand)]
        action: JoinAction,
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
enum CrisisAction {
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
enum RelayAction {
    /// Sync through the relay at URL (for example http://127.0.0.1:8787).
    Set {
        /// The relay's address.
        url: String,
    },
}

#[derive(Subcommand)]
enum JoinAction {
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
        /// The journal id printed by `attune device add`.
        journal_id: String,
    },
}

#[derive(Subcommand)]
enum DeviceAction {
    /// Add a new device from the join request it printed (`attune join start`).
    Add {
        /// The join request (starts with attune-join-v1.).
        request: String,
    },
    /// List the journal's devices as of the last sync.
    List {
        /// Print stable JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PassphraseAction {
    /// Protect (or re-protect) the device key with a new passphrase.
    Set {
        /// Read the new passphrase from this file instead of asking.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Remove the passphrase (anyone who can read your files can then read the journal).
    Remove,
}

#[derive(Args, Default)]
struct FilterArgs {
    /// Only this kind (see `attune kinds`).
    #[arg(long)]
    kind: Option<String>,
    /// Only entries with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only entries with this person.
    #[arg(long)]
    person: Option<String>,
    /// Only the last N days.
    #[arg(long, value_name = "N", conflicts_with = "since")]
    days: Option<u32>,
    /// From this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Show deleted entries instead.
    #[arg(long)]
    deleted: bool,
    /// At most this many.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Print stable JSON for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct WriteArgs {
    /// The kind of entry: conversation, self-compassion, grounding, check-in, session,
    /// listening, setback, micro-win, values, reframe or note.
    #[arg(long, short)]
    kind: Option<String>,
    /// The free text (skips the editor and the questions).
    #[arg(long, short)]
    body: Option<String>,
    /// Read the free text from a file (`-` for standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "body")]
    body_file: Option<PathBuf>,
    /// Write the free text in $EDITOR.
    #[arg(long, short, conflicts_with_all = ["body", "body_file"])]
    editor: bool,
    /// Notes.
    #[arg(long)]
    notes: Option<String>,
    /// A person (repeatable).
    #[arg(long = "person", short = 'p', value_name = "NAME")]
    people: Vec<String>,
    /// A tag (repeatable).
    #[arg(long = "tag", short = 't', value_name = "TAG")]
    tags: Vec<String>,
    /// How steady you felt, 1 (overwhelmed) to 5 (steady).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    steadiness: Option<u8>,
    /// A kind-specific field, as key=value (repeatable; see `attune kinds`).
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// When it happened, if not now (YYYY-MM-DD or "YYYY-MM-DD HH:MM").
    #[arg(long, value_name = "WHEN")]
    at: Option<String>,
    /// Do not ask questions even at a terminal.
    #[arg(long)]
    no_prompt: bool,
    /// Print the new entry as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct EditArgs {
    /// The entry id (its first 8 characters are enough).
    id: String,
    /// Replace the free text.
    #[arg(long)]
    body: Option<String>,
    /// Add text to the end of the free text.
    #[arg(long, conflicts_with = "body")]
    append: Option<String>,
    /// Edit the free text in $EDITOR.
    #[arg(long, short, conflicts_with_all = ["body", "append"])]
    editor: bool,
    /// Replace the notes.
    #[arg(long)]
    notes: Option<String>,
    /// Set a field, as key=value (repeatable).
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// Clear a field (repeatable).
    #[arg(long = "clear", value_name = "KEY")]
    clear: Vec<String>,
    /// Add a tag (repeatable).
    #[arg(long, value_name = "TAG")]
    add_tag: Vec<String>,
    /// Remove a tag (repeatable).
    #[arg(long, value_name = "TAG")]
    remove_tag: Vec<String>,
    /// Add a person (repeatable).
    #[arg(long, value_name = "NAME")]
    add_person: Vec<String>,
    /// Remove a person (repeatable).
    #[arg(long, value_name = "NAME")]
    remove_person: Vec<String>,
    /// Set how steady you felt (1–5).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    steadiness: Option<u8>,
    /// Change the kind.
    #[arg(long)]
    kind: Option<String>,
    /// Print the entry as JSON afterwards.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("attune: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  because: {cause}");
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

fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

fn read_passphrase_file(path: &Path) -> Result<SecretString, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(StoreError::io(
            path,
            std::io::Error::other("the passphrase file is empty"),
        ));
    }
    Ok(SecretString::from(line))
}

fn work_factor() -> Option<u8> {
    // Only for tests and slow machines: lower is weaker. Unset means age's default.
    std::env::var("ATTUNE_SCRYPT_WORK_FACTOR")
        .ok()
        .and_then(|v| v.parse().ok())
}

struct Ctx {
    dir: PathBuf,
    passphrase_file: Option<PathBuf>,
}

impl Ctx {
    fn open(&self) -> Result<Store> {
        let file = self.passphrase_file.clone();
        let mut source = move || -> Result<SecretString, StoreError> {
            if let Some(path) = &file {
                return read_passphrase_file(path);
            }
            if !interactive() {
                return Err(StoreError::PassphraseRequired);
            }
            rpassword::prompt_password("Passphrase: ")
                .map(SecretString::from)
                .map_err(|_| StoreError::PassphraseRequired)
        };
        let mut store = Store::open(&self.dir, &mut source)?;
        for w in store.take_warnings() {
            eprintln!("note: {w}");
        }
        Ok(store)
    }

    fn new_passphrase(&self, file: Option<&Path>) -> Result<Option<SecretString>> {
        if let Some(path) = file.or(self.passphrase_file.as_deref()) {
            return Ok(Some(read_passphrase_file(path)?));
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
            let again = rpassword::prompt_password("Type it again: ")?;
            if first == again {
                return Ok(Some(SecretString::from(first)));
            }
            println!("Those did not match; let's try again.");
        }
    }

    fn init(&self, name: Option<String>, no_passphrase: bool) -> Result<Store> {
        let passphrase = if no_passphrase {
            None
        } else {
            self.new_passphrase(None)?
        };
        let device_name = name
            .unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "this device".into()));
        let store = Store::init(
            &self.dir,
            InitOptions {
                device_name,
                passphrase,
                work_factor: work_factor(),
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
                eprintln!("note: {w}");
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
                    println!("{}\n          {snippet}", entry_line(e));
                }
            }
        }
        Command::Crisis { action, json } => crisis(&ctx, action, json)?,
        Command::Kinds => print!("{}", kinds_text()),
        Command::Check => {
            let mut store = ctx.open()?;
            let problems = store.check()?;
            if problems.is_empty() {
                println!(
                    "Every file of the journal in {} reads correctly.",
                    ctx.dir.display()
                );
            } else {
                for p in &problems {
                    println!("damaged: {} ({})", p.path.display(), p.reason);
                }
                println!("{} damaged file(s). The rest of the journal is unaffected; restore these from a backup or another device.", problems.len());
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Relay {
            action: RelayAction::Set { url },
        } => {
            let url = url.trim().trim_end_matches('/').to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("{url:?} is not a relay address; it should start with http:// or https://");
            }
            let mut store = ctx.open()?;
            let first_time = store.config().relay.is_none();
            store.update_config(|c| c.relay = Some(url.clone()))?;
            let state = attune::sync::SyncState::load(&store)?;
            if first_time && state.next_seq == 1 && !store.config().joined {
                let n = store.queue_history_for_sync()?;
                if n > 0 {
                    println!("Your {n} saved change(s) will be sent, sealed, at the next sync.");
                }
            }
            println!(
                "This journal syncs through {url}. Run `attune sync` (or `attune sync --watch`)."
            );
        }
        Command::Sync { watch, json } => sync(&ctx, watch, json)?,
        Command::Status { json } => status(&ctx, json)?,
        Command::Join { action } => join(&ctx, action)?,
        Command::Device { action } => device(&ctx, action)?,
        Command::Passphrase { action } => {
            let mut store = ctx.open()?;
            match action {
                PassphraseAction::Set {
                    new_passphrase_file,
                } => {
                    let file = new_passphrase_file.as_deref();
                    let Some(pass) = (match file {
                        Some(f) => Some(read_passphrase_file(f)?),
                        None if interactive() => Ctx {
                            dir: ctx.dir.clone(),
                            passphrase_file: None,
                        }
                        .new_passphrase(None)?,
                        None => bail!("give the new passphrase with --new-passphrase-file FILE"),
                    }) else {
                        println!("Nothing changed.");
                        return Ok(ExitCode::SUCCESS);
                    };
                    store.change_passphrase(Some(pass), work_factor())?;
                    println!("The device key is now protected by the new passphrase.");
                }
                PassphraseAction::Remove => {
                    store.change_passphrase(None, None)?;
                    println!("The passphrase is removed; anyone who can read this device's files can read the journal.");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    // wss:// needs a TLS provider chosen once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the network runtime")
}

fn print_report(report: &SyncReport) {
    if report.pushed > 0 || report.received > 0 {
        println!(
            "Synced: sent {} envelope(s), received {} ({} new change(s)).",
            report.pushed, report.received, report.applied
        );
    }
    for p in &report.problems {
        eprintln!("problem: {p}");
    }
}

fn report_json(report: &SyncReport) -> serde_json::Value {
    serde_json::json!({
        "pushed": report.pushed,
        "received": report.received,
        "applied": report.applied,
        "head": report.head,
        "problems": report.problems,
    })
}

fn sync(ctx: &Ctx, watch: bool, json: bool) -> Result<()> {
    let rt = runtime()?;
    if !watch {
        let mut store = ctx.open()?;
        let report = rt.block_on(attune::sync::sync_once(&mut store))?;
        if json {
            println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
        } else {
            print_report(&report);
            if report.pushed == 0 && report.received == 0 && report.problems.is_empty() {
                println!("Up to date.");
            }
        }
        if !report.problems.is_empty() {
            bail!(
                "sync finished with {} problem(s); nothing unverified was applied",
                report.problems.len()
            );
        }
        return Ok(());
    }
    // Ask for the passphrase once; the watch loop reopens the journal for each batch
    // so that `attune write` keeps working meanwhile.
    let store = ctx.open()?;
    let relay = store.config().relay.clone().unwrap_or_default();
    drop(store);
    let pass = match &ctx.passphrase_file {
        Some(p) => Some(read_passphrase_file(p)?),
        None => None,
    };
    let pass = match pass {
        Some(p) => Some(p),
        None if attune::store::identity_is_protected(&ctx.dir) && interactive() => Some(
            SecretString::from(rpassword::prompt_password("Passphrase: ")?),
        ),
        None => None,
    };
    let dir = ctx.dir.clone();
    let mut opener = move || -> Result<Store, StoreError> {
        let pass = pass.clone();
        let mut source = move || pass.clone().ok_or(StoreError::PassphraseRequired);
        Store::open(&dir, &mut source)
    };
    println!("Syncing live with {relay}. Press Ctrl-C to stop.");
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    rt.block_on(attune::sync::watch(
        &mut opener,
        |r| {
            if json {
                println!("{}", report_json(r));
            } else {
                print_report(r);
            }
        },
        stop,
    ))?;
    println!("Stopped.");
    Ok(())
}

fn status(ctx: &Ctx, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let state = attune::sync::SyncState::load(&store)?;
    let (changes, envelopes) = attune::sync::pending_counts(&store)?;
    let me = store.config().device_id.clone();
    let devices: Vec<serde_json::Value> = state
        .roster()
        .map(|r| {
            r.devices
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "device_id": d.device_id.to_string(),
                        "fingerprint": attune_crypto::fingerprint_of(&d.age_recipient, &d.verifying_key),
                        "this_device": d.device_id.to_string() == me,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if json {
        let out = serde_json::json!({
            "journal_id": store.config().journal_id,
            "device_id": me,
            "device_name": store.config().device_name,
            "relay": store.config().relay,
            "last_sync_unix": state.last_sync_unix,
            "pending_changes": changes,
            "pending_envelopes": envelopes,
            "cursor": state.cursor,
            "devices": devices,
            "problems": state.problems,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("journal   {}", store.config().journal_id);
    println!(
        "device    {} ({})",
        store.config().device_name,
        store.identity().fingerprint()
    );
    match &store.config().relay {
        Some(r) => println!("relay     {r}"),
        None => println!("relay     none (offline only; `attune relay set URL` to sync)"),
    }
    match state.last_sync_unix {
        Some(t) => println!(
            "last sync {}",
            cli::output::friendly(attune_core::Timestamp::new(
                t * 1000,
                cli::time::local_offset_minutes()
            ))
        ),
        None => println!("last sync never"),
    }
    println!("waiting   {changes} change record(s), {envelopes} sealed envelope(s)");
    if !devices.is_empty() {
        println!("devices   {}", devices.len());
        for d in &devices {
            println!(
                "  {} {}{}",
                &d["device_id"].as_str().unwrap_or_default()[..8],
                d["fingerprint"].as_str().unwrap_or_default(),
                if d["this_device"] == true {
                    "  (this device)"
                } else {
                    ""
                }
            );
        }
    }
    for p in &state.problems {
        println!("problem   {p}");
    }
    Ok(())
}

fn join(ctx: &Ctx, action: JoinAction) -> Result<()> {
    match action {
        JoinAction::Start {
            relay,
            name,
            no_passphrase,
        } => {
            let passphrase = if no_passphrase {
                None
            } else {
                ctx.new_passphrase(None)?
            };
            let device_name = name.unwrap_or_else(|| {
                std::env::var("HOSTNAME").unwrap_or_else(|_| "new device".into())
            });
            let device = attune::JoiningDevice::create(
                &ctx.dir,
                InitOptions {
                    device_name,
                    passphrase,
                    work_factor: work_factor(),
                },
                relay.trim().trim_end_matches('/'),
            )?;
            let request = attune::sync::JoinRequest::of(&device)?;
            println!("This device's fingerprint: {}", request.fingerprint());
            println!("On a device that already has the journal, run:\n");
            println!("  attune device add {}\n", request.encode());
            println!("then come back here and run `attune join finish JOURNAL_ID` with the id it prints.");
        }
        JoinAction::Finish { journal_id } => {
            let file = ctx.passphrase_file.clone();
            let mut source = move || -> Result<SecretString, StoreError> {
                match &file {
                    Some(p) => read_passphrase_file(p),
                    None if interactive() => rpassword::prompt_password("Passphrase: ")
                        .map(SecretString::from)
                        .map_err(|_| StoreError::PassphraseRequired),
                    None => Err(StoreError::PassphraseRequired),
                }
            };
            let device = attune::JoiningDevice::open(&ctx.dir, &mut source)?;
            let rt = runtime()?;
            let (store, report) = rt.block_on(attune::sync::finish_join(device, &journal_id))?;
            println!(
                "This device is now part of the journal; {} entries arrived.",
                store.entry_ids()?.len()
            );
            print_report(&report);
        }
    }
    Ok(())
}

fn device(ctx: &Ctx, action: DeviceAction) -> Result<()> {
    match action {
        DeviceAction::Add { request } => {
            let request = attune::sync::JoinRequest::decode(&request)?;
            let mut store = ctx.open()?;
            let rt = runtime()?;
            println!(
                "Adding \"{}\" with fingerprint {}.",
                request.name,
                request.fingerprint()
            );
            rt.block_on(attune::sync::add_device(&mut store, &request))?;
            println!(
                "Done. On the new device run:\n\n  attune join finish {}\n",
                store.config().journal_id
            );
            println!(
                "Check that the new device showed the same fingerprint: {}",
                request.fingerprint()
            );
        }
        DeviceAction::List { json } => status(ctx, json)?,
    }
    Ok(())
}

fn parse_kind(s: &str) -> Result<EntryKind> {
    EntryKind::parse(s).ok_or_else(|| attune_core::CoreError::UnknownKind(s.to_string()).into())
}

fn build_query(f: &FilterArgs) -> Result<Query> {
    let mut q = Query {
        kind: f.kind.as_deref().map(parse_kind).transpose()?,
        tag: f.tag.clone(),
        person: f.person.clone(),
        deleted: f.deleted,
        limit: f.limit,
        ..Default::default()
    };
    if let Some(days) = f.days {
        q.from_ms = Some(attune::store::now_ms() - i64::from(days) * 86_400_000);
    }
    if let Some(since) = &f.since {
        q.from_ms = Some(cli::time::parse_local(since)?.unix_ms);
    }
    if let Some(until) = &f.until {
        q.until_ms = Some(cli::time::parse_local(until)?.unix_ms);
    }
    Ok(q)
}

fn parse_fields(kind: EntryKind, raw: &[String]) -> Result<Vec<(String, FieldValue)>> {
    raw.iter()
        .map(|kv| {
            let Some((key, value)) = kv.split_once('=') else {
                bail!("--field {kv:?}: write it as key=value (see `attune kinds`)");
            };
            let spec = kind.field(key.trim())?;
            Ok((spec.key.to_string(), FieldValue::parse(spec, value)?))
        })
        .collect()
}

fn edit_in_editor(initial: &str) -> Result<String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    // The temporary file is private (0600) and removed as soon as the editor closes.
    let file = tempfile::Builder::new()
        .prefix("attune-")
        .suffix(".md")
        .tempfile()?;
    std::fs::write(file.path(), initial)?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .with_context(|| format!("starting your editor ({editor})"))?;
    if !status.success() {
        bail!("your editor ({editor}) exited with {status}; nothing was saved");
    }
    Ok(std::fs::read_to_string(file.path())?)
}

fn write(ctx: &Ctx, args: WriteArgs) -> Result<()> {
    let mut store = if Store::exists(&ctx.dir) {
        ctx.open()?
    } else {
        println!("There is no journal here yet; creating one.");
        let no_pass = !interactive() && ctx.passphrase_file.is_none();
        ctx.init(None, no_pass)?
    };
    let guided =
        interactive() && !args.no_prompt && args.body.is_none() && args.body_file.is_none();
    let mut prompter = Prompter::new(std::io::stdin().lock(), std::io::stdout());
    let kind = match &args.kind {
        Some(k) => parse_kind(k)?,
        None if guided => {
            let options: Vec<String> = EntryKind::ALL
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{}) {}", i + 1, k.label()))
                .collect();
            println!("What would you like to write?\n  {}", options.join("  "));
            match prompter.ask("Pick a number or a name (Enter for a note):")? {
                Some(a) => match a.parse::<usize>() {
                    Ok(n) if n >= 1 && n <= EntryKind::ALL.len() => EntryKind::ALL[n - 1],
                    _ => parse_kind(&a)?,
                },
                None => EntryKind::Note,
            }
        }
        None => EntryKind::Note,
    };
    let mut new = NewEntry {
        kind: Some(kind),
        notes: args.notes.unwrap_or_default(),
        tags: args.tags.into_iter().collect(),
        people: args.people.into_iter().collect(),
        steadiness: args.steadiness,
        fields: parse_fields(kind, &args.fields)?.into_iter().collect(),
        ..Default::default()
    };
    if let Some(body) = args.body {
        new.body = body;
    } else if let Some(path) = args.body_file {
        new.body = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        } else {
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
        };
    }
    if guided {
        prompter.guide(&mut new)?;
        if !args.editor {
            if let Some(line) = prompter.ask(&format!(
                "{} (type it here, or `e` to open your editor)",
                kind.body_prompt()
            ))? {
                new.body = if line == "e" {
                    edit_in_editor("")?
                } else {
                    line
                };
            }
        }
    }
    if args.editor {
        new.body = edit_in_editor(&new.body)?;
    }
    let when = match &args.at {
        Some(at) => cli::time::parse_local(at)?,
        None => cli::time::now(),
    };
    let entry = store.create(when, new)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entry_json(&entry))?);
    } else {
        println!("Saved {} entry {}.", entry.kind.label(), entry.id);
    }
    after_write_hint(&entry);
    Ok(())
}

fn after_write_hint(entry: &Entry) {
    if entry.is_heavy() {
        eprintln!("{CRISIS_HINT}");
    }
}

fn edit(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let id = store.resolve(&args.id)?;
    let current = store.get(id)?;
    let kind = match &args.kind {
        Some(k) => parse_kind(k)?,
        None => current.kind,
    };
    let mut edits = Vec::new();
    if kind != current.kind {
        edits.push(Edit::SetKind(kind));
    }
    if let Some(body) = args.body {
        edits.push(Edit::SetBody(body));
    }
    if let Some(more) = args.append {
        let pos = current.body.chars().count();
        let sep = if current.body.is_empty() || current.body.ends_with(char::is_whitespace) {
            ""
        } else {
            " "
        };
        edits.push(Edit::SpliceBody {
            pos,
            delete: 0,
            insert: format!("{sep}{more}"),
        });
    }
    if let Some(notes) = args.notes {
        edits.push(Edit::SetNotes(notes));
    }
    for (key, value) in parse_fields(kind, &args.fields)? {
        edits.push(Edit::SetField(key, Some(value)));
    }
    for key in &args.clear {
        edits.push(Edit::SetField(kind.field(key)?.key.to_string(), None));
    }
    edits.extend(args.add_tag.into_iter().map(Edit::AddTag));
    edits.extend(args.remove_tag.into_iter().map(Edit::RemoveTag));
    edits.extend(args.add_person.into_iter().map(Edit::AddPerson));
    edits.extend(args.remove_person.into_iter().map(Edit::RemovePerson));
    if let Some(s) = args.steadiness {
        edits.push(Edit::SetSteadiness(Some(s)));
    }
    if args.editor || (edits.is_empty() && interactive()) {
        edits.push(Edit::SetBody(edit_in_editor(&current.body)?));
    }
    if edits.is_empty() {
        bail!("nothing to change: give --body, --append, --field, --add-tag… (see `attune edit --help`)");
    }
    let entry = store.edit(id, cli::time::now(), &edits)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entry_json(&entry))?);
    } else {
        println!("Saved changes to {}.", entry.id.short());
    }
    Ok(())
}

fn crisis(ctx: &Ctx, action: Option<CrisisAction>, json: bool) -> Result<()> {
    match action {
        None => {
            // The general note comes first and needs nothing unlocked.
            if !json {
                println!("{CRISIS_NOTE}\n");
            }
            let plan = if Store::exists(&ctx.dir) {
                match ctx.open().and_then(|s| Ok(s.safety_plan()?)) {
                    Ok(plan) => Some(plan),
                    Err(e) => {
                        eprintln!("(Your own safety plan could not be opened: {e})");
                        None
                    }
                }
            } else {
                None
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "note": CRISIS_NOTE, "plan": plan })
                    )?
                );
                return Ok(());
            }
            match plan {
                Some(plan) if !plan.is_empty() => {
                    println!("Your safety plan");
                    for (title, key) in SECTIONS {
                        let items = plan.section(key);
                        if !items.is_empty() {
                            println!("  {title}:");
                            for item in items {
                                println!("    • {item}");
                            }
                        }
                    }
                }
                _ => println!("You can write your own safety plan (warning signs, coping steps, people, professionals)\nwith `attune crisis edit`. It stays encrypted on your devices."),
            }
        }
        Some(CrisisAction::Edit) => {
            let mut store = ctx.open()?;
            let text = edit_in_editor(&store.safety_plan()?.to_text())?;
            store.set_safety_plan(&SafetyPlan::from_text(&text))?;
            println!("Your safety plan is saved.");
        }
        Some(CrisisAction::Add { section, item }) => {
            let mut store = ctx.open()?;
            let mut plan = store.safety_plan()?;
            let keys: BTreeSet<&str> = SECTIONS.iter().map(|(_, k)| *k).collect();
            let Some(list) = plan.section_mut(&section) else {
                bail!(
                    "{section:?} is not a section; use one of: {}",
                    keys.into_iter().collect::<Vec<_>>().join(", ")
                );
            };
            list.push(item);
            store.set_safety_plan(&plan)?;
            println!("Added to your safety plan.");
        }
    }
    Ok(())
}
