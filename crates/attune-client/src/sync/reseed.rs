//! Moving to another relay, and re-seeding a relay that lost the journal.
//!
//! A relay holds nothing a device cannot check, so a device that still has
//! the journal can give it back: the signed roster chain it verified, the
//! journal keys wrapped to the latest devices, its own changes again, and a
//! sealed snapshot. Every device that then points at the relay
//! ([`move_to_relay`]) forgets only where it stood in the old relay's
//! numbering: the rosters, keys and device chains it trusts stay, so a relay
//! that serves another roster chain is refused as before.
//!
//! What the old relay held and no device pulled in time is gone from it;
//! each device sends all its own changes again (Automerge ignores those the
//! others already have), and a device's chain is accepted across the
//! envelopes it lost (once per device, said in the sync report).

use attune_proto::{routes, ReseedRequest, Roster, WrappedKey, WIRE_VERSION};

use crate::dir::layout::INVITE_FILE;
use crate::sync::engine::sync_once_with;
use crate::sync::relay::RelayClient;
use crate::sync::report::SyncReport;
use crate::sync::state::{ids, SyncState};
use crate::sync::SyncError;
use crate::Store;

/// What pointing a journal at a relay did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayChange {
    /// Only the address changed: the journal never synced, or the relay
    /// serves the history this device already follows (another address of
    /// the same relay).
    Kept,
    /// A move: the next sync starts from the relay's beginning. `holds_journal`
    /// is false when the relay does not know the journal yet (one device
    /// re-seeds it: [`reseed`]).
    Moved {
        /// Whether the relay holds the journal now.
        holds_journal: bool,
    },
}

/// Points this journal at the relay at `url`, and decides whether that is a move.
///
/// For a journal that has synced before, it is a move when `restored` is
/// set (the relay at this address lost its data and was restored or
/// re-seeded), when the relay does not hold the journal, or when its history
/// is shorter than what this device has seen. A move forgets only the
/// position in the old relay's numbering: this device sends all its changes
/// again with its next sync and accepts each device's chain across what the
/// old relay held. A relay that cannot be reached keeps the position (the
/// next sync says if the relay went back in time, and how to move).
pub async fn change_relay(
    store: &mut Store,
    url: &str,
    restored: bool,
) -> Result<RelayChange, SyncError> {
    store.update_config(|c| c.relay = Some(url.to_string()))?;
    let mut state = SyncState::load(store)?;
    if state.rosters.is_empty() {
        return Ok(RelayChange::Kept);
    }
    let holds_journal = match crate::sync::membership::connect(store, &state).await {
        Ok(client) => {
            if !restored && !other_history(&client, store, &state).await {
                return Ok(RelayChange::Kept);
            }
            true
        }
        Err(SyncError::WrongRelay(_)) => false,
        Err(_) if !restored => return Ok(RelayChange::Kept),
        Err(_) => true,
    };
    forget_relay_position(store, &mut state)?;
    state.save(store)?;
    Ok(RelayChange::Moved { holds_journal })
}

/// Whether the relay serves another history than the one this device
/// followed: shorter than what it has seen, or with an envelope at this
/// device's position that it never saw. (Another address of the same relay
/// serves the envelope this device processed last there.) A relay that
/// compacted past this device's position counts as another: starting from
/// its snapshot is what this device would do there anyway. Unsure
/// (unreachable): false.
async fn other_history(client: &RelayClient, store: &Store, state: &SyncState) -> bool {
    if state.cursor == 0 {
        // Nothing pulled yet, so nothing to compare: moving forgets nothing
        // (the position is the start anyway) and lets the chains of the
        // devices it knows continue across what this relay never held.
        return true;
    }
    let me = store.config().device_id;
    let after = attune_proto::RelaySeq(state.cursor.saturating_sub(1));
    let page = match client.pull(after, 1).await {
        Ok(page) => page,
        Err(SyncError::Refused {
            code: attune_proto::ErrorCode::Compacted,
            ..
        }) => return true,
        Err(_) => return false,
    };
    if page.head.0 < state.high_water {
        return true;
    }
    let Some(stored) = page.envelopes.first() else {
        return false;
    };
    let env = &stored.envelope;
    let seen = state
        .chain
        .last(env.device_id)
        .is_some_and(|(seq, _)| seq >= env.device_seq)
        || (env.device_id == me && env.device_seq.0 < state.next_seq);
    stored.relay_seq.0 <= state.cursor.max(1) && !seen
}

/// Re-creates this journal on its relay, which does not know it, from what
/// this device holds, then syncs and uploads a snapshot for the others.
///
/// Refused by the relay when it holds the journal (`journal_exists`): then
/// [`move_to_relay`] and a sync are all a device needs.
pub async fn reseed(store: &mut Store) -> Result<SyncReport, SyncError> {
    let relay = store.config().relay.clone().ok_or(SyncError::NoRelay)?;
    let mut state = SyncState::load(store)?;
    let Some(latest) = state.roster().cloned() else {
        return Err(SyncError::NothingToReseed);
    };
    let (journal, device) = ids(store)?;
    let keys = keys_for(store, &state, &latest)?;
    let invite = store
        .read_sealed_state(INVITE_FILE)?
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let rosters = state.rosters.clone();
    RelayClient::answer_challenge(
        &relay,
        journal,
        device,
        store.identity(),
        invite.as_deref(),
        |nonce, signature| {
            let request = ReseedRequest {
                v: WIRE_VERSION,
                device_id: device,
                nonce,
                signature,
                rosters,
                keys,
            };
            (routes::reseed(journal), request.encode())
        },
    )
    .await?;
    forget_relay_position(store, &mut state)?;
    state.save(store)?;
    // Pushes this device's changes, pulls them back, and takes the snapshot
    // a new device starts from.
    sync_once_with(store, true).await
}

/// Every journal key this device holds that the trusted chain commits to, up
/// to the latest epoch, wrapped to each device of the latest version (the
/// recovery kit included, so that the words still restore).
fn keys_for(
    store: &Store,
    state: &SyncState,
    latest: &Roster,
) -> Result<Vec<WrappedKey>, SyncError> {
    let mut keys = Vec::new();
    for member in &latest.devices {
        keys.extend(store.committed_keys_for(member, latest.epoch, &state.rosters)?);
    }
    Ok(keys)
}

/// Forgets the old relay's numbering (cursor, high-water mark) and marks
/// every device's next envelope as one its chain may be bridged to; queues
/// this device's own changes to be sent again.
fn forget_relay_position(store: &mut Store, state: &mut SyncState) -> Result<(), SyncError> {
    state.cursor = 0;
    state.high_water = 0;
    let members: Vec<_> = state
        .roster()
        .map(|r| r.devices.iter().map(|d| d.device_id).collect())
        .unwrap_or_default();
    state.mark_bridgeable(members);
    if !state.resend_queued {
        store.queue_own_history_for_sync()?;
        state.resend_queued = true;
    }
    Ok(())
}
