//! Who may create journals: at most `max_journals_per_hour` per client
//! address, and, with `require_invite`, only with an invite.
//!
//! Creating a journal is the one write that needs no membership, so it is
//! what a stranger would repeat to fill the relay; both checks apply only to
//! session requests that would create a journal, never to existing ones.

use std::net::IpAddr;
use std::num::NonZeroU32;

use attune_proto::ErrorCode;
use axum::http::{HeaderMap, StatusCode};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::Config;
use crate::error::ApiError;

/// The header a session request that creates a journal carries its invite in.
pub const INVITE_HEADER: &str = "attune-invite";

/// The per-address allowance of new journals, and the accepted invites.
pub struct JournalCreation {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    /// BLAKE3 of each accepted invite (`None`: no invite needed). Comparing
    /// hashes keeps the time a comparison takes from telling anything about a token.
    invites: Option<Vec<[u8; 32]>>,
}

impl JournalCreation {
    /// The allowance and invites of `config`.
    pub fn new(config: &Config) -> Self {
        let per_hour = NonZeroU32::new(config.max_journals_per_hour).unwrap_or(NonZeroU32::MIN);
        let invites = config.require_invite.then(|| {
            config
                .invite_tokens
                .iter()
                .map(|token| *blake3::hash(token.as_bytes()).as_bytes())
                .collect()
        });
        JournalCreation {
            per_client: DefaultKeyedRateLimiter::keyed(Quota::per_hour(per_hour)),
            invites,
        }
    }

    /// Checks the invite of a request that would create a journal (when
    /// invites are required): missing, `403 invite_required`; not accepted,
    /// `403 invalid_invite`.
    pub fn check_invite(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(invites) = &self.invites else {
            return Ok(());
        };
        let Some(invite) = headers.get(INVITE_HEADER) else {
            return Err(ApiError::forbidden(
                ErrorCode::InviteRequired,
                "this relay creates journals only with an invite (the Attune-Invite header); \
                 ask its operator for one",
            ));
        };
        let hash = *blake3::hash(invite.as_bytes()).as_bytes();
        if invites.contains(&hash) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                ErrorCode::InvalidInvite,
                "this relay does not accept that invite",
            ))
        }
    }

    /// Counts one new journal of `client` (requests without a peer address
    /// share one allowance), or refuses with `429 too_many_journals`.
    pub fn admit(&self, client: IpAddr) -> Result<(), ApiError> {
        self.per_client.check_key(&client).map_err(|not_until| {
            let wait = not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1);
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyJournals,
                format!("this address created too many journals lately; retry in {wait} s"),
            )
        })
    }

    /// Drops the allowances of clients that are full again (bounds the table's memory).
    pub fn sweep(&self) {
        self.per_client.retain_recent();
        self.per_client.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn creation(config: Config) -> JournalCreation {
        JournalCreation::new(&config)
    }

    #[test]
    fn each_address_gets_its_own_hourly_allowance() {
        let limits = creation(Config {
            max_journals_per_hour: 2,
            ..Config::default()
        });
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        assert!(limits.admit(a).is_ok());
        assert!(limits.admit(a).is_ok());
        let refused = limits.admit(a).unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.code, ErrorCode::TooManyJournals);
        assert!(limits.admit(b).is_ok());
    }

    #[test]
    fn invites_are_checked_only_when_required() {
        let mut headers = HeaderMap::new();
        assert!(creation(Config::default()).check_invite(&headers).is_ok());
        let limits = creation(Config {
            require_invite: true,
            invite_tokens: vec!["open sesame".into()],
            ..Config::default()
        });
        assert_eq!(
            limits.check_invite(&headers).unwrap_err().code,
            ErrorCode::InviteRequired
        );
        headers.insert(INVITE_HEADER, HeaderValue::from_static("guess"));
        assert_eq!(
            limits.check_invite(&headers).unwrap_err().code,
            ErrorCode::InvalidInvite
        );
        headers.insert(INVITE_HEADER, HeaderValue::from_static("open sesame"));
        assert!(limits.check_invite(&headers).is_ok());
    }
}
