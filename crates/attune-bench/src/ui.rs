//! `attune ui` in a real browser (Debian's chromium, via
//! `tests/browser/bench.mjs`) on the ten-year journal: the first page load
//! (target < 200 ms) and the timeline's first page (target < 100 ms).

use std::time::Instant;

use anyhow::{bail, Result};

use crate::generate::generate;
use crate::print_figure;

/// Print the `ui_*` figures for a journal of `entries` entries.
pub fn run(entries: usize, text_mb: f64, reps: usize) -> Result<()> {
    let Some(browser) = attune_testkit::browser() else {
        bail!("no browser: tests/browser/setup.sh could not install chromium");
    };
    let started = Instant::now();
    let generated = generate(
        entries,
        (text_mb * 1_000_000.0) as usize,
        b"bench-device-001",
    )?;
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("journal");
    generated.write_journal(&dir)?;
    drop(generated);
    print_figure("ui_journal_entries", entries as f64, "entries");
    print_figure("ui_generate", started.elapsed().as_secs_f64(), "s");
    let device = attune_testkit::Device::new(dir);
    let server = device.ui(&["--no-sync", "--idle-lock", "0"]);
    let out = browser.run(
        "bench.mjs",
        &[
            ("ATTUNE_UI_URL", server.opening_url.clone()),
            ("REPS", reps.to_string()),
        ],
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}
