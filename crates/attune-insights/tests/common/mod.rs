//! A fixed small journal: four months of a made-up writer, and helpers to build entries.

#![allow(dead_code)]

use attune_core::schema::{Answer, Setting, Technique, WinType};
use attune_core::{Entry, EntryId, EntryKind, FieldValue, Timestamp};

/// 2026-12-03 12:00 in UTC+1: "now" for the fixed journal.
pub const NOW: Timestamp = Timestamp {
    unix_ms: 1_796_295_600_000,
    offset_minutes: 60,
};
pub const DAY: i64 = 86_400_000;

/// One entry of `kind` at `unix_ms` (offset UTC+1), with `fields`.
pub fn entry(
    n: u32,
    kind: EntryKind,
    unix_ms: i64,
    offset: i16,
    people: &[&str],
    steadiness: Option<u8>,
    fields: Vec<(&str, FieldValue)>,
) -> Entry {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    let at = Timestamp::new(unix_ms, offset);
    Entry {
        id: EntryId(id),
        kind,
        schema_version: 1,
        created: at,
        edited: at,
        body: String::new(),
        notes: String::new(),
        tags: Default::default(),
        people: people.iter().map(|p| p.to_string()).collect(),
        steadiness,
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        deleted: false,
    }
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.to_string())
}

/// The fixed journal: 120 days up to yesterday, and two entries of a year ago today.
pub fn fixture() -> Vec<Entry> {
    let mut out = Vec::new();
    let mut n = 0u32;
    let next = |out: &mut Vec<Entry>, e: Entry| {
        out.push(e);
    };
    let mut id = || {
        n += 1;
        n
    };
    let mut seed: u64 = 7;
    let mut rand = move |m: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    let people = ["Ana", "Sam", "Jo"];
    let settings = [
        Setting::OneOnOne,
        Setting::Work,
        Setting::SmallGathering,
        Setting::Online,
    ];
    let techniques = [
        Technique::Breathing,
        Technique::Senses54321,
        Technique::Surroundings,
    ];
    let differently = [
        "asked a question back",
        "Asked questions back",
        "paused before answering",
        "named how I felt",
        "stayed curious",
    ];
    let helped = ["a walk", "calling Ana", "Walks", "breathing slowly"];
    let start = NOW.unix_ms - 120 * DAY;
    for d in 0..120i64 {
        let morning = start + d * DAY - 3 * 3_600_000;
        let sleep = 5.0 + rand(5) as f64;
        let steady = if sleep >= 7.0 { 4 } else { 3 } - u8::from(rand(4) == 0);
        next(
            &mut out,
            entry(
                id(),
                EntryKind::CheckIn,
                morning,
                60,
                &[],
                Some(steady),
                vec![
                    ("sleep-hours", FieldValue::Real(sleep)),
                    (
                        "regular-meals",
                        FieldValue::Answer(if rand(3) == 0 {
                            Answer::No
                        } else {
                            Answer::Yes
                        }),
                    ),
                    ("movement-minutes", FieldValue::Int(rand(60) as i64)),
                    ("mindfulness-minutes", FieldValue::Int(rand(20) as i64)),
                ],
            ),
        );
        if d % 2 == 0 {
            let c = (if sleep >= 7.0 { 4 } else { 3 } + rand(3) as i64 - 1).clamp(1, 5);
            let mut fields = vec![
                ("setting", FieldValue::Setting(settings[rand(4) as usize])),
                ("connection", FieldValue::Int(c)),
            ];
            if c >= 4 {
                fields.push(("did-differently", text(differently[rand(5) as usize])));
            }
            next(
                &mut out,
                entry(
                    id(),
                    EntryKind::Conversation,
                    morning + 8 * 3_600_000,
                    60,
                    &[people[rand(3) as usize]],
                    Some(steady),
                    fields,
                ),
            );
        }
        if d % 9 == 4 {
            next(
                &mut out,
                entry(
                    id(),
                    EntryKind::Setback,
                    morning + 10 * 3_600_000,
                    60,
                    &[],
                    Some(2),
                    vec![
                        ("what-happened", text("a hard evening")),
                        ("what-helped", text(helped[rand(4) as usize])),
                        (
                            "minutes-to-steady",
                            FieldValue::Int(180 - d + rand(30) as i64),
                        ),
                    ],
                ),
            );
        }
        if d % 5 == 1 {
            let before = 5 + rand(4) as i64;
            next(
                &mut out,
                entry(
                    id(),
                    EntryKind::Grounding,
                    morning + 9 * 3_600_000,
                    60,
                    &[],
                    None,
                    vec![
                        (
                            "technique",
                            FieldValue::Technique(techniques[rand(3) as usize]),
                        ),
                        ("distress-before", FieldValue::Int(before)),
                        (
                            "distress-after",
                            FieldValue::Int(before - 1 - rand(4) as i64),
                        ),
                    ],
                ),
            );
        }
        if d % 7 == 3 {
            next(
                &mut out,
                entry(
                    id(),
                    EntryKind::MicroWin,
                    morning + 11 * 3_600_000,
                    60,
                    &[],
                    Some(4),
                    vec![
                        ("win-type", FieldValue::WinType(WinType::Paused)),
                        ("what-i-did", text("paused before answering")),
                    ],
                ),
            );
        }
        if d % 15 == 2 {
            next(
                &mut out,
                entry(
                    id(),
                    EntryKind::Reframe,
                    morning + 12 * 3_600_000,
                    60,
                    &[],
                    Some(3),
                    vec![
                        ("charge-before", FieldValue::Int(8 - d / 40)),
                        ("charge-after", FieldValue::Int(5 - d / 40)),
                    ],
                ),
            );
        }
    }
    // A year ago today: a note, and a setback that stays hidden unless asked.
    let year_ago = NOW.unix_ms - 365 * DAY;
    let mut note = entry(id(), EntryKind::Note, year_ago, 60, &[], Some(3), vec![]);
    note.body = "First snow, tea with my sister.".into();
    next(&mut out, note);
    next(
        &mut out,
        entry(
            id(),
            EntryKind::Setback,
            year_ago + 3_600_000,
            60,
            &[],
            Some(2),
            vec![("what-happened", text("a hard call"))],
        ),
    );
    out
}
