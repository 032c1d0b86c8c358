//! `attune-bench journal`: a realistic 10-year journal, sharded store vs one document.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use attune_client::{Store, StoreError};
use attune_core::{Edit, EntryKind, NewEntry, Query, Timestamp};
use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ReadDoc, Value, ROOT};

use crate::{median, print_figure, Rng};

use crate::generate::{generate, sentence, spacing_ms, today_ms, DAY_MS, START_MS};

fn no_passphrase() -> impl FnMut() -> Result<secrecy::SecretString, StoreError> {
    || Err(StoreError::PassphraseRequired)
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Run the journal benchmark and print its figures.
pub fn run(entries: usize, text_mb: f64, reps: usize) -> Result<()> {
    let started = Instant::now();
    let generated = generate(
        entries,
        (text_mb * 1_000_000.0) as usize,
        b"bench-device-001",
    )?;
    print_figure("journal_entries", entries as f64, "entries");
    print_figure("journal_text", generated.text_bytes as f64 / 1e6, "MB");
    print_figure("journal_body_splices", generated.splices as f64, "splices");
    print_figure("journal_generate", started.elapsed().as_secs_f64(), "s");
    let today_ms = today_ms(entries);
    let last_30 = Query {
        from_ms: Some(today_ms - 30 * DAY_MS),
        ..Default::default()
    };

    // Sharded store: one document per entry plus sealed month views.
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("journal");
    generated.write_journal(&dir)?;
    let sample_id = generated.docs[entries / 2].id();
    let recent_id = generated.docs[entries - 1].id();
    drop(generated);

    let mut open_30 = Vec::new();
    let mut open_all = Vec::new();
    let mut search = Vec::new();
    let mut open_search = Vec::new();
    let mut add = Vec::new();
    let mut edit = Vec::new();
    let mut listed = (0, 0, 0);
    for rep in 0..reps {
        let t = Instant::now();
        let mut store = Store::open(&dir, &mut no_passphrase())?;
        listed.0 = store.list(&last_30)?.len();
        open_30.push(ms(t.elapsed()));
        drop(store);

        let t = Instant::now();
        let mut store = Store::open(&dir, &mut no_passphrase())?;
        listed.1 = store.list(&Query::default())?.len();
        open_all.push(ms(t.elapsed()));

        if rep == 0 {
            let all = store.list(&Query::default())?;
            crate::insights::run(&all, Timestamp::new(today_ms, 60), reps)?;
        }

        let t = Instant::now();
        listed.2 = store.search("lighthouse", &Query::default())?.len();
        search.push(ms(t.elapsed()));
        drop(store);

        let t = Instant::now();
        let mut store = Store::open(&dir, &mut no_passphrase())?;
        store.search("therapist gentle", &Query::default())?;
        open_search.push(ms(t.elapsed()));
        drop(store);

        // Add and edit, each on a freshly opened journal as the CLI does (open not counted).
        let mut store = Store::open(&dir, &mut no_passphrase())?;
        let now = Timestamp::new(today_ms + rep as i64 * 1000, 60);
        let t = Instant::now();
        let new = NewEntry {
            kind: Some(EntryKind::MicroWin),
            body: "I paused before answering.".into(),
            ..Default::default()
        };
        store.create(now, new)?;
        add.push(ms(t.elapsed()));
        drop(store);

        let mut store = Store::open(&dir, &mut no_passphrase())?;
        let t = Instant::now();
        store.edit(
            sample_id,
            now,
            &[Edit::SpliceBody {
                pos: 0,
                delete: 0,
                insert: "Looking back: ".into(),
            }],
        )?;
        edit.push(ms(t.elapsed()));
        drop(store);
    }
    let _ = recent_id;
    print_figure("journal_open_list_30d", median(&mut open_30), "ms");
    print_figure("journal_open_list_30d_count", listed.0 as f64, "entries");
    print_figure("journal_open_list_all", median(&mut open_all), "ms");
    print_figure("journal_open_list_all_count", listed.1 as f64, "entries");
    print_figure("journal_add_entry_durable", median(&mut add), "ms");
    print_figure("journal_edit_body_durable", median(&mut edit), "ms");
    print_figure("journal_search_word", median(&mut search), "ms");
    print_figure("journal_search_word_hits", listed.2 as f64, "entries");
    print_figure("journal_open_search", median(&mut open_search), "ms");
    print_figure("journal_disk", dir_size(&dir) as f64 / 1e6, "MB");
    let since = time::OffsetDateTime::from_unix_timestamp((today_ms - 30 * DAY_MS) / 1000)?;
    if let Some(keep) = std::env::var_os("ATTUNE_BENCH_KEEP") {
        // For profiling: a copy of the generated journal, kept.
        crate::unlock::copy_dir(&dir, Path::new(&keep))?;
    }
    // Leaving and arriving: export, import, backup, restore.
    crate::portability::run(&dir)?;
    // Whole processes, as at the command line.
    crate::process::run(&dir, &since.date().to_string(), reps)?;
    // The same journal with a passphrase, through the real binary: unlock once, then list.
    crate::unlock::run(&dir, &since.date().to_string(), reps)?;
    // Pasted text: one entry of 1 MiB, then of 5 MiB, into the same journal.
    let pasted_at = today_ms + DAY_MS / 2;
    crate::large_write::run(&dir, 1, reps, pasted_at, &mut no_passphrase())?;
    crate::large_write::run(&dir, 5, reps.min(3), pasted_at, &mut no_passphrase())?;

    if entries <= BASELINE_MAX_ENTRIES {
        baseline(entries, text_mb, reps, today_ms)?;
    } else {
        eprintln!(
            "(the one-document baseline is measured up to {BASELINE_MAX_ENTRIES} entries only)"
        );
    }
    Ok(())
}

/// Beyond this many entries the one-document baseline takes minutes to build.
const BASELINE_MAX_ENTRIES: usize = 10_000;

/// The one-document layout: every entry in a single Automerge document.
fn baseline(entries: usize, text_mb: f64, reps: usize, today_ms: i64) -> Result<()> {
    let mut rng = Rng(0x5eed_a77e);
    let per_entry = (text_mb * 1_000_000.0) as usize / entries;
    let mut doc = Automerge::new();
    let list_root = {
        let mut tx = doc.transaction();
        let m = tx.put_object(ROOT, "entries", ObjType::Map)?;
        tx.commit();
        m
    };
    for i in 0..entries {
        let created = START_MS + i as i64 * spacing_ms(entries);
        let mut tx = doc.transaction();
        let e = tx.put_object(&list_root, format!("{i:08x}"), ObjType::Map)?;
        tx.put(&e, "kind", EntryKind::ALL[i % EntryKind::ALL.len()].code())?;
        tx.put(&e, "created", created)?;
        let body = tx.put_object(&e, "body", ObjType::Text)?;
        tx.commit();
        let mut text = String::new();
        while text.len() < per_entry {
            let n = 6 + (rng.next_u64() % 12) as usize;
            text.push_str(&sentence(&mut rng, n));
        }
        let words: Vec<&str> = text.split_inclusive(' ').collect();
        let mut pos = 0;
        for chunk in words.chunks(words.len().div_ceil(3).max(1)) {
            let mut tx = doc.transaction();
            for w in chunk {
                tx.splice_text(&body, pos, 0, w)?;
                pos += w.chars().count();
            }
            tx.commit();
        }
    }
    let tmp = tempfile::tempdir()?;
    let path = tmp.path().join("journal.automerge");
    std::fs::write(&path, doc.save())?;
    drop(doc);

    let read_entries = |doc: &Automerge, from: i64| -> Result<usize> {
        let (_, entries_obj) = doc.get(ROOT, "entries")?.context("entries map")?;
        let mut n = 0;
        for key in doc.keys(&entries_obj) {
            let Some((_, e)) = doc.get(&entries_obj, key.as_str())? else {
                continue;
            };
            let created = match doc.get(&e, "created")? {
                Some((Value::Scalar(s), _)) => s.as_i64().unwrap_or(0),
                _ => 0,
            };
            if created >= from {
                if let Some((_, body)) = doc.get(&e, "body")? {
                    let _ = doc.text(&body)?;
                }
                n += 1;
            }
        }
        Ok(n)
    };
    let mut open_30 = Vec::new();
    let mut open_all = Vec::new();
    let mut search = Vec::new();
    let mut add = Vec::new();
    for rep in 0..reps.min(3) {
        let t = Instant::now();
        let doc = Automerge::load(&std::fs::read(&path)?)?;
        read_entries(&doc, today_ms - 30 * DAY_MS)?;
        open_30.push(ms(t.elapsed()));
        drop(doc);

        let t = Instant::now();
        let mut doc = Automerge::load(&std::fs::read(&path)?)?;
        read_entries(&doc, 0)?;
        open_all.push(ms(t.elapsed()));

        let t = Instant::now();
        let (_, entries_obj) = doc.get(ROOT, "entries")?.context("entries map")?;
        let mut hits = 0;
        for key in doc.keys(&entries_obj) {
            if let Some((_, e)) = doc.get(&entries_obj, key.as_str())? {
                if let Some((_, body)) = doc.get(&e, "body")? {
                    hits += usize::from(doc.text(&body)?.to_lowercase().contains("lighthouse"));
                }
            }
        }
        search.push(ms(t.elapsed()));
        let _ = hits;

        // Adding durably means saving the whole document again.
        let t = Instant::now();
        let mut tx = doc.transaction();
        let e = tx.put_object(&entries_obj, format!("new{rep}"), ObjType::Map)?;
        tx.put(&e, "created", today_ms)?;
        let body = tx.put_object(&e, "body", ObjType::Text)?;
        tx.splice_text(&body, 0, 0, "I paused before answering.")?;
        tx.commit();
        let bytes = doc.save();
        let tmp_path = path.with_extension("tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp_path)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp_path, &path)?;
        add.push(ms(t.elapsed()));
    }
    print_figure("baseline_one_doc_open_list_30d", median(&mut open_30), "ms");
    print_figure(
        "baseline_one_doc_open_list_all",
        median(&mut open_all),
        "ms",
    );
    print_figure("baseline_one_doc_add_entry_durable", median(&mut add), "ms");
    print_figure("baseline_one_doc_search_word", median(&mut search), "ms");
    print_figure(
        "baseline_one_doc_disk",
        std::fs::metadata(&path)?.len() as f64 / 1e6,
        "MB",
    );
    Ok(())
}
