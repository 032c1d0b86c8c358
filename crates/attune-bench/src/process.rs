//! Whole `attune` processes on the benchmark journal (no passphrase): what a
//! writer waits for at the command line, start to exit, and the journal's
//! footprint on disk.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::Result;

use crate::unlock::measure;
use crate::{median, print_figure};

/// Print `process_{write,list_30d,search}_ms`, `journal_disk_allocated`,
/// `journal_sealed_entries` and their ratio for the journal in `dir`.
pub fn run(dir: &Path, since: &str, reps: usize) -> Result<()> {
    let attune = attune_testkit::binary("attune");
    let tmp = tempfile::tempdir()?;
    let runtime = tmp.path();
    let figures: [(&str, Vec<&str>); 3] = [
        (
            "process_write_ms",
            vec![
                "write",
                "--kind",
                "micro-win",
                "--body",
                "I paused before answering.",
            ],
        ),
        ("process_list_30d_ms", vec!["list", "--since", since]),
        ("process_search_ms", vec!["search", "lighthouse"]),
    ];
    for (name, args) in figures {
        let mut times = Vec::new();
        for _ in 0..reps.max(1) {
            times.push(measure(&attune, dir, &args, runtime, None)?.0);
        }
        print_figure(name, median(&mut times), "ms");
    }
    let allocated = allocated_bytes(dir);
    let sealed = sealed_entry_bytes(&dir.join("entries"));
    print_figure("journal_disk_allocated", allocated as f64 / 1e6, "MB");
    print_figure("journal_sealed_entries", sealed as f64 / 1e6, "MB");
    print_figure(
        "journal_disk_vs_sealed_entries",
        allocated as f64 / sealed.max(1) as f64,
        "ratio",
    );
    Ok(())
}

/// Bytes the directory takes on disk (whole blocks, as `du` counts them).
fn allocated_bytes(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => m.blocks() * 512 + allocated_bytes(&e.path()),
                    Ok(m) => m.blocks() * 512,
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The sealed entry documents (packs and own files): the journal's content as stored.
fn sealed_entry_bytes(entries: &Path) -> u64 {
    std::fs::read_dir(entries)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
