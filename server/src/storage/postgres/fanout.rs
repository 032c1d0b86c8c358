//! Cross-instance fan-out: each instance listens for what the others commit.
//!
//! Envelope commits are announced on [`NOTIFY_CHANNEL`] (the listener loads
//! the announced range and publishes it to its local live connections);
//! roster updates on [`ROSTER_CHANNEL`] (the listener closes the local live
//! connections of devices the journal's latest roster no longer lists).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use attune_proto::{JournalId, RelaySeq, StoredEnvelope};
use sqlx::postgres::{PgListener, PgPool};
use sqlx::Postgres;

use super::rosters::{members, ROSTER_CHANNEL};
use super::NOTIFY_CHANNEL;
use crate::fanout::Hub;
use crate::storage::sql_backend::{backend, EnvelopeQueries};
use crate::storage::StorageError;

/// Envelopes per page when the listener loads an announced range.
const LISTEN_PAGE: u32 = 1000;
/// Bytes per page when the listener loads an announced range.
const LISTEN_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// An announcement of envelopes committed by some instance.
#[derive(Debug, PartialEq, Eq)]
pub struct Announcement {
    /// The committing instance.
    pub instance: String,
    /// The database and schema it committed to (a hash).
    pub scope: String,
    /// The journal.
    pub journal: JournalId,
    /// First new relay sequence.
    pub first: RelaySeq,
    /// Last new relay sequence.
    pub last: RelaySeq,
}

impl Announcement {
    /// Parses `<instance>:<scope>:<journal hex>:<first>:<last>`; `None` if malformed.
    pub fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        let instance = parts.next()?.to_owned();
        let scope = parts.next()?.to_owned();
        let journal = JournalId::from_str(parts.next()?).ok()?;
        let first = RelaySeq(parts.next()?.parse().ok()?);
        let last = RelaySeq(parts.next()?.parse().ok()?);
        if parts.next().is_some() || first.0 == 0 || first > last {
            return None;
        }
        Some(Self {
            instance,
            scope,
            journal,
            first,
            last,
        })
    }
}

/// An announcement of a roster update: `<instance>:<scope>:<journal hex>`.
#[derive(Debug, PartialEq, Eq)]
pub struct RosterAnnouncement {
    /// The committing instance.
    pub instance: String,
    /// The database and schema it committed to (a hash).
    pub scope: String,
    /// The journal whose roster changed.
    pub journal: JournalId,
}

impl RosterAnnouncement {
    /// Parses `<instance>:<scope>:<journal hex>`; `None` if malformed.
    pub fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        let instance = parts.next()?.to_owned();
        let scope = parts.next()?.to_owned();
        let journal = JournalId::from_str(parts.next()?).ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            instance,
            scope,
            journal,
        })
    }
}

/// The listener task: `LISTEN attune_envelopes` and `attune_rosters`; load
/// what others committed and publish it locally, close removed devices' connections.
pub(super) struct RemoteFanout {
    pub(super) pool: PgPool,
    pub(super) instance: String,
    pub(super) scope: String,
    pub(super) hub: Arc<Hub>,
}

const RECONNECT_MIN: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(5);

impl RemoteFanout {
    pub(super) async fn run(self) {
        let mut backoff = RECONNECT_MIN;
        loop {
            match self.listen().await {
                Ok(()) => backoff = RECONNECT_MIN,
                Err(e) => {
                    tracing::warn!(error = %e, retry_ms = backoff.as_millis() as u64,
                        "cross-instance fan-out listener failed; reconnecting");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(RECONNECT_MAX);
                }
            }
        }
    }

    /// One connection's life: returns when it is lost.
    async fn listen(&self) -> Result<(), StorageError> {
        let mut listener = PgListener::connect_with(&self.pool)
            .await
            .map_err(backend)?;
        listener
            .listen_all([NOTIFY_CHANNEL, ROSTER_CHANNEL])
            .await
            .map_err(backend)?;
        tracing::debug!(
            instance = %self.instance,
            "listening for envelopes and rosters committed by other instances"
        );
        // Announcements may have been missed while not listening: nudge every
        // live journal with its newest envelope, so connections that are behind
        // see the gap and catch up from storage, and re-check its members.
        self.nudge_live_journals().await?;
        loop {
            // `None`: the connection was lost and sqlx has reconnected (and
            // listens again); what was announced meanwhile is lost, so nudge.
            let Some(notification) = listener.try_recv().await.map_err(backend)? else {
                tracing::warn!("the LISTEN connection was lost and re-established");
                self.nudge_live_journals().await?;
                continue;
            };
            if notification.channel() == ROSTER_CHANNEL {
                match RosterAnnouncement::parse(notification.payload()) {
                    // Ours (the handler already closed them), or another schema's.
                    Some(a) if a.instance == self.instance || a.scope != self.scope => {}
                    Some(a) => self.close_removed(a.journal).await?,
                    None => tracing::warn!("ignoring a malformed {ROSTER_CHANNEL} notification"),
                }
                continue;
            }
            match Announcement::parse(notification.payload()) {
                // Ours (the writer already published it), or another schema's.
                Some(a) if a.instance == self.instance || a.scope != self.scope => {}
                Some(a) => self.publish(&a).await?,
                None => tracing::warn!("ignoring a malformed {NOTIFY_CHANNEL} notification"),
            }
        }
    }

    /// Loads an announced range and publishes it to the local live connections.
    async fn publish(&self, a: &Announcement) -> Result<(), StorageError> {
        if self.hub.listeners(a.journal) == 0 {
            return Ok(());
        }
        let mut after = RelaySeq(a.first.0 - 1);
        while after < a.last {
            let want = u32::try_from(a.last.0 - after.0).unwrap_or(u32::MAX);
            let page = Postgres::envelopes_after(
                &self.pool,
                a.journal,
                after,
                want.min(LISTEN_PAGE),
                LISTEN_PAGE_BYTES,
            )
            .await?;
            let Some(last) = page.last().map(|e| e.relay_seq) else {
                break;
            };
            let page: Vec<StoredEnvelope> =
                page.into_iter().filter(|e| e.relay_seq <= a.last).collect();
            self.hub.publish(a.journal, page);
            after = last;
        }
        Ok(())
    }

    /// Closes the local live connections of devices not in the journal's latest roster.
    async fn close_removed(&self, journal: JournalId) -> Result<(), StorageError> {
        let live = self.hub.devices();
        if !live.has_journal(journal) {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let members = members(&mut conn, journal).await?;
        let closed = live.close_removed(journal, |d| members.contains(&d));
        if closed > 0 {
            tracing::info!(journal_id = %journal, closed,
                "closed the live connections of devices another instance removed");
        }
        Ok(())
    }

    async fn nudge_live_journals(&self) -> Result<(), StorageError> {
        for journal in self.hub.devices().journals() {
            self.close_removed(journal).await?;
        }
        for journal in self.hub.journals() {
            let Some(stats) = Postgres::journal_stats(&self.pool, journal).await? else {
                continue;
            };
            if stats.head.0 == 0 {
                continue;
            }
            let newest = Postgres::envelopes_after(
                &self.pool,
                journal,
                RelaySeq(stats.head.0 - 1),
                1,
                usize::MAX,
            )
            .await?;
            self.hub.publish(journal, newest);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_parse_strictly() {
        let j = JournalId([7; 16]);
        let a = Announcement::parse(&format!("ab12:cd34:{j}:3:5")).unwrap();
        assert_eq!(
            a,
            Announcement {
                instance: "ab12".into(),
                scope: "cd34".into(),
                journal: j,
                first: RelaySeq(3),
                last: RelaySeq(5)
            }
        );
        for bad in [
            String::new(),
            "ab12".into(),
            format!("ab12:{j}:3:5"),
            format!("ab12:cd34:{j}:5:3"),
            format!("ab12:cd34:{j}:0:3"),
            format!("ab12:cd34:{j}:1:2:3"),
            "ab12:cd34:nothex:1:2".into(),
            format!("ab12:cd34:{j}:x:2"),
        ] {
            assert_eq!(Announcement::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn roster_announcements_parse_strictly() {
        let j = JournalId([7; 16]);
        assert_eq!(
            RosterAnnouncement::parse(&format!("ab12:cd34:{j}")),
            Some(RosterAnnouncement {
                instance: "ab12".into(),
                scope: "cd34".into(),
                journal: j,
            })
        );
        for bad in [
            String::new(),
            "ab12:cd34".into(),
            format!("ab12:cd34:{j}:1"),
            "ab12:cd34:nothex".into(),
        ] {
            assert_eq!(RosterAnnouncement::parse(&bad), None, "{bad}");
        }
    }
}
