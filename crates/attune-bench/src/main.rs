//! `attune-bench`: one subcommand per area, one `name: value unit` line per figure.

mod catchup;
mod generate;
mod insights;
mod journal;
mod large_write;
mod portability;
mod process;
mod relay;
mod sync;
mod ui;
mod unlock;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Attune's benchmarks. Figures are printed as `name: value unit`, one per line.
#[derive(Parser)]
#[command(name = "attune-bench", version)]
struct Cli {
    #[command(subcommand)]
    area: Area,
}

#[derive(Subcommand)]
enum Area {
    /// The local journal: open, list, add, edit, search on a 10-year journal, and the one-document baseline.
    Journal {
        /// Number of entries (one a day).
        #[arg(long, default_value_t = 3650)]
        entries: usize,
        /// Megabytes of body text, typed as splices.
        #[arg(long, default_value_t = 10.0)]
        text_mb: f64,
        /// Repetitions per figure (the median is printed).
        #[arg(long, default_value_t = 5)]
        reps: usize,
    },
    /// Sync: envelope crypto vs its primitives, relay intake, fan-out, A→B latency (real relay on loopback).
    Sync {
        /// Envelopes per device in the intake runs (scaled down as devices grow).
        #[arg(long, default_value_t = 500)]
        per_device: usize,
    },
    /// The relay holding thousands of idle live connections (RSS), and pushes and fan-out meanwhile; SQLite and PostgreSQL (real relay on loopback).
    Relay {
        /// Live connection counts to measure at.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        connections: Vec<usize>,
        /// Devices per journal, each with one live connection.
        #[arg(long, default_value_t = 4)]
        devices_per_journal: usize,
        /// Loopback source addresses (127.0.0.2 onwards) the connections come from.
        #[arg(long, default_value_t = 8)]
        sources: u8,
        /// Journals pushing at once while the connections are held.
        #[arg(long, default_value_t = 100)]
        pushers: usize,
        /// Envelopes (1 KiB) each pushing journal sends one per request; four times as many go ten per request.
        #[arg(long, default_value_t = 50)]
        pushes: usize,
        /// Storage backends to measure: `sqlite`, `postgres` (skipped loudly when unreachable).
        #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
        backends: Vec<relay::Backend>,
        /// Hold the connections this many seconds after measuring each count,
        /// with the relay's pid printed, to inspect it (pmap, gdb).
        #[arg(long, default_value_t = 0)]
        inspect_secs: u64,
    },
    /// A new device joining a journal of any size through the real relay
    /// (SQLite): seconds without a snapshot, whether the snapshot policy takes
    /// one by itself, seconds with one. `--entries 85000 --text-mb 3` is the
    /// many-short-entries journal.
    Catchup {
        /// Number of entries.
        #[arg(long, default_value_t = catchup::ENTRIES)]
        entries: usize,
        /// Megabytes of body text.
        #[arg(long, default_value_t = 10.0)]
        text_mb: f64,
    },
    /// The local web UI in a real browser (Debian's chromium) on the ten-year
    /// journal: first page load, the timeline's first and next pages, insights.
    Ui {
        /// Number of entries (one a day).
        #[arg(long, default_value_t = 3650)]
        entries: usize,
        /// Megabytes of body text.
        #[arg(long, default_value_t = 10.0)]
        text_mb: f64,
        /// Repetitions per figure (the median is printed).
        #[arg(long, default_value_t = 7)]
        reps: usize,
    },
    /// Run a command and print its wall time (ms) and peak RSS (KiB): the
    /// journal area measures `attune` processes through it.
    #[command(hide = true)]
    PeakRss {
        /// The program and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
}

/// Print one figure in the `name: value unit` format.
pub fn print_figure(name: &str, value: f64, unit: &str) {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        println!("{name}: {value:.0} {unit}");
    } else if value.abs() >= 100.0 {
        println!("{name}: {value:.1} {unit}");
    } else {
        println!("{name}: {value:.2} {unit}");
    }
}

/// The median of some measurements.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A small deterministic generator so every run writes the same journal.
pub struct Rng(pub u64);

impl Rng {
    /// The next pseudo-random number (xorshift64*).
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn main() -> Result<()> {
    match Cli::parse().area {
        Area::Journal {
            entries,
            text_mb,
            reps,
        } => journal::run(entries, text_mb, reps),
        Area::Sync { per_device } => sync::run(per_device),
        Area::Ui {
            entries,
            text_mb,
            reps,
        } => ui::run(entries, text_mb, reps),
        Area::Catchup { entries, text_mb } => catchup::run_sized(
            "sqlite",
            &format!("{entries}_entries"),
            &[],
            entries,
            (text_mb * 1024.0 * 1024.0) as usize,
        ),
        Area::PeakRss { command } => unlock::peak_rss(&command),
        Area::Relay {
            connections,
            devices_per_journal,
            sources,
            pushers,
            pushes,
            backends,
            inspect_secs,
        } => relay::run(&relay::Options {
            connections,
            devices_per_journal,
            sources,
            pushers,
            pushes,
            backends,
            inspect_secs,
        }),
    }
}
