//! Local calendar days: the day an entry was lived on, in the writer's offset at the time.

use attune_core::Timestamp;
use serde::{Serialize, Serializer};

const DAY_MS: i64 = 86_400_000;

/// A local calendar day, counted from 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

impl Day {
    /// The local day of `t`, in the offset `t` carries.
    pub fn of(t: Timestamp) -> Day {
        Day((t.unix_ms + i64::from(t.offset_minutes) * 60_000).div_euclid(DAY_MS))
    }

    /// The day of a calendar date (proleptic Gregorian; Howard Hinnant's algorithm).
    pub fn from_date(y: i64, m: u32, d: u32) -> Day {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(m);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// Year, month (1–12) and day of month (1–31).
    pub fn date(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (
            if m <= 2 {
                yoe + era * 400 + 1
            } else {
                yoe + era * 400
            },
            m,
            d,
        )
    }

    /// 0 for Monday … 6 for Sunday.
    pub fn weekday(self) -> usize {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as usize
    }

    /// The Monday of this day's week.
    pub fn week_start(self) -> Day {
        Day(self.0 - self.weekday() as i64)
    }

    /// `YYYY-MM`.
    pub fn month(self) -> String {
        let (y, m, _) = self.date();
        format!("{y:04}-{m:02}")
    }

    /// The day `n` days later (earlier when negative).
    pub fn plus(self, n: i64) -> Day {
        Day(self.0 + n)
    }

    /// A short label: `3 Mar`.
    pub fn short(self) -> String {
        let (_, m, d) = self.date();
        format!("{d} {}", MONTHS[(m as usize + 11) % 12])
    }
}

/// Whether `y` is a leap year.
pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Short month names, January first.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.date();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_across_leap_days() {
        for (y, m, d) in [
            (2024, 2, 29),
            (2000, 2, 29),
            (1970, 1, 1),
            (2026, 12, 31),
            (1900, 3, 1),
        ] {
            assert_eq!(Day::from_date(y, m, d).date(), (y, m, d));
        }
        assert_eq!(Day::from_date(1970, 1, 1), Day(0));
        assert_eq!(Day::from_date(2026, 12, 3).weekday(), 3, "a Thursday");
        assert!(is_leap(2024) && is_leap(2000) && !is_leap(1900) && !is_leap(2026));
    }

    #[test]
    fn the_day_follows_the_writers_offset() {
        // 2026-01-31T23:30Z is 1 February in UTC+1 and 31 January in UTC-5.
        let ms = 1_769_902_200_000;
        assert_eq!(Day::of(Timestamp::new(ms, 60)).to_string(), "2026-02-01");
        assert_eq!(Day::of(Timestamp::new(ms, -300)).to_string(), "2026-01-31");
    }
}
