//! Errors of decoding and parsing wire values.

/// Why bytes or text could not become a wire value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtoError {
    /// The first byte names a wire version this build does not speak.
    #[error("unsupported wire version {0} (this build speaks version {current})", current = crate::WIRE_VERSION)]
    UnsupportedVersion(u8),
    /// The bytes are not a valid message of the expected type (truncated, corrupt or trailing data).
    #[error("malformed message: {0}")]
    Malformed(String),
    /// An identifier in text form is not 32 lowercase hexadecimal characters.
    #[error("invalid identifier {0:?}: expected 32 lowercase hex characters")]
    InvalidId(String),
}
