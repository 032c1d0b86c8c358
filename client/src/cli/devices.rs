//! `attune join`, `attune device …` and `attune recover`: the devices of a journal.

use anyhow::{bail, Context, Result};
use attune_client::{InitOptions, Store, StoreError};
use secrecy::SecretString;

use crate::cli::args::{DeviceAction, JoinAction, JoinArgs};
use crate::cli::safe;
use crate::cli::sync::{print_report, runtime, status};
use crate::{interactive, read_passphrase_file, work_factor, Ctx};

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
            let device_name = name.unwrap_or_else(|| {
                std::env::var("HOSTNAME").unwrap_or_else(|_| "new device".into())
            });
            let passphrase = if no_passphrase {
                None
            } else {
                ctx.new_passphrase(None, &device_name)?
            };
            let device = attune_client::JoiningDevice::create(
                &ctx.dir,
                InitOptions {
                    device_name,
                    work_factor: passphrase.as_ref().and_then(|_| work_factor()),
                    passphrase,
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
                safe::line(&request.name),
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
            let store = ctx.open()?;
            let relay = store.config().relay.clone().unwrap_or_default();
            let identity = store.identity().clone();
            drop(store);
            let mut open = || Store::open_with_identity(&ctx.dir, identity.clone());
            let rt = runtime()?;
            let request = rt.block_on(attune_client::sync::pair_device(
                &mut open,
                |offer| {
                    println!(
                        "On the new device, run:\n\n  attune join {} --relay {}\n",
                        offer.code,
                        safe::line(&relay)
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
                        safe::line(&request.name),
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
                safe::line(&request.name)
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
            println!(
                "This device is now called \"{}\"; the others learn it at the next sync.",
                safe::line(&name)
            );
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
    let device_name = name
        .unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "recovered device".into()));
    let passphrase = if no_passphrase {
        None
    } else {
        ctx.new_passphrase(None, &device_name)?
    };
    let rt = runtime()?;
    let (store, report) = rt.block_on(attune_client::sync::recover(
        &ctx.dir,
        &words,
        relay.trim().trim_end_matches('/'),
        InitOptions {
            device_name,
            work_factor: passphrase.as_ref().and_then(|_| work_factor()),
            passphrase,
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
    let device_name = args
        .name
        .unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "new device".into()));
    let passphrase = if args.no_passphrase {
        None
    } else {
        ctx.new_passphrase(None, &device_name)?
    };
    let rt = runtime()?;
    let (store, report) = rt.block_on(attune_client::sync::join_with_code(
        &ctx.dir,
        &code,
        relay.trim().trim_end_matches('/'),
        InitOptions {
            device_name,
            work_factor: passphrase.as_ref().and_then(|_| work_factor()),
            passphrase,
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

/// `attune recovery rotate`: new words, the old kit removed under a new key epoch.
pub(crate) fn rotate_recovery(ctx: &Ctx) -> Result<()> {
    let rt = runtime()?;
    let mut store = ctx.open()?;
    let rotated = rt.block_on(attune_client::sync::rotate_recovery(&mut store))?;
    println!(
        "New recovery words issued. The old words' device ({}) was removed from the journal \
         under key epoch {}: they restore nothing written from now on.",
        &rotated.old_kit.to_string()[..8],
        rotated.epoch
    );
    crate::cli::output::print_recovery_words(&rotated.words);
    println!("(this journal is on a relay already). Anyone holding them can read the journal.");
    Ok(())
}
