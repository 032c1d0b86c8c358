//! Times that carry no offset (jrnl, Daylio) read in a named time zone, and
//! UTC times placed in the zone a source names (Day One's `timeZone`).

use attune_core::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// The time zone zoneless times are read in, with its name for messages.
#[derive(Clone, Debug)]
pub struct LocalZone {
    zone: TimeZone,
    name: String,
}

impl LocalZone {
    /// This computer's zone (`TZ`, then the system's), UTC if it has none.
    pub fn system() -> LocalZone {
        let zone = TimeZone::try_system().unwrap_or(TimeZone::UTC);
        let name = zone.iana_name().unwrap_or("UTC").to_string();
        LocalZone { zone, name }
    }

    /// A zone by its IANA name (`Australia/Sydney`).
    pub fn named(name: &str) -> Option<LocalZone> {
        let zone = TimeZone::get(name).ok()?;
        Some(LocalZone {
            zone,
            name: name.to_string(),
        })
    }

    /// The zone's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A wall-clock time in this zone (an hour skipped by daylight saving moves forward).
    pub fn at(&self, civil: DateTime) -> Option<Timestamp> {
        let zoned = civil.to_zoned(self.zone.clone()).ok()?;
        let offset_minutes = i16::try_from(zoned.offset().seconds() / 60).ok()?;
        Some(Timestamp::new(
            zoned.timestamp().as_millisecond(),
            offset_minutes,
        ))
    }

    /// A UTC moment with this zone's offset at that moment.
    pub fn place(&self, unix_ms: i64) -> Option<Timestamp> {
        let ts = jiff::Timestamp::from_millisecond(unix_ms).ok()?;
        let offset = self.zone.to_offset(ts);
        Some(Timestamp::new(
            unix_ms,
            i16::try_from(offset.seconds() / 60).ok()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sydney_in_march_is_eleven_hours_ahead() {
        let sydney = LocalZone::named("Australia/Sydney").expect("bundled zone");
        let utc: jiff::Timestamp = "2021-03-03T11:48:50Z".parse().expect("time");
        let t = sydney.place(utc.as_millisecond()).expect("placed");
        assert_eq!(t.offset_minutes, 660);
        assert_eq!(
            crate::portable::document::rfc3339(t),
            "2021-03-03T22:48:50+11:00"
        );
        let civil: DateTime = "2021-03-03T22:48:50".parse().expect("civil");
        assert_eq!(sydney.at(civil), Some(t));
        assert!(LocalZone::named("Mars/Olympus").is_none());
    }
}
