//! On this day: across leap years and time-zone offsets; setbacks hidden unless asked.

mod common;

use attune_core::{EntryKind, Timestamp};
use attune_insights::day::Day;
use attune_insights::{insights, Options};
use common::entry;

/// Noon of a local date in `offset` minutes, as a timestamp.
fn at(y: i64, m: u32, d: u32, hour: i64, offset: i16) -> Timestamp {
    let local_ms = Day::from_date(y, m, d).0 * 86_400_000 + hour * 3_600_000;
    Timestamp::new(local_ms - i64::from(offset) * 60_000, offset)
}

#[test]
fn the_29th_of_february_is_remembered_on_the_28th_of_common_years() {
    let entries = vec![entry(
        1,
        EntryKind::Note,
        at(2024, 2, 29, 12, 60).unix_ms,
        60,
        &[],
        None,
        vec![],
    )];
    let shown = |now| {
        insights(&entries, now, &Options::default())
            .on_this_day
            .memories
            .len()
    };
    assert_eq!(shown(at(2025, 2, 28, 9, 60)), 1, "2025 has no 29th");
    assert_eq!(shown(at(2025, 3, 1, 9, 60)), 0);
    assert_eq!(
        shown(at(2028, 2, 29, 9, 60)),
        1,
        "four years ago, to the day"
    );
    assert_eq!(shown(at(2028, 2, 28, 9, 60)), 0, "2028 has its own 29th");
    let memory = &insights(&entries, at(2028, 2, 29, 9, 60), &Options::default())
        .on_this_day
        .memories[0];
    assert_eq!(memory.years_ago, 4);
}

#[test]
fn the_date_is_the_writers_local_date_then_and_now() {
    // Written at 23:30 on 3 March in UTC-5: already 4 March in UTC.
    let late = at(2025, 3, 3, 23, -300).unix_ms + 30 * 60_000;
    let entries = vec![entry(1, EntryKind::Note, late, -300, &[], None, vec![])];
    let on = |now| {
        insights(&entries, now, &Options::default())
            .on_this_day
            .memories
            .len()
    };
    assert_eq!(on(at(2026, 3, 3, 8, 330)), 1, "3 March, read in UTC+5:30");
    assert_eq!(on(at(2026, 3, 4, 8, 0)), 0);
    // Today is decided by the clock's own offset: 2026-03-03T22:00Z is already 4 March in UTC+5:30.
    let evening_utc = Timestamp::new(at(2026, 3, 3, 22, 0).unix_ms, 330);
    assert_eq!(on(evening_utc), 0);
}

#[test]
fn setbacks_stay_hidden_unless_asked() {
    let when = at(2025, 6, 1, 12, 0).unix_ms;
    let entries = vec![
        entry(1, EntryKind::Setback, when, 0, &[], Some(2), vec![]),
        entry(2, EntryKind::MicroWin, when, 0, &[], Some(4), vec![]),
    ];
    let now = at(2026, 6, 1, 12, 0);
    let default = insights(&entries, now, &Options::default()).on_this_day;
    assert_eq!(default.memories.len(), 1);
    assert_eq!(default.memories[0].kind, "micro-win");
    assert_eq!(default.hard_left_out, 1);
    let asked = insights(&entries, now, &Options { include_hard: true }).on_this_day;
    assert_eq!((asked.memories.len(), asked.hard_left_out), (2, 0));
}
