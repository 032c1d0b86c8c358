//! Challenges and bearer sessions, kept in memory with bounded size.
//!
//! A device asks for a challenge (a random nonce bound to journal and device),
//! signs it, and trades the signature for a bearer token. Both live only in
//! this process: a restart means devices authenticate again, which they do
//! whenever a request answers 401.
//!
//! A token alone is not enough: the extractor of authenticated requests also
//! checks in storage that the device is still in the journal's latest roster,
//! so a device removed through another relay instance sharing the database is
//! refused here too.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use attune_proto::{Challenge, DeviceId, ErrorCode, JournalId, Roster, Session, WIRE_VERSION};

use crate::error::ApiError;
use crate::time::now_unix;

/// Limits of the authenticator.
#[derive(Clone, Copy, Debug)]
pub struct AuthLimits {
    /// How long a challenge may be answered.
    pub challenge_ttl: Duration,
    /// How long a session token is valid.
    pub session_ttl: Duration,
    /// At most this many challenges are outstanding.
    pub max_challenges: usize,
    /// At most this many sessions are alive.
    pub max_sessions: usize,
}

/// An authenticated device of a journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The journal the token is for.
    pub journal: JournalId,
    /// The device it was issued to.
    pub device: DeviceId,
}

struct Pending {
    journal: JournalId,
    device: DeviceId,
    expires: Instant,
}

struct Live {
    grant: Grant,
    expires: Instant,
}

/// The outstanding challenges and live sessions.
pub struct Authenticator {
    limits: AuthLimits,
    challenges: Mutex<HashMap<[u8; 32], Pending>>,
    sessions: Mutex<HashMap<String, Live>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code holding these locks panics; if one ever did, the maps are still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random32() -> Result<[u8; 32], ApiError> {
    let mut out = [0u8; 32];
    getrandom::fill(&mut out).map_err(|e| {
        tracing::error!(error = %e, "the operating system's random generator failed");
        ApiError::unavailable(
            ErrorCode::NoRandomness,
            "the relay could not draw random numbers; try again",
        )
    })?;
    Ok(out)
}

impl Authenticator {
    /// An empty authenticator.
    pub fn new(limits: AuthLimits) -> Self {
        Self {
            limits,
            challenges: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Issues a fresh single-use challenge for a device of a journal (which need not exist yet).
    pub fn issue_challenge(
        &self,
        journal: JournalId,
        device: DeviceId,
    ) -> Result<Challenge, ApiError> {
        let nonce = random32()?;
        let now = Instant::now();
        let mut challenges = lock(&self.challenges);
        if challenges.len() >= self.limits.max_challenges {
            challenges.retain(|_, c| c.expires > now);
        }
        if challenges.len() >= self.limits.max_challenges {
            return Err(ApiError::unavailable(
                ErrorCode::TooManyChallenges,
                "the relay has too many unanswered challenges; try again in a minute",
            ));
        }
        challenges.insert(
            nonce,
            Pending {
                journal,
                device,
                expires: now + self.limits.challenge_ttl,
            },
        );
        Ok(Challenge {
            v: WIRE_VERSION,
            nonce,
            expires_unix: now_unix() + self.limits.challenge_ttl.as_secs(),
        })
    }

    /// Consumes a challenge (whatever happens next, it cannot be used again).
    pub fn take_challenge(
        &self,
        journal: JournalId,
        device: DeviceId,
        nonce: &[u8; 32],
    ) -> Result<(), ApiError> {
        let pending = lock(&self.challenges).remove(nonce);
        match pending {
            Some(p) if p.journal == journal && p.device == device => {
                if Instant::now() >= p.expires {
                    Err(ApiError::unauthorized(
                        ErrorCode::ChallengeExpired,
                        "the challenge expired; ask for a new one",
                    ))
                } else {
                    Ok(())
                }
            }
            _ => Err(ApiError::unauthorized(
                ErrorCode::UnknownChallenge,
                "no such challenge for this journal and device (already used, or never issued); ask for a new one",
            )),
        }
    }

    /// Opens a session for an authenticated device.
    pub fn open_session(&self, grant: Grant) -> Result<Session, ApiError> {
        let token = hex::encode(random32()?);
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= self.limits.max_sessions {
            sessions.retain(|_, s| s.expires > now);
        }
        if sessions.len() >= self.limits.max_sessions {
            return Err(ApiError::unavailable(
                ErrorCode::TooManySessions,
                "the relay has too many open sessions; try again later",
            ));
        }
        sessions.insert(
            token.clone(),
            Live {
                grant,
                expires: now + self.limits.session_ttl,
            },
        );
        Ok(Session {
            v: WIRE_VERSION,
            token,
            expires_unix: now_unix() + self.limits.session_ttl.as_secs(),
        })
    }

    /// The device a token was issued to, if the token is live and for this journal.
    pub fn check_token(&self, journal: JournalId, token: &str) -> Result<Grant, ApiError> {
        let mut sessions = lock(&self.sessions);
        let refused = || {
            ApiError::unauthorized(
                ErrorCode::InvalidToken,
                "the bearer token is unknown, expired or for another journal; authenticate again",
            )
        };
        let live = sessions.get(token).ok_or_else(refused)?;
        if Instant::now() >= live.expires {
            sessions.remove(token);
            return Err(refused());
        }
        if live.grant.journal != journal {
            return Err(refused());
        }
        Ok(live.grant)
    }

    /// Ends one session (its device was found removed from the journal).
    pub fn end_session(&self, token: &str) {
        lock(&self.sessions).remove(token);
    }

    /// Ends the sessions of every device of `journal` that is not in `roster`.
    pub fn revoke_missing(&self, journal: JournalId, roster: &Roster) {
        lock(&self.sessions)
            .retain(|_, s| s.grant.journal != journal || roster.device(s.grant.device).is_some());
    }
}
