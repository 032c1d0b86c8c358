//! Identifiers and time values that must not be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// A journal entry's identity: 16 random bytes chosen by the device that created it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryId(pub [u8; 16]);

impl EntryId {
    /// The id as 32 lowercase hexadecimal characters.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// The first 8 hexadecimal characters, enough for people to tell entries apart.
    pub fn short(&self) -> String {
        self.to_string()[..8].to_string()
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryId({self})")
    }
}

impl FromStr for EntryId {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CoreError::BadEntryId(s.to_string());
        if s.len() != 32 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(EntryId(out))
    }
}

/// A moment as the writer lived it: UTC milliseconds plus the local offset in minutes.
///
/// The offset is kept so that "Tuesday evening" stays Tuesday evening when the
/// journal is read in another time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timestamp {
    /// Milliseconds since the Unix epoch, UTC.
    pub unix_ms: i64,
    /// Local offset from UTC in minutes at the time of writing.
    pub offset_minutes: i16,
}

impl Timestamp {
    /// A timestamp from UTC milliseconds and a local offset.
    pub fn new(unix_ms: i64, offset_minutes: i16) -> Self {
        Timestamp {
            unix_ms,
            offset_minutes,
        }
    }

    /// The local calendar month as `YYYY-MM`, used to group entries.
    pub fn local_month(&self) -> String {
        let (y, m, _) = self.local_date();
        format!("{y:04}-{m:02}")
    }

    /// The local calendar date (year, month, day).
    pub fn local_date(&self) -> (i64, u32, u32) {
        let local_ms = self.unix_ms + i64::from(self.offset_minutes) * 60_000;
        civil_from_days(local_ms.div_euclid(86_400_000))
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.unix_ms, self.offset_minutes).cmp(&(other.unix_ms, other.offset_minutes))
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_id_round_trips_through_hex() {
        let id = EntryId([0xab; 16]);
        assert_eq!(id.to_string().parse::<EntryId>().unwrap(), id);
        assert!("xyz".parse::<EntryId>().is_err());
        assert!("zz".repeat(16).parse::<EntryId>().is_err());
    }

    #[test]
    fn local_month_uses_the_writers_offset() {
        // 2026-01-31T23:30:00Z is already February in UTC+1.
        let t = Timestamp::new(1_769_902_200_000, 60);
        assert_eq!(t.local_month(), "2026-02");
        assert_eq!(
            Timestamp::new(1_769_902_200_000, 0).local_month(),
            "2026-01"
        );
        assert_eq!(Timestamp::new(0, 0).local_date(), (1970, 1, 1));
        assert_eq!(
            Timestamp::new(951_782_400_000, 0).local_date(),
            (2000, 2, 29)
        );
    }
}
