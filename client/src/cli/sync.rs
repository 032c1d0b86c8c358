//! The sync verbs: `attune sync` and `attune status`.

use std::borrow::Cow;

use anyhow::{bail, Context, Result};
use attune_client::sync::SyncReport;
use attune_client::{Store, StoreError};

use crate::cli::safe;
use crate::{cli, Ctx};

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
        eprintln!("problem: {}", safe::line(p));
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
    // Open the identity once (the agent, or the passphrase and scrypt); the watch
    // loop reopens the journal with it for each batch so that `attune write`
    // keeps working meanwhile.
    let store = ctx.open()?;
    let relay = store.config().relay.clone().unwrap_or_default();
    let identity = store.identity().clone();
    drop(store);
    let dir = ctx.dir.clone();
    let mut opener =
        move || -> Result<Store, StoreError> { Store::open_with_identity(&dir, identity.clone()) };
    println!(
        "Syncing live with {}. Press Ctrl-C to stop.",
        safe::line(&relay)
    );
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
    let out = attune_client::describe::status_json(&store)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let state = attune_client::sync::SyncState::load(&store)?;
    let (changes, envelopes) = store.pending_counts()?;
    let devices = out["devices"].as_array().cloned().unwrap_or_default();
    println!(
        "journal   {}",
        store
            .config()
            .journal_id
            .map(|j| j.to_string())
            .unwrap_or_default()
    );
    println!(
        "device    {} ({})",
        safe::line(&store.config().device_name),
        store.identity().fingerprint()
    );
    match &store.config().relay {
        Some(r) => println!("relay     {}", safe::line(r)),
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
                d["name"]
                    .as_str()
                    .map_or(Cow::Borrowed("(name not yet known)"), safe::line),
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
        println!("problem   {}", safe::line(p));
    }
    Ok(())
}
