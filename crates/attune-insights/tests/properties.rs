//! Property tests over random journals: no pattern below its threshold, every
//! shown count equals a direct recount, and no output says a word of blame.

mod common;

use attune_core::schema::{Setting, Technique};
use attune_core::{Entry, EntryKind, FieldValue};
use attune_insights::plot::data::PlotData;
use attune_insights::plot::svg::SvgOptions;
use attune_insights::plot::terminal::Style;
use attune_insights::plot::{svg, terminal, Plot};
use attune_insights::threshold::{self, round1};
use attune_insights::words::find_blame;
use attune_insights::{insights, Area, Journal, Options};
use common::{entry, DAY, NOW};
use proptest::prelude::*;
use serde_json::Value;

/// The writer's own words, drawn from a pool without blame words, so any blame
/// word in the output would be Attune's own.
const WORDS: [&str; 6] = [
    "asked a question",
    "Asked questions",
    "walked",
    "tea",
    "named it",
    "paused",
];
const PEOPLE: [&str; 4] = ["Ana", "ana", "Sam", "Jo"];

/// One random entry: kind, days ago, offset, three dice, steadiness, deleted.
type Raw = (u8, i64, i16, u8, u8, u8, u8, bool);

fn arb_entry() -> impl Strategy<Value = Raw> {
    (
        0u8..6,
        0i64..500,
        prop::sample::select(vec![-300i16, 0, 60, 330]),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        1u8..=5,
        any::<bool>(),
    )
}

fn build(raw: &[Raw]) -> Vec<Entry> {
    raw.iter()
        .enumerate()
        .map(|(i, &(kind, day, offset, a, b, c, steady, deleted))| {
            let at = NOW.unix_ms - day * DAY - i64::from(a) * 60_000;
            let word = FieldValue::Text(WORDS[usize::from(b) % WORDS.len()].to_string());
            let (k, people, fields): (EntryKind, Vec<&str>, Vec<(&str, FieldValue)>) = match kind {
                0 => (
                    EntryKind::Conversation,
                    vec![PEOPLE[usize::from(a) % 4]],
                    vec![
                        ("connection", FieldValue::Int(i64::from(c % 5) + 1)),
                        (
                            "setting",
                            FieldValue::Setting(Setting::ALL[usize::from(b) % 5]),
                        ),
                        ("did-differently", word),
                    ],
                ),
                1 => (
                    EntryKind::CheckIn,
                    vec![],
                    vec![
                        ("sleep-hours", FieldValue::Real(f64::from(c % 10) + 3.0)),
                        ("movement-minutes", FieldValue::Int(i64::from(b % 60))),
                    ],
                ),
                2 => (
                    EntryKind::Grounding,
                    vec![],
                    vec![
                        (
                            "technique",
                            FieldValue::Technique(Technique::ALL[usize::from(b) % 5]),
                        ),
                        ("distress-before", FieldValue::Int(i64::from(c % 11))),
                        ("distress-after", FieldValue::Int(i64::from(a % 11))),
                    ],
                ),
                3 => (
                    EntryKind::Setback,
                    vec![],
                    vec![
                        ("minutes-to-steady", FieldValue::Int(i64::from(c) * 7)),
                        ("what-helped", word),
                    ],
                ),
                4 => (EntryKind::MicroWin, vec![], vec![("what-i-did", word)]),
                _ => (
                    EntryKind::Reframe,
                    vec![],
                    vec![
                        ("charge-before", FieldValue::Int(i64::from(c % 11))),
                        ("charge-after", FieldValue::Int(i64::from(b % 11))),
                    ],
                ),
            };
            let mut e = entry(i as u32, k, at, offset, &people, Some(steady), fields);
            e.deleted = deleted && i % 5 == 0;
            e
        })
        .collect()
}

/// Every gated pattern in the JSON: shown only when each sample passed.
fn check_gates(v: &Value, found: &mut usize) {
    match v {
        Value::Object(map) => {
            if let (Some(Value::Bool(shown)), Some(Value::Array(samples))) =
                (map.get("shown"), map.get("samples"))
            {
                *found += 1;
                let all_pass = samples
                    .iter()
                    .all(|s| s["n"].as_u64() >= s["threshold"].as_u64());
                assert!(samples
                    .iter()
                    .all(|s| s["threshold"].as_u64() >= Some(threshold::PAIRED as u64)));
                assert_eq!(*shown, !map["pattern"].is_null());
                if *shown {
                    assert!(all_pass, "shown below its threshold: {v}");
                } else {
                    assert!(map["note"]
                        .as_str()
                        .is_some_and(|n| n.starts_with(threshold::NOT_ENOUGH)));
                }
            }
            map.values().for_each(|x| check_gates(x, found));
        }
        Value::Array(items) => items.iter().for_each(|x| check_gates(x, found)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn patterns_pass_their_thresholds_and_recount_exactly(raw in prop::collection::vec(arb_entry(), 0..160)) {
        let entries = build(&raw);
        let all = insights(&entries, NOW, &Options::default());
        let json = serde_json::to_value(&all).unwrap();
        let mut gates = 0;
        check_gates(&json, &mut gates);
        prop_assert!(gates >= 14, "the routines alone have 14 comparisons");

        let live: Vec<&Entry> = entries.iter().filter(|e| !e.deleted).collect();
        // Connection by person: a direct recount (names case-folded).
        for g in &all.connection.by_person {
            let Some(a) = &g.pattern else { continue };
            let values: Vec<f64> = live.iter()
                .filter(|e| e.kind == EntryKind::Conversation && e.people.iter().any(|p| p.eq_ignore_ascii_case(&a.label)))
                .filter_map(|e| e.fields.get("connection").and_then(FieldValue::as_int))
                .map(|c| c as f64)
                .collect();
            prop_assert_eq!(g.samples[0].n, values.len());
            prop_assert_eq!(a.mean, round1(values.iter().sum::<f64>() / values.len() as f64));
        }
        // Grounding per technique.
        for t in &all.grounding.techniques {
            let pairs: Vec<(i64, i64)> = live.iter()
                .filter(|e| e.kind == EntryKind::Grounding)
                .filter(|e| matches!(e.fields.get("technique"), Some(FieldValue::Technique(x)) if x.key() == t.technique))
                .map(|e| (e.fields["distress-before"].as_int().unwrap(), e.fields["distress-after"].as_int().unwrap()))
                .collect();
            prop_assert_eq!(t.change.samples[0].n, pairs.len());
            if let Some(c) = &t.change.pattern {
                let before = pairs.iter().map(|p| p.0 as f64).sum::<f64>() / pairs.len() as f64;
                prop_assert_eq!(c.before, round1(before));
            }
        }
        // Micro-wins per month, by the writer's own calendar.
        let total: usize = all.micro_wins.by_month.iter().map(|(_, n)| n).sum();
        prop_assert_eq!(total, live.iter().filter(|e| e.kind == EntryKind::MicroWin).count());
        for (month, n) in &all.micro_wins.by_month {
            let recount = live.iter()
                .filter(|e| e.kind == EntryKind::MicroWin && e.created.local_month() == *month)
                .count();
            prop_assert_eq!(*n, recount);
        }
        // The setback trend speaks only with six timed setbacks.
        let timed = live.iter().filter(|e| e.kind == EntryKind::Setback).count();
        prop_assert_eq!(all.setbacks.trend.shown, timed >= threshold::SETBACK_TREND);
    }

    #[test]
    fn no_output_says_a_word_of_blame(raw in prop::collection::vec(arb_entry(), 0..120), width in 20usize..140) {
        let entries = build(&raw);
        let all = insights(&entries, NOW, &Options { include_hard: true });
        let data = PlotData::new(&Journal::new(&entries, NOW), &all);
        let mut outputs: Vec<String> = Area::ALL.iter().flat_map(|a| all.lines(*a)).collect();
        outputs.push(serde_json::to_string(&all).unwrap());
        for plot in Plot::ALL {
            outputs.push(terminal::render(plot, &data, &Style { width, color: false }));
            outputs.push(svg::render(plot, &data, &SvgOptions::default()));
        }
        for text in &outputs {
            prop_assert_eq!(find_blame(text), None, "{}", text);
        }
    }
}

#[test]
fn the_fixed_journal_says_no_word_of_blame_in_colour_either() {
    let entries = common::fixture();
    let all = insights(&entries, NOW, &Options::default());
    let data = PlotData::new(&Journal::new(&entries, NOW), &all);
    for plot in Plot::ALL {
        let text = terminal::render(
            plot,
            &data,
            &Style {
                width: 100,
                color: true,
            },
        );
        assert_eq!(find_blame(&terminal::strip_ansi(&text)), None);
        assert_eq!(
            terminal::strip_ansi(&text),
            terminal::render(
                plot,
                &data,
                &Style {
                    width: 100,
                    color: false
                }
            ),
            "colour only repeats the glyphs"
        );
    }
}

#[test]
fn weekly_bars_fit_whatever_the_counts_and_width() {
    use attune_insights::day::Day;
    use attune_insights::plot::data::WeekBar;
    let week = |c, i, o| WeekBar {
        start: Day(20_000),
        connected: c,
        in_between: i,
        out_of_sync: o,
    };
    let data = PlotData {
        today: Day(20_003),
        calendar: vec![],
        weeks: vec![week(1, 1, 1), week(0, 0, 0), week(7, 0, 1), week(2, 5, 3)],
        people: vec![],
        settings: vec![],
        cells: vec![],
        timeline: vec![],
        grounding: vec![],
    };
    for width in [0, 10, 40, 56, 57, 80, 200] {
        let text = terminal::render(
            Plot::Weekly,
            &data,
            &Style {
                width,
                color: false,
            },
        );
        assert!(
            text.contains("1 connected · 1 in between · 1 out of sync"),
            "{text}"
        );
    }
}
