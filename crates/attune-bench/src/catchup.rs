//! A new device catching up on a ten-year journal, with and without a snapshot,
//! through the real relay process and the real `attune` CLI.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use attune_testkit::{Device, Relay};

use crate::generate::generate;
use crate::print_figure;

/// Entries of the journal: ten years, one a day.
pub const ENTRIES: usize = 3650;
/// Body text in it (about the journal benchmark's).
pub const TEXT_BYTES: usize = 10 * 1024 * 1024;

/// Writes out what other processes left in the page cache (here the relay's
/// PostgreSQL shares the disk): a new device flushes its files with one
/// `syncfs`, which would otherwise also pay for the server's dirty pages,
/// something a real device, far from its relay, never does.
fn settle_disk() {
    let _ = std::process::Command::new("sync").status();
}

/// `join start` + `device add` + `join finish`; returns the seconds `join finish` took.
fn join_seconds(new: &Device, existing: &Device, relay: &Relay) -> Result<f64> {
    let ticket = existing.add_device(&new.request_join("new device", relay));
    settle_disk();
    let start = Instant::now();
    let done = new.run(&["join", "finish", &ticket]);
    let seconds = start.elapsed().as_secs_f64();
    if !done.status.success() {
        bail!(
            "join finish failed: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    Ok(seconds)
}

fn entry_count(d: &Device) -> usize {
    d.json(&["list", "--json"]).as_array().map_or(0, Vec::len)
}

/// Measures catch-up on a relay started with `relay_args` (backend selection); `label` names the backend.
pub fn run(label: &str, relay_args: &[&str]) -> Result<()> {
    run_sized(label, "10y", relay_args, ENTRIES, TEXT_BYTES)
}

/// [`run`] on a journal of `entries` entries and `text_bytes` of text; `size` names it in the figures.
///
/// The new device without a snapshot is measured with automatic snapshots
/// off ([`attune_client::sync::NO_AUTO_SNAPSHOT_VAR`]); then one ordinary
/// sync of the writer says whether the snapshot policy takes one by itself
/// (`…_auto_snapshot`: 1 or 0), and the new device with a snapshot is
/// measured after `sync --snapshot`.
pub fn run_sized(
    label: &str,
    size: &str,
    relay_args: &[&str],
    entries: usize,
    text_bytes: usize,
) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let relay = Relay::start_with(&tmp.path().join("relay"), "127.0.0.1:0", "warn", relay_args);
    let writer = Device::new(tmp.path().join("writer"));
    writer.init_with_relay("writer", &relay);
    writer.ok(&["sync"]);
    {
        let mut store = open_store(&writer)?;
        // Written by the writer's device: other devices take only changes
        // whose author is the device that sends them.
        let generated = generate(entries, text_bytes, &store.config().actor())?;
        store.insert_docs(&generated.docs)?;
        store.queue_history_for_sync()?;
    }
    writer.ok(&["sync"]);

    let fresh = |name: &str| Device::new(tmp.path().join(name));
    let without = fresh("without");
    // Child processes inherit it: no device takes a snapshot in this phase.
    std::env::set_var(attune_client::sync::NO_AUTO_SNAPSHOT_VAR, "1");
    let seconds_without = join_seconds(&without, &writer, &relay);
    std::env::remove_var(attune_client::sync::NO_AUTO_SNAPSHOT_VAR);
    let seconds_without = seconds_without?;
    check_complete(&without, entries)?;
    print_figure(
        &format!("relay_{label}_catch_up_{size}_without_snapshot"),
        seconds_without,
        "s",
    );
    let ordinary = writer.json(&["sync", "--json"]);
    print_figure(
        &format!("relay_{label}_catch_up_{size}_auto_snapshot"),
        if ordinary["snapshot_taken"].is_null() {
            0.0
        } else {
            1.0
        },
        "",
    );

    let taken = if ordinary["snapshot_taken"].is_null() {
        writer.json(&["sync", "--snapshot", "--json"])
    } else {
        ordinary
    };
    let bytes = taken["snapshot_taken"]["bytes"]
        .as_f64()
        .context("no snapshot was taken")?;
    print_figure(
        &format!("relay_{label}_snapshot_{size}_size"),
        bytes / (1024.0 * 1024.0),
        "MiB",
    );
    let with = fresh("with");
    let seconds_with = join_seconds(&with, &writer, &relay)?;
    check_complete(&with, entries)?;
    print_figure(
        &format!("relay_{label}_catch_up_{size}_with_snapshot"),
        seconds_with,
        "s",
    );
    Ok(())
}

fn check_complete(d: &Device, entries: usize) -> Result<()> {
    let n = entry_count(d);
    if n != entries {
        bail!("the new device has {n} entries, not {entries}");
    }
    Ok(())
}

/// Opens a device's journal in-process (it has no passphrase).
fn open_store(d: &Device) -> Result<attune_client::Store> {
    Ok(attune_client::Store::open(&d.dir, &mut || {
        Err(attune_client::StoreError::PassphraseRequired)
    })?)
}
