//! Identifiers and counters that must not be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ProtoError;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// The raw 16 bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = ProtoError;
            fn from_str(s: &str) -> Result<Self, ProtoError> {
                parse_hex16(s).map(Self)
            }
        }

        // Binary formats (postcard) carry the 16 raw bytes; human-readable
        // formats (JSON config of the client) carry the hex text.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&self.to_string())
                } else {
                    s.serialize_newtype_struct(stringify!($name), &self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let text = String::deserialize(d)?;
                    text.parse().map_err(serde::de::Error::custom)
                } else {
                    #[derive(Deserialize)]
                    struct Raw([u8; 16]);
                    Raw::deserialize(d).map(|raw| Self(raw.0))
                }
            }
        }
    };
}

fn parse_hex16(s: &str) -> Result<[u8; 16], ProtoError> {
    let valid = s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(ProtoError::InvalidId(s.chars().take(64).collect()));
    }
    let mut out = [0u8; 16];
    hex::decode_to_slice(s, &mut out).map_err(|_| ProtoError::InvalidId(s.to_owned()))?;
    Ok(out)
}

hex_id!(
    /// A journal's random identifier, made by the device that creates the journal.
    JournalId
);
hex_id!(
    /// A device's random identifier, made by the device itself.
    DeviceId
);

/// A journal-key epoch: increases when the journal key is rotated (for example at a revocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Epoch(pub u32);

/// A device's own sequence number of envelopes; the first envelope of a device is 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeviceSeq(pub u64);

/// The relay's gap-free sequence number within a journal; the first stored envelope is 1, cursor 0 means nothing seen.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct RelaySeq(pub u64);

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for DeviceSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for RelaySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_strictness() {
        let id = JournalId([0xab; 16]);
        let text = id.to_string();
        assert_eq!(text, "abababababababababababababababab");
        assert_eq!(text.parse::<JournalId>(), Ok(id));
        assert!("ABABABABABABABABABABABABABABABAB"
            .parse::<JournalId>()
            .is_err());
        assert!("abab".parse::<DeviceId>().is_err());
        assert!("zz".repeat(16).parse::<DeviceId>().is_err());
        assert!("é".repeat(16).parse::<DeviceId>().is_err());
    }

    #[test]
    fn json_uses_hex_and_postcard_uses_raw_bytes() {
        let id = DeviceId([1; 16]);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", "01".repeat(16)));
        assert_eq!(serde_json::from_str::<DeviceId>(&json).unwrap(), id);
        let bytes = postcard::to_allocvec(&id).unwrap();
        assert_eq!(bytes, vec![1; 16]);
        assert_eq!(postcard::from_bytes::<DeviceId>(&bytes).unwrap(), id);
    }
}
