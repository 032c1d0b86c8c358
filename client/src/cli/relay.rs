//! The relay verbs: `attune relay set` (and moving to another relay) and `attune relay reseed`.

use anyhow::{bail, Result};
use attune_client::sync::{RelayChange, SyncState};

use crate::cli::args::RelayAction;
use crate::cli::safe;
use crate::cli::sync::{print_report, report_json, runtime};
use crate::Ctx;

/// `attune relay …`.
pub(crate) fn relay(ctx: &Ctx, action: RelayAction) -> Result<()> {
    match action {
        RelayAction::Set {
            url,
            invite,
            restored,
            reseed,
        } => set(ctx, &url, invite.as_deref(), restored, reseed),
        RelayAction::Reseed { json } => reseed_here(ctx, json),
    }
}

fn set(ctx: &Ctx, url: &str, invite: Option<&str>, restored: bool, reseed: bool) -> Result<()> {
    let url = url.trim().trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("{url:?} is not a relay address; it should start with http:// or https://");
    }
    let mut store = ctx.open()?;
    let before = store.config().relay.clone();
    if let Some(invite) = invite {
        attune_client::sync::set_invite(&store, invite)?;
    }
    let rt = runtime()?;
    let change = rt.block_on(attune_client::sync::change_relay(
        &mut store, &url, restored,
    ))?;
    let shown = safe::line(&url);
    match change {
        RelayChange::Kept => {
            let state = SyncState::load(&store)?;
            if before.is_none() && state.next_seq == 1 && !store.config().joined {
                let n = store.queue_history_for_sync()?;
                if n > 0 {
                    println!("Your {n} saved change(s) will be sent, sealed, at the next sync.");
                }
            }
            println!(
                "This journal syncs through {shown}. Run `attune sync` (or `attune sync --watch`)."
            );
        }
        RelayChange::Moved { holds_journal } => {
            println!(
                "This journal now syncs through {shown}. The next sync starts from that relay's \
                 beginning and sends this device's changes again; your devices' list and keys \
                 stay as this device verified them."
            );
            drop(store);
            if holds_journal {
                println!("The relay holds this journal. Run `attune sync`.");
            } else if reseed || offer_reseed(ctx)? {
                if reseed {
                    reseed_here(ctx, false)?;
                }
            } else {
                println!(
                    "The relay does not hold this journal yet. If it is new, or lost its data, \
                     give it this device's copy with `attune relay reseed`, then run \
                     `attune relay set {shown}` on your other devices."
                );
            }
        }
    }
    Ok(())
}

fn reseed_here(ctx: &Ctx, json: bool) -> Result<()> {
    let rt = runtime()?;
    let mut store = ctx.open()?;
    let report = rt.block_on(attune_client::sync::reseed(&mut store))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
        return Ok(());
    }
    println!(
        "Re-seeded the relay from this device: its device list, keys, this device's changes{}.",
        if report.snapshot_taken.is_some() {
            " and a snapshot for new devices"
        } else {
            ""
        }
    );
    print_report(&report);
    println!(
        "On each other device: `attune relay set URL` (add `--restored` if the address did not change), then `attune sync`."
    );
    Ok(())
}

/// At a terminal, offers to re-seed the relay that does not hold this
/// journal; returns whether it did. Elsewhere (scripts) it only returns false.
pub(crate) fn offer_reseed(ctx: &Ctx) -> Result<bool> {
    if !crate::interactive() {
        return Ok(false);
    }
    print!(
        "The relay does not hold this journal. If it is new or lost its data, give it this \
         device's copy now? [y/N] "
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        return Ok(false);
    }
    reseed_here(ctx, false)?;
    Ok(true)
}
