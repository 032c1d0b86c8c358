//! Reading dates the writer types, and the local clock.

use anyhow::{bail, Result};
use attune_core::Timestamp;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The local offset from UTC in minutes (UTC if it cannot be determined).
pub fn local_offset_minutes() -> i16 {
    UtcOffset::current_local_offset()
        .map(|o| o.whole_minutes())
        .unwrap_or(0)
}

/// Now, with the local offset.
pub fn now() -> Timestamp {
    Timestamp::new(attune_client::store::now_ms(), local_offset_minutes())
}

/// Parse `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` as local time.
pub fn parse_local(input: &str) -> Result<Timestamp> {
    let input = input.trim();
    let date_fmt = format_description!("[year]-[month]-[day]");
    let (date_part, time_part) = match input.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (input, None),
    };
    let Ok(date) = Date::parse(date_part, date_fmt) else {
        bail!("{input:?} is not a date; use YYYY-MM-DD or \"YYYY-MM-DD HH:MM\"");
    };
    let time = match time_part {
        Some(t) => match Time::parse(t, format_description!("[hour]:[minute]")) {
            Ok(t) => t,
            Err(_) => bail!("{t:?} is not a time of day; use HH:MM"),
        },
        None => Time::MIDNIGHT,
    };
    let offset_minutes = local_offset_minutes();
    let offset =
        UtcOffset::from_whole_seconds(i32::from(offset_minutes) * 60).unwrap_or(UtcOffset::UTC);
    let dt: OffsetDateTime = PrimitiveDateTime::new(date, time).assume_offset(offset);
    Ok(Timestamp::new(
        (dt.unix_timestamp_nanos() / 1_000_000) as i64,
        offset_minutes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_parse_and_nonsense_is_refused() {
        let d = parse_local("2026-03-01").unwrap();
        let t = parse_local("2026-03-01 18:30").unwrap();
        assert_eq!(t.unix_ms - d.unix_ms, (18 * 60 + 30) * 60_000);
        assert_eq!(parse_local("2026-03-01T18:30").unwrap(), t);
        assert!(parse_local("yesterday").is_err());
        assert!(parse_local("2026-02-30").is_err());
        assert!(parse_local("2026-03-01 25:00").is_err());
    }
}
