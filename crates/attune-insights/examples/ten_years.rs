//! How long every insight and every plot take over a generated ten-year journal.
//!
//! `cargo run --release -p attune-insights --example ten_years` prints
//! `name: value unit` lines like `attune-bench` (targets: < 50 ms and < 200 ms).

use std::time::Instant;

use attune_core::schema::{Setting, Technique};
use attune_core::{Entry, EntryId, EntryKind, FieldValue, Timestamp};
use attune_insights::plot::data::PlotData;
use attune_insights::plot::svg::{render, SvgOptions};
use attune_insights::plot::terminal::{self, Style};
use attune_insights::plot::Plot;
use attune_insights::{insights, Journal, Options};

const DAY: i64 = 86_400_000;

fn entry(n: usize, kind: EntryKind, ms: i64, fields: Vec<(&str, FieldValue)>) -> Entry {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(n as u64).to_be_bytes());
    let at = Timestamp::new(ms, 60);
    Entry {
        id: EntryId(id),
        kind,
        schema_version: 1,
        created: at,
        edited: at,
        body: "A few words about the day.".into(),
        notes: String::new(),
        tags: Default::default(),
        people: [["Ana", "Sam", "Jo", "Lee"][n % 4].to_string()].into(),
        steadiness: Some((n % 5) as u8 + 1),
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        deleted: false,
    }
}

fn main() {
    let now = Timestamp::new(1_796_295_600_000, 60);
    let mut entries = Vec::new();
    for d in 0..3_650usize {
        let ms = now.unix_ms - (d as i64 + 1) * DAY;
        let n = entries.len();
        entries.push(entry(
            n,
            EntryKind::CheckIn,
            ms,
            vec![
                ("sleep-hours", FieldValue::Real(5.0 + (d % 4) as f64)),
                ("movement-minutes", FieldValue::Int((d % 50) as i64)),
            ],
        ));
        let n = entries.len();
        entries.push(entry(
            n,
            EntryKind::Conversation,
            ms + 3_600_000,
            vec![
                ("connection", FieldValue::Int((d % 5) as i64 + 1)),
                ("setting", FieldValue::Setting(Setting::ALL[d % 5])),
                (
                    "did-differently",
                    FieldValue::Text(["asked a question back", "paused"][d % 2].into()),
                ),
            ],
        ));
        let n = entries.len();
        let extra = match d % 4 {
            0 => entry(
                n,
                EntryKind::Grounding,
                ms + 7_200_000,
                vec![
                    ("technique", FieldValue::Technique(Technique::ALL[d % 5])),
                    ("distress-before", FieldValue::Int(7)),
                    ("distress-after", FieldValue::Int(3)),
                ],
            ),
            1 => entry(n, EntryKind::MicroWin, ms + 7_200_000, vec![]),
            2 => entry(
                n,
                EntryKind::Setback,
                ms + 7_200_000,
                vec![("minutes-to-steady", FieldValue::Int(60))],
            ),
            _ => entry(
                n,
                EntryKind::Reframe,
                ms + 7_200_000,
                vec![
                    ("charge-before", FieldValue::Int(8)),
                    ("charge-after", FieldValue::Int(4)),
                ],
            ),
        };
        entries.push(extra);
    }
    let start = Instant::now();
    let all = insights(&entries, now, &Options::default());
    let insights_ms = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    let data = PlotData::new(&Journal::new(&entries, now), &all);
    let mut bytes = 0;
    for plot in Plot::ALL {
        bytes += render(plot, &data, &SvgOptions::default()).len();
    }
    let svg_ms = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    for plot in Plot::ALL {
        bytes += terminal::render(
            plot,
            &data,
            &Style {
                width: 100,
                color: true,
            },
        )
        .len();
    }
    let terminal_ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("entries: {}", entries.len());
    println!("insights_all_10y: {insights_ms:.1} ms");
    println!("insights_svg_10y: {svg_ms:.1} ms");
    println!("insights_terminal_10y: {terminal_ms:.1} ms");
    println!("output: {bytes} bytes");
}
