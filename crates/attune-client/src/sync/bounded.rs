//! How much this device reads from a relay: every answer is read with a cap,
//! so a broken or hostile relay cannot make it allocate without bound.
//!
//! The caps are sized from the relay's own limits with ample headroom: a
//! relay serves pull pages of at most `max_body_bytes` (1 MiB by default) and
//! snapshots of at most `max_snapshot_bytes` (64 MiB by default), and an
//! operator may raise both.

use attune_proto::{ErrorBody, ErrorCode};

use crate::sync::SyncError;

/// The environment variable that raises [`ReadLimits::snapshot_bytes`], in MiB.
pub const SNAPSHOT_MIB_VAR: &str = "ATTUNE_MAX_SNAPSHOT_MIB";

const MIB: usize = 1024 * 1024;

/// The most this device reads from a relay, per kind of answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Any answer but a snapshot: a pull page, the rosters, keys, an ack, a session.
    pub response_bytes: usize,
    /// A snapshot download.
    pub snapshot_bytes: usize,
    /// One message (and one frame) of the live WebSocket.
    pub live_message_bytes: usize,
    /// An error body; a longer one is cut here (only its start is shown anyway).
    pub error_bytes: usize,
}

impl Default for ReadLimits {
    /// 64 MiB answers and live messages (64 times the relay's default page),
    /// 256 MiB snapshots (4 times the relay's default cap), 64 KiB error bodies.
    fn default() -> Self {
        ReadLimits {
            response_bytes: 64 * MIB,
            snapshot_bytes: 256 * MIB,
            live_message_bytes: 64 * MIB,
            error_bytes: 64 * 1024,
        }
    }
}

impl ReadLimits {
    /// The defaults, with the snapshot cap from [`SNAPSHOT_MIB_VAR`] when it is set to a number of MiB.
    pub fn from_env() -> Self {
        let mut limits = ReadLimits::default();
        if let Some(mib) = std::env::var(SNAPSHOT_MIB_VAR)
            .ok()
            .and_then(|text| text.trim().parse::<usize>().ok())
            .filter(|&mib| mib > 0)
        {
            limits.snapshot_bytes = mib.saturating_mul(MIB);
        }
        limits
    }
}

/// A size for people: `64 MiB`, `300 KiB`, `17 bytes`.
pub(crate) fn human_size(bytes: usize) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// What to do about an answer that was too large, for the error message.
pub(crate) fn too_much_hint(what: &str) -> String {
    if what.contains("snapshot") {
        format!(
            "if this journal's snapshot really is that large, set {SNAPSHOT_MIB_VAR} to a larger number of MiB; otherwise check the relay address"
        )
    } else {
        "check the relay address, or tell its operator".to_owned()
    }
}

fn network(e: reqwest::Error) -> SyncError {
    SyncError::Network(e.to_string())
}

/// Reads a successful answer, stopping as soon as it passes `limit` bytes.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    what: &'static str,
    limit: usize,
) -> Result<Vec<u8>, SyncError> {
    let too_much = || SyncError::RelayAnsweredTooMuch { what, limit };
    // A declared length past the cap is refused before reading anything.
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(too_much());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if chunk.len() > limit - body.len() {
            return Err(too_much());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The refusal of an unsuccessful answer, reading at most `limit` bytes of its body.
pub(crate) async fn refusal(mut response: reqwest::Response, limit: usize) -> SyncError {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    refusal_of(status, &body)
}

/// The refusal of `status` with the (possibly cut) `body`: the relay's JSON error, or its first 200 characters.
pub(crate) fn refusal_of(status: u16, body: &[u8]) -> SyncError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => SyncError::Refused {
            status,
            code: e.code(),
            message: e.message,
        },
        Err(_) => SyncError::Refused {
            status,
            code: ErrorCode::Unknown,
            message: String::from_utf8_lossy(body).chars().take(200).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(human_size(64 * MIB), "64 MiB");
        assert_eq!(human_size(64 * 1024), "64 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }

    #[test]
    fn a_cut_error_body_shows_its_start() {
        let body = vec![b'x'; 1000];
        let SyncError::Refused {
            status, message, ..
        } = refusal_of(502, &body)
        else {
            panic!("not a refusal");
        };
        assert_eq!((status, message.len()), (502, 200));
    }
}
