//! The sync verbs: relay, sync, status, join, device.

use anyhow::{bail, Context, Result};
use attune_client::sync::SyncReport;
use attune_client::{InitOptions, Store, StoreError};
use secrecy::SecretString;

use crate::cli::args::{DeviceAction, JoinAction, JoinArgs};
use crate::{cli, interactive, read_passphrase_file, work_factor, Ctx};

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    // wss:// needs a TLS provider chosen once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the network runtime")
}

pub(crate) fn print_report(report: &SyncReport) {
    if let Some(cursor) = report.snapshot_cursor {
        println!(
            "Started from the journal's snapshot (through #{cursor}): {} entr{} restored.",
            report.restored_entries,
            if report.restored_entries == 1 {
                "y"
            } else {
                "ies"
            }
        );
    }
    if let Some(taken) = &report.snapshot_taken {
        println!(
            "Uploaded a snapshot of {} entr{} ({} KiB sealed); the relay deleted {} envelope(s) it covers.",
            taken.entries,
            if taken.entries == 1 { "y" } else { "ies" },
            taken.bytes.div_ceil(1024),
            taken.compacted
        );
    }
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

pub(crate) fn report_json(report: &SyncReport) -> serde_json::Value {
    serde_json::json!({
        "pushed": report.pushed,
        "received": report.received,
        "applied": report.applied,
        "head": report.head,
        "problems": report.problems,
        "snapshot_used": report.snapshot_cursor.map(|cursor| serde_json::json!({
            "cursor": cursor,
            "entries": report.restored_entries,
        })),
        "snapshot_taken": report.snapshot_taken.as_ref().map(|t| serde_json::json!({
            "cursor": t.cursor,
            "entries": t.entries,
            "bytes": t.bytes,
            "compacted": t.compacted,
        })),
    })
}

pub(crate) fn sync(ctx: &Ctx, watch: bool, snapshot: bool, json: bool) -> Result<()> {
    let rt = runtime()?;
    if !watch {
        let mut store = ctx.open()?;
        let report = rt.block_on(attune_client::sync::sync_once_with(&mut store, snapshot))?;
        if snapshot && report.snapshot_taken.is_none() && !json {
            println!("No new snapshot: the relay already holds one at least as new, or changes still wait to be sent.");
        }
        if json {
            println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
        } else {
            print_report(&report);
            if report.pushed == 0
                && report.received == 0
                && report.problems.is_empty()
                && report.snapshot_taken.is_none()
                && report.snapshot_cursor.is_none()
            {
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
        None if attune_client::store::identity_is_protected(&ctx.dir) && interactive() => Some(
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
    rt.block_on(attune_client::sync::watch(
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

pub(crate) fn status(ctx: &Ctx, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let state = attune_client::sync::SyncState::load(&store)?;
    let (changes, envelopes) = attune_client::sync::pending_counts(&store)?;
    let me = store.config().device_id.clone();
    let recovery = store
        .config()
        .recovery
        .as_ref()
        .map(|r| r.device_id.clone());
    let devices: Vec<serde_json::Value> = state
        .roster()
        .map(|r| {
            r.devices
                .iter()
                .map(|d| {
                    let info = state.devices.get(&d.device_id).cloned().unwrap_or_default();
                    let this = d.device_id.to_string() == me;
                    serde_json::json!({
                        "device_id": d.device_id.to_string(),
                        "name": if this {
                            Some(store.config().device_name.clone())
                        } else if recovery.as_deref() == Some(d.device_id.to_string().as_str()) {
                            Some("recovery kit".to_string())
                        } else {
                            info.name
                        },
                        "fingerprint": attune_crypto::fingerprint_of(&d.age_recipient, &d.verifying_key),
                        "this_device": this,
                        "recovery_kit": recovery.as_deref() == Some(d.device_id.to_string().as_str()),
                        "added_unix": info.added_unix,
                        "last_seen_unix": info.last_seen_unix,
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
            let when = |key: &str| {
                d[key].as_i64().map(|t| {
                    cli::output::friendly(attune_core::Timestamp::new(
                        t * 1000,
                        cli::time::local_offset_minutes(),
                    ))
                })
            };
            let label = if d["this_device"] == true {
                " (this device)".to_string()
            } else if d["recovery_kit"] == true {
                " (your recovery words)".to_string()
            } else {
                String::new()
            };
            println!(
                "  {}  {:<16} {}{label}",
                &d["device_id"].as_str().unwrap_or_default()[..8],
                d["name"].as_str().unwrap_or("(name not yet known)"),
                d["fingerprint"].as_str().unwrap_or_default(),
            );
            if let Some(added) = when("added_unix") {
                let seen = when("last_seen_unix")
                    .map(|s| format!(", last heard from {s}"))
                    .unwrap_or_default();
                println!("            in the journal since {added}{seen}");
            }
        }
    }
    for p in &state.problems {
        println!("problem   {p}");
    }
    Ok(())
}

pub(crate) fn join(ctx: &Ctx, args: JoinArgs) -> Result<()> {
    let Some(action) = args.action else {
        return join_with_code(ctx, args);
    };
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
            let device = attune_client::JoiningDevice::create(
                &ctx.dir,
                InitOptions {
                    device_name,
                    passphrase,
                    work_factor: work_factor(),
                },
                relay.trim().trim_end_matches('/'),
            )?;
            let request = attune_client::sync::JoinRequest::of(&device)?;
            println!("This device's fingerprint: {}", request.fingerprint());
            println!("On a device that already has the journal, run:\n");
            println!("  attune device add {}\n", request.encode());
            println!("then come back here and run `attune join finish TICKET` with the ticket it prints.");
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
            let device = attune_client::JoiningDevice::open(&ctx.dir, &mut source)?;
            let rt = runtime()?;
            let ticket: attune_client::sync::JoinTicket = journal_id.parse()?;
            let (store, report) = rt.block_on(attune_client::sync::finish_join(device, &ticket))?;
            println!(
                "This device is now part of the journal; {} entries arrived.",
                store.entry_ids()?.len()
            );
            print_report(&report);
        }
    }
    Ok(())
}

pub(crate) fn device(ctx: &Ctx, action: DeviceAction) -> Result<()> {
    match action {
        DeviceAction::Add { request } => {
            let request = attune_client::sync::JoinRequest::decode(&request)?;
            let mut store = ctx.open()?;
            let rt = runtime()?;
            println!(
                "Adding \"{}\" with fingerprint {}.",
                request.name,
                request.fingerprint()
            );
            let ticket = rt.block_on(attune_client::sync::add_device(&mut store, &request))?;
            println!("Done. On the new device run:\n\n  attune join finish {ticket}\n");
            println!(
                "Check that the new device showed the same fingerprint: {}",
                request.fingerprint()
            );
        }
        DeviceAction::Revoke { device } => {
            let mut store = ctx.open()?;
            let rt = runtime()?;
            let revoked = rt.block_on(attune_client::sync::revoke_device(&mut store, &device))?;
            println!(
                "Revoked device {}. It can no longer sync, and nothing written from now on can be read with its keys (new key epoch {}). {} device(s) remain.",
                &revoked.device.to_string()[..8],
                revoked.epoch,
                revoked.remaining
            );
            println!(
                "It keeps what it already had; if it was lost, that is what a passphrase protects."
            );
        }
        DeviceAction::Pair { yes } => {
            let mut store = ctx.open()?;
            let relay = store.config().relay.clone().unwrap_or_default();
            let rt = runtime()?;
            let request = rt.block_on(attune_client::sync::pair_device(
                &mut store,
                |offer| {
                    println!(
                        "On the new device, run:\n\n  attune join {} --relay {}\n",
                        offer.code, relay
                    );
                    if let Ok(qr) = qrcode::QrCode::new(offer.code.as_bytes()) {
                        println!(
                            "{}",
                            qr.render::<qrcode::render::unicode::Dense1x2>()
                                .quiet_zone(true)
                                .build()
                        );
                    }
                    println!("The code works once, for five minutes. Waiting for the new device…");
                },
                |request| {
                    println!(
                        "\"{}\" wants to join, with fingerprint {}.",
                        request.name,
                        request.fingerprint()
                    );
                    if yes {
                        return true;
                    }
                    if !interactive() {
                        println!("Not added: confirm at a terminal, or pass --yes.");
                        return false;
                    }
                    print!("Add it? Check that the new device shows the same fingerprint. [y/N] ");
                    let _ = std::io::Write::flush(&mut std::io::stdout());
                    let mut answer = String::new();
                    let _ = std::io::stdin().read_line(&mut answer);
                    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
                },
            ))?;
            println!(
                "Added \"{}\". It is fetching the journal now.",
                request.name
            );
        }
        DeviceAction::List { json } => status(ctx, json)?,
        DeviceAction::Rename { name } => {
            let name = name.trim().to_string();
            if name.is_empty() {
                bail!("give the new name, for example `attune device rename \"old laptop\"`");
            }
            let mut store = ctx.open()?;
            store.update_config(|c| c.device_name = name.clone())?;
            store.queue_announcement()?;
            println!("This device is now called \"{name}\"; the others learn it at the next sync.");
        }
    }
    Ok(())
}

pub(crate) fn recover(
    ctx: &Ctx,
    relay: &str,
    words_file: Option<&std::path::Path>,
    name: Option<String>,
    no_passphrase: bool,
) -> Result<()> {
    if Store::exists(&ctx.dir) {
        bail!(
            "{} already holds a journal; recover into an empty directory with --dir PATH",
            ctx.dir.display()
        );
    }
    let words = match words_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the recovery words from {}", path.display()))?,
        None if interactive() => {
            println!("Type your 24 recovery words (on one or several lines), then an empty line:");
            let mut words = String::new();
            let stdin = std::io::stdin();
            loop {
                let mut line = String::new();
                if stdin.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    break;
                }
                words.push_str(&line);
                words.push(' ');
            }
            words
        }
        None => bail!("give the recovery words with --words-file FILE"),
    };
    // Check the words before asking anything else.
    attune_crypto::RecoverySecret::from_words(&words)?;
    let passphrase = if no_passphrase {
        None
    } else {
        ctx.new_passphrase(None)?
    };
    let device_name = name
        .unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "recovered device".into()));
    let rt = runtime()?;
    let (store, report) = rt.block_on(attune_client::sync::recover(
        &ctx.dir,
        &words,
        relay.trim().trim_end_matches('/'),
        InitOptions {
            device_name,
            passphrase,
            work_factor: work_factor(),
        },
    ))?;
    println!(
        "Your journal is back in {}: {} entries. This is now a device of the journal.",
        ctx.dir.display(),
        store.entry_ids()?.len()
    );
    print_report(&report);
    println!("If a lost device may be in someone else's hands, revoke it: `attune device list`, then `attune device revoke ID`.");
    Ok(())
}

fn join_with_code(ctx: &Ctx, args: JoinArgs) -> Result<()> {
    let Some(relay) = args.relay else {
        bail!("give the relay address: attune join CODE --relay URL");
    };
    let code = match args.code {
        Some(c) => c,
        None if interactive() => {
            print!("Pairing code shown on the other device: ");
            let _ = std::io::Write::flush(&mut std::io::stdout());
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim().to_string()
        }
        None => bail!("give the pairing code: attune join CODE --relay URL"),
    };
    attune_crypto::parse_pairing_code(&code)?;
    if Store::exists(&ctx.dir) {
        bail!(
            "{} already holds a journal; join from an empty directory (--dir PATH)",
            ctx.dir.display()
        );
    }
    let passphrase = if args.no_passphrase {
        None
    } else {
        ctx.new_passphrase(None)?
    };
    let device_name = args
        .name
        .unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "new device".into()));
    let rt = runtime()?;
    let (store, report) = rt.block_on(attune_client::sync::join_with_code(
        &ctx.dir,
        &code,
        relay.trim().trim_end_matches('/'),
        InitOptions {
            device_name,
            passphrase,
            work_factor: work_factor(),
        },
        |fingerprint| {
            println!(
                "Code accepted. This device's fingerprint: {fingerprint}. Waiting to be added…"
            )
        },
    ))?;
    println!(
        "This device is now part of the journal; {} entries arrived.",
        store.entry_ids()?.len()
    );
    print_report(&report);
    Ok(())
}
