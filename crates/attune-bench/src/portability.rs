//! Leaving and arriving with the generated journal: JSON export, importing
//! it into an empty journal, and an age backup created and restored.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use attune_client::portable::export::{json_document, select, write_json, Selection};
use attune_client::portable::{backup, import, restore};
use attune_client::{InitOptions, Store, StoreError};
use attune_core::{Query, Timestamp};

use crate::print_figure;

fn open(dir: &Path) -> Result<Store> {
    Ok(Store::open(dir, &mut || {
        Err(StoreError::PassphraseRequired)
    })?)
}

fn fresh(dir: &Path) -> Result<Store> {
    Ok(Store::init(
        dir,
        InitOptions {
            device_name: "bench-restore".into(),
            ..Default::default()
        },
    )?)
}

/// Export, import, backup and restore the journal in `dir`; one `name: value unit` line each.
pub fn run(dir: &Path) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let now = Timestamp::new(attune_client::store::now_ms(), 0);
    let export = tmp.path().join("export.json");
    let mut store = open(dir)?;

    let started = Instant::now();
    let selection = Selection {
        include_deleted: true,
        ..Selection::default()
    };
    let entries = select(&mut store, &selection)?;
    let document = json_document(&store, now, &entries, true)?;
    write_json(&store, &export, &document)?;
    print_figure("journal_export_json", started.elapsed().as_secs_f64(), "s");
    print_figure(
        "journal_export_json_size",
        std::fs::metadata(&export)?.len() as f64 / 1e6,
        "MB",
    );
    drop(document);

    let started = Instant::now();
    let mut imported = fresh(&tmp.path().join("imported"))?;
    let parsed = import::attune::parse("export.json", &std::fs::read(&export)?)?;
    let summary = import::apply(&mut imported, "export.json", parsed, &mut |_| {})?;
    print_figure("journal_import_json", started.elapsed().as_secs_f64(), "s");
    print_figure("journal_import_json_new", summary.new as f64, "entries");
    // The round trip loses nothing: every entry reads back the same.
    let everything = |store: &mut Store| -> Result<Vec<attune_core::Entry>> {
        let mut all = store.list(&Query::default())?;
        all.extend(store.list(&Query {
            deleted: true,
            ..Query::default()
        })?);
        Ok(all)
    };
    let (original, back) = (everything(&mut store)?, everything(&mut imported)?);
    anyhow::ensure!(
        original.len() == back.len(),
        "the imported journal has {} entries, the exported one {}",
        back.len(),
        original.len()
    );
    if let Some((a, b)) = original.iter().zip(&back).find(|(a, b)| a != b) {
        let differs: Vec<&str> = [
            ("id", a.id != b.id),
            ("kind", a.kind != b.kind),
            ("schema_version", a.schema_version != b.schema_version),
            ("created", a.created != b.created),
            ("edited", a.edited != b.edited),
            ("body", a.body != b.body),
            ("notes", a.notes != b.notes),
            ("tags", a.tags != b.tags),
            ("people", a.people != b.people),
            ("steadiness", a.steadiness != b.steadiness),
            ("fields", a.fields != b.fields),
            ("deleted", a.deleted != b.deleted),
        ]
        .into_iter()
        .filter_map(|(name, differ)| differ.then_some(name))
        .collect();
        anyhow::bail!(
            "entry {} differs after the round trip in {differs:?}: {:?} / {:?} / {:?} vs {:?} / {:?} / {:?}",
            a.id, a.created, a.edited, a.fields, b.created, b.edited, b.fields
        );
    }
    print_figure(
        "journal_import_json_equal",
        original.len() as f64,
        "entries",
    );
    drop(imported);

    let file = tmp.path().join("journal.age");
    let started = Instant::now();
    let created = backup::create(&mut store, now, &file)?;
    print_figure(
        "journal_backup_create",
        started.elapsed().as_secs_f64(),
        "s",
    );
    print_figure("journal_backup_size", created.bytes as f64 / 1e6, "MB");

    let started = Instant::now();
    let keys = [store.identity().age_identity().clone()];
    drop(store);
    let opened = restore::open(&file, &std::fs::read(&file)?, &keys)?;
    let mut restored = fresh(&tmp.path().join("restored"))?;
    let done = restore::restore(&mut restored, opened)?;
    print_figure(
        "journal_backup_restore",
        started.elapsed().as_secs_f64(),
        "s",
    );
    print_figure("journal_backup_restore_new", done.new as f64, "entries");
    Ok(())
}
