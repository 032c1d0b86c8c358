//! The one place where messages become bytes and bytes become messages.

use serde::{de::DeserializeOwned, Serialize};

use crate::{ProtoError, WIRE_VERSION};

/// A top-level wire message: a postcard-encoded struct whose first field is `v: u8`.
///
/// Implemented by every message that travels alone (an HTTP body, a WebSocket
/// frame, a stored blob). Generic code (the relay's body extractor) uses it;
/// everyone else calls the inherent `encode`/`decode` of each type.
pub trait WireMessage: Serialize + DeserializeOwned {
    /// A short name of the message type, used in error messages.
    const NAME: &'static str;
    /// The version byte this message type starts with ([`WIRE_VERSION`] unless its format moved on alone).
    const VERSION: u8 = WIRE_VERSION;
}

/// Encodes a message with postcard.
pub fn encode_message<T: WireMessage>(message: &T) -> Vec<u8> {
    // Serialising a derived struct of fixed-shape fields into a growable Vec
    // cannot fail: postcard only errors on unknown-length sequences or a full buffer.
    postcard::to_allocvec(message).expect("postcard encoding of a wire struct is infallible")
}

/// Decodes a message: checks the version byte first, then the structure, and rejects trailing bytes.
///
/// Only the canonical encoding is accepted (postcard itself would also take,
/// for example, over-long varints), so every message has exactly one byte
/// form and its hash cannot be varied without changing its meaning.
pub fn decode_message<T: WireMessage>(bytes: &[u8]) -> Result<T, ProtoError> {
    let Some(&version) = bytes.first() else {
        return Err(ProtoError::Malformed(format!("empty {}", T::NAME)));
    };
    if version != T::VERSION {
        return Err(ProtoError::UnsupportedVersion(version));
    }
    let (message, rest) = postcard::take_from_bytes::<T>(bytes)
        .map_err(|e| ProtoError::Malformed(format!("{}: {e}", T::NAME)))?;
    if !rest.is_empty() {
        return Err(ProtoError::Malformed(format!(
            "{}: {} trailing bytes",
            T::NAME,
            rest.len()
        )));
    }
    if encode_message(&message) != bytes {
        return Err(ProtoError::Malformed(format!(
            "{}: not in canonical encoding",
            T::NAME
        )));
    }
    Ok(message)
}

/// Postcard of a value that is part of a signed or hashed message.
pub(crate) fn to_postcard<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("postcard encoding of a wire struct is infallible")
}

/// Adds inherent `encode`/`decode` to each top-level message and implements [`WireMessage`].
macro_rules! wire_message {
    ($ty:ident = $version:expr) => {
        impl $crate::codec::WireMessage for $ty {
            const NAME: &'static str = stringify!($ty);
            const VERSION: u8 = $version;
        }
        $crate::codec::wire_message!(@inherent $ty);
    };
    ($($ty:ident),* $(,)?) => {$(
        impl $crate::codec::WireMessage for $ty {
            const NAME: &'static str = stringify!($ty);
        }
        $crate::codec::wire_message!(@inherent $ty);
    )*};
    (@inherent $ty:ident) => {
        impl $ty {
            /// Encodes this message with postcard (first byte is the wire version).
            pub fn encode(&self) -> Vec<u8> {
                $crate::codec::encode_message(self)
            }
            /// Decodes a message, checking the version byte first and rejecting trailing bytes.
            pub fn decode(bytes: &[u8]) -> Result<Self, $crate::ProtoError> {
                $crate::codec::decode_message(bytes)
            }
        }
    };
}
pub(crate) use wire_message;

/// Serde for `[u8; 64]` (serde implements arrays only up to 32): a fixed tuple, so postcard writes 64 raw bytes.
pub(crate) mod bytes64 {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::ser::SerializeTuple;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 64], serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(64)?;
        for byte in bytes {
            tuple.serialize_element(byte)?;
        }
        tuple.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 64], D::Error> {
        struct Bytes64;
        impl<'de> Visitor<'de> for Bytes64 {
            type Value = [u8; 64];
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("64 bytes")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; 64], A::Error> {
                let mut out = [0u8; 64];
                for (i, slot) in out.iter_mut().enumerate() {
                    *slot = seq
                        .next_element()?
                        .ok_or_else(|| A::Error::invalid_length(i, &self))?;
                }
                Ok(out)
            }
        }
        deserializer.deserialize_tuple(64, Bytes64)
    }
}
