//! The unlock agent's wire format: one request and one answer per connection.
//!
//! ```text
//! request  = version(1) op(1) journal(32) identity(32)            66 bytes
//! answer   = version(1) status(1) length(u16, big endian) payload(length)
//! ```
//!
//! `journal` is the hash of the journal directory's canonical path and
//! `identity` the hash of its identity file as the asker read it: an agent
//! answers only for the journal and the identity file it was unlocked for. The
//! payload of an `Ok` answer to [`Op::Identity`] is the plain identity file
//! text; every other answer has none.

/// The version byte every message starts with.
pub const VERSION: u8 = 1;
/// The length of a request.
pub const REQUEST_LEN: usize = 66;
/// The largest payload an answer may carry (an identity file is about 300 bytes).
pub const MAX_PAYLOAD: usize = 4096;

/// What the asker wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// The opened device identity.
    Identity,
    /// Forget the identity and exit (`attune lock`).
    Lock,
}

impl Op {
    fn code(self) -> u8 {
        match self {
            Op::Identity => 1,
            Op::Lock => 2,
        }
    }
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What is asked.
    pub op: Op,
    /// The hash naming the journal directory.
    pub journal: [u8; 32],
    /// The hash of the identity file as the asker read it.
    pub identity: [u8; 32],
}

/// How the agent answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done; for [`Op::Identity`] the payload is the identity.
    Ok,
    /// This agent serves another journal directory.
    WrongJournal,
    /// The identity file is not the one this agent was unlocked with (passphrase changed).
    IdentityChanged,
    /// The unlock's time is up.
    Expired,
    /// The request could not be read.
    BadRequest,
}

impl Status {
    fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::WrongJournal => 1,
            Status::IdentityChanged => 2,
            Status::Expired => 3,
            Status::BadRequest => 4,
        }
    }

    fn from_code(code: u8) -> Option<Status> {
        Some(match code {
            0 => Status::Ok,
            1 => Status::WrongJournal,
            2 => Status::IdentityChanged,
            3 => Status::Expired,
            4 => Status::BadRequest,
            _ => return None,
        })
    }
}

impl Request {
    /// The request's bytes.
    pub fn encode(&self) -> [u8; REQUEST_LEN] {
        let mut out = [0u8; REQUEST_LEN];
        out[0] = VERSION;
        out[1] = self.op.code();
        out[2..34].copy_from_slice(&self.journal);
        out[34..66].copy_from_slice(&self.identity);
        out
    }

    /// Reads a request; `None` if it is not one this version understands.
    pub fn decode(bytes: &[u8; REQUEST_LEN]) -> Option<Request> {
        if bytes[0] != VERSION {
            return None;
        }
        let op = match bytes[1] {
            1 => Op::Identity,
            2 => Op::Lock,
            _ => return None,
        };
        let mut journal = [0u8; 32];
        journal.copy_from_slice(&bytes[2..34]);
        let mut identity = [0u8; 32];
        identity.copy_from_slice(&bytes[34..66]);
        Some(Request {
            op,
            journal,
            identity,
        })
    }
}

/// The four bytes before an answer's payload.
pub fn answer_header(status: Status, payload_len: usize) -> Option<[u8; 4]> {
    if payload_len > MAX_PAYLOAD {
        return None;
    }
    let len = u16::try_from(payload_len).ok()?.to_be_bytes();
    Some([VERSION, status.code(), len[0], len[1]])
}

/// Reads an answer's header: its status and how long its payload is.
pub fn decode_answer_header(bytes: [u8; 4]) -> Option<(Status, usize)> {
    if bytes[0] != VERSION {
        return None;
    }
    let status = Status::from_code(bytes[1])?;
    let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    (len <= MAX_PAYLOAD).then_some((status, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden bytes: a change here breaks agents of other versions still running.
    #[test]
    fn the_wire_format_is_stable() {
        let request = Request {
            op: Op::Identity,
            journal: [0xaa; 32],
            identity: [0x55; 32],
        };
        let bytes = request.encode();
        assert_eq!(
            hex::encode(bytes),
            format!("0101{}{}", "aa".repeat(32), "55".repeat(32))
        );
        assert_eq!(Request::decode(&bytes), Some(request));
        let lock = Request {
            op: Op::Lock,
            journal: [0; 32],
            identity: [0; 32],
        };
        assert_eq!(hex::encode(&lock.encode()[..2]), "0102");
        assert_eq!(answer_header(Status::Ok, 300), Some([1, 0, 0x01, 0x2c]));
        assert_eq!(answer_header(Status::Expired, 0), Some([1, 3, 0, 0]));
        assert_eq!(
            decode_answer_header([1, 2, 0, 0]),
            Some((Status::IdentityChanged, 0))
        );
    }

    #[test]
    fn unknown_versions_ops_and_statuses_are_refused() {
        let mut bytes = Request {
            op: Op::Lock,
            journal: [1; 32],
            identity: [2; 32],
        }
        .encode();
        bytes[0] = 2;
        assert_eq!(Request::decode(&bytes), None);
        bytes[0] = 1;
        bytes[1] = 9;
        assert_eq!(Request::decode(&bytes), None);
        assert_eq!(decode_answer_header([2, 0, 0, 0]), None);
        assert_eq!(decode_answer_header([1, 9, 0, 0]), None);
        assert_eq!(decode_answer_header([1, 0, 0xff, 0xff]), None, "too long");
        assert_eq!(answer_header(Status::Ok, MAX_PAYLOAD + 1), None);
    }
}
