//! Envelopes from the relay: verify, open, check and apply them, in relay
//! order, without ever letting one bad envelope stop the others.
//!
//! Every envelope ends in one of three ways:
//!
//! - **applied**: it verified, opened, and its changes were written by its sender;
//! - **refused for good** (reported, kept in `quarantine/`, never applied):
//!   damaged or forged bytes, a sender that is not a member, a device writing
//!   after its revocation, changes another device wrote, changes Automerge
//!   cannot apply. The cursor moves past it, so it cannot wedge the journal;
//! - **waiting**: something that may still arrive is missing (an earlier
//!   envelope of the same device, or the roster or key that names its
//!   sender or epoch). The cursor stops before it and the next sync asks again.
//!
//! A damaged envelope leaves a hole in its device's chain. The device's next
//! envelope (which its signature vouches for) is accepted across the hole, and
//! when the damaged one is this device's own, this device sends all the
//! changes it wrote again (Automerge ignores the ones others already have).

use std::collections::BTreeSet;

use attune_core::EntryChange;
use attune_crypto::{open_envelope, ChainState, CryptoError};
use attune_proto::{DeviceId, DeviceSeq, StoredEnvelope};

use crate::sync::assembly::{Added, Assemblies};
use crate::sync::parts::{decode_plaintext, Plaintext};
use crate::sync::quarantine::quarantine;
use crate::sync::report::SyncReport;
use crate::sync::state::{ids, ChangeBatch, SyncState};
use crate::sync::word::{compare_rosters, note_sender, send_again, short};
use crate::sync::SyncError;
use crate::{Store, StoreError};

/// What became of one envelope.
enum Outcome {
    /// Applied (or, for a replay, already applied): the cursor may pass it.
    Settled,
    /// Refused for good, with the reason: the cursor may pass it.
    Refused(String),
    /// Waiting for something that may still arrive: the cursor stops here.
    Waiting,
}

/// Verify, open and apply envelopes received from the relay, in relay order.
///
/// The chain and the cursor advance only after the changes are durable
/// locally. The cursor only moves over a contiguous run of envelopes that
/// were settled or refused for good; see the module documentation.
pub fn process_envelopes(
    store: &mut Store,
    state: &mut SyncState,
    envelopes: &[StoredEnvelope],
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    process_page(store, state, envelopes, &BTreeSet::new(), report)
}

/// [`process_envelopes`] for a page the relay served with `holes`: relay
/// sequence numbers it skipped (an envelope it lost, could not read back, or
/// hides). The cursor moves over them, a device chain missing envelopes at a
/// hole is bridged by that device's next signed envelope, and the authors
/// are asked to send those changes again.
pub(crate) fn process_page(
    store: &mut Store,
    state: &mut SyncState,
    envelopes: &[StoredEnvelope],
    holes: &BTreeSet<u64>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (journal, device) = ids(store)?;
    let ring = store.keyring();
    let mut chain = state.chain.clone();
    let mut assemblies = Assemblies::load(store)?;
    let mut batches: Vec<(u64, DeviceId, Vec<EntryChange>)> = Vec::new();
    let mut cursor = state.cursor;
    let mut blocked = false;
    let mut own_damaged = None;
    let mut ask_author = false;
    let mut sorted: Vec<&StoredEnvelope> = envelopes.iter().collect();
    sorted.sort_by_key(|e| e.relay_seq.0);
    for stored in sorted {
        let seq = stored.relay_seq.0;
        if seq <= cursor {
            continue;
        }
        let env = &stored.envelope;
        let sender = short(env.device_id);
        if holes.range(cursor + 1..seq).next().is_some() {
            // The relay admits it lost envelopes before this one: a device
            // missing some there will not get them from it.
            let expected = chain.last(env.device_id).map_or(1, |(s, _)| s.0 + 1);
            if env.device_seq.0 > expected && !state.lost.contains_key(&env.device_id) {
                if env.device_id == device {
                    own_damaged = Some(expected);
                } else {
                    state.lost.insert(env.device_id, expected);
                    ask_author |= state.unreadable.insert((env.device_id, expected));
                }
            }
        }
        let bridged = bridge_lost(&chain, state, env);
        let opened = open_envelope(
            env,
            &state.rosters,
            &ring,
            bridged.as_ref().unwrap_or(&chain),
            journal,
        );
        let outcome = match opened {
            Ok(plain) => {
                if env.device_id == device && env.device_seq.0 >= state.next_seq {
                    return Err(SyncError::StaleDevice(format!(
                        "the relay holds this device's envelope #{} but this directory has only sealed up to #{}",
                        env.device_seq.0,
                        state.next_seq.saturating_sub(1)
                    )));
                }
                if let Some(bridge) = bridged {
                    let first = state.lost.get(&env.device_id).copied().unwrap_or(0);
                    let last = env.device_seq.0.saturating_sub(1);
                    let which = if first == last {
                        format!("envelope #{last}")
                    } else {
                        format!("envelopes #{first}–#{last}")
                    };
                    // This device's own are in its documents: nothing is missing here.
                    if env.device_id != device {
                        report.problems.push(format!(
                            "{which} of device {sender} could not be read and was skipped (damaged or lost on the relay, or left behind on an old one); that device sends its changes again"
                        ));
                        // Its author answers with everything it wrote (once: see `resent_through`).
                        ask_author |= state.unreadable.insert((env.device_id, first));
                    }
                    chain = bridge;
                    state.lost.remove(&env.device_id);
                }
                let outcome = if env.device_id == device {
                    // This device's own, pulled back: already in its documents.
                    state.applied_envelopes += 1;
                    Outcome::Settled
                } else {
                    let opened = whole_batch(&mut assemblies, env, &plain, report)
                        .and_then(|b| b.map(|b| written_by(b, env.device_id)).transpose());
                    match opened {
                        Ok(Some(batch)) => {
                            note_sender(state, device, env.device_id, stored.received_unix, &batch);
                            compare_rosters(state, env.device_id, &batch, report);
                            batches.push((seq, env.device_id, batch.changes));
                            Outcome::Settled
                        }
                        // A part of a batch that is not complete yet (or a replayed part).
                        Ok(None) => Outcome::Settled,
                        Err(why) => Outcome::Refused(why),
                    }
                };
                chain.record(env);
                // Arrived after all: nothing to bridge for this device any more.
                if state
                    .lost
                    .get(&env.device_id)
                    .is_some_and(|lost| *lost <= env.device_seq.0)
                {
                    state.lost.remove(&env.device_id);
                }
                report.received += 1;
                outcome
            }
            Err(CryptoError::Replay { .. }) => {
                // Never applied twice; the pull position moves past it so
                // that it is not fetched again and again.
                if seq > state.high_water {
                    report.problems.push(format!(
                        "the relay served envelope {} of device {sender} again as #{seq}: a replay, ignored",
                        env.device_seq.0
                    ));
                }
                Outcome::Settled
            }
            Err(CryptoError::Gap { expected, got, .. }) => {
                report.problems.push(format!(
                    "envelopes of device {sender} are missing (expected #{expected}, the relay sent #{got}): they were withheld, lost or rejected; they will be asked for again"
                ));
                Outcome::Waiting
            }
            // A newer roster may not have reached this device (or the relay
            // hides it): wait for it. Epochs rise one at a time, so only the
            // next epoch is worth waiting for once the roster is fresh.
            Err(e @ (CryptoError::UnknownDevice | CryptoError::UnknownEpoch(_)))
                if !state.roster_fresh || is_next_epoch(state, &e) =>
            {
                report.roster_stale = true;
                report.problems.push(format!(
                    "envelope #{seq} from device {sender} waits for a newer device list: {e}"
                ));
                Outcome::Waiting
            }
            Err(e) => {
                let unreadable = matches!(
                    e,
                    CryptoError::BadEnvelopeSignature
                        | CryptoError::EnvelopeTampered
                        | CryptoError::MalformedEnvelopePlaintext
                );
                if unreadable
                    && env.device_id == device
                    && env.device_seq.0 < state.next_seq
                    && env.device_seq.0 >= state.resent_through
                {
                    // This device's own envelope, damaged on the relay.
                    own_damaged = Some(env.device_seq.0);
                } else if unreadable && expects_next(&chain, env.device_id, env.device_seq) {
                    // Skip it when the device's next one comes, and ask its author for its changes.
                    state.lost.insert(env.device_id, env.device_seq.0);
                    if state.unreadable.insert((env.device_id, env.device_seq.0)) {
                        ask_author = true;
                    }
                }
                Outcome::Refused(e.to_string())
            }
        };
        let settled = match outcome {
            Outcome::Settled => true,
            Outcome::Refused(why) => {
                report.problems.push(format!(
                    "refused envelope #{seq} from device {sender}: {why}"
                ));
                quarantine(store, stored)?;
                true
            }
            Outcome::Waiting => false,
        };
        if !blocked {
            while holes.contains(&(cursor + 1)) {
                cursor += 1;
            }
        }
        if settled && !blocked && seq == cursor + 1 {
            cursor = seq;
        } else {
            blocked = true;
        }
        state.high_water = state.high_water.max(seq);
    }
    apply(store, state, envelopes, batches, report)?;
    if let Some(lost) = own_damaged {
        state.resend.insert(lost);
        report.problems.push(format!(
            "the relay serves this device's envelope #{lost} damaged; this device sends its changes again"
        ));
    }
    send_again(store, state)?;
    if ask_author {
        // An empty batch, so that the authors hear about it even if nothing is written here.
        store.queue_announcement()?;
    }
    // The parts are kept before the chain moves past them (a crash in
    // between replays them, which changes nothing).
    assemblies.save(store)?;
    state.chain = chain;
    state.cursor = cursor;
    state.save(store)?;
    Ok(())
}

/// Applies the opened batches: all at once, and, if Automerge refuses
/// something, envelope by envelope so that only the bad one is refused.
fn apply(
    store: &mut Store,
    state: &mut SyncState,
    envelopes: &[StoredEnvelope],
    batches: Vec<(u64, DeviceId, Vec<EntryChange>)>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    if batches.is_empty() {
        return Ok(());
    }
    let all: Vec<EntryChange> = batches
        .iter()
        .flat_map(|(_, _, c)| c.iter().cloned())
        .collect();
    match store.apply_relayed_changes(all) {
        Ok(applied) => {
            report.applied += applied.applied;
            state.applied_envelopes += batches.len() as u64;
            return Ok(());
        }
        Err(StoreError::Core(_)) => {}
        Err(e) => return Err(e.into()),
    }
    for (seq, sender, changes) in batches {
        match store.apply_relayed_changes(changes) {
            Ok(applied) => {
                report.applied += applied.applied;
                state.applied_envelopes += 1;
            }
            Err(StoreError::Core(e)) => {
                report.problems.push(format!(
                    "refused envelope #{seq} from device {}: its changes cannot be applied ({e})",
                    short(sender)
                ));
                if let Some(stored) = envelopes.iter().find(|s| s.relay_seq.0 == seq) {
                    quarantine(store, stored)?;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The batch an opened envelope completes: itself if whole, the batch its
/// parts make once this is the last, else nothing yet.
fn whole_batch(
    assemblies: &mut Assemblies,
    env: &attune_proto::Envelope,
    plain: &[u8],
    report: &mut SyncReport,
) -> Result<Option<ChangeBatch>, String> {
    let (sender, seq) = (env.device_id, env.device_seq.0);
    match decode_plaintext(plain)? {
        Plaintext::Whole(batch) => {
            assemblies.whole_batch(sender, seq, &mut report.problems);
            Ok(Some(batch))
        }
        Plaintext::Part(part) => match assemblies.add(sender, seq, part, &mut report.problems)? {
            Added::Complete(bytes) => ChangeBatch::decode(&bytes).map(Some),
            Added::Kept | Added::Replay => Ok(None),
        },
    }
}

/// The batch, if every change in it was written by `sender` (and parses).
/// A large batch (a new device catching up) is checked on every core.
fn written_by(batch: ChangeBatch, sender: DeviceId) -> Result<ChangeBatch, String> {
    use rayon::prelude::*;
    let problem = |change: &EntryChange| match change.author() {
        Ok(author) if author == sender.0 => None,
        Ok(_) => Some("it carries changes written by another device".to_string()),
        Err(e) => Some(format!("it carries a malformed change ({e})")),
    };
    let found = if batch.changes.len() < 64 {
        batch.changes.iter().find_map(problem)
    } else {
        batch.changes.par_iter().find_map_any(problem)
    };
    match found {
        Some(why) => Err(why),
        None => Ok(batch),
    }
}

/// Whether `e` is about the epoch right after the trusted roster's.
fn is_next_epoch(state: &SyncState, e: &CryptoError) -> bool {
    let current = state.roster().map_or(0, |r| r.epoch.0);
    matches!(e, CryptoError::UnknownEpoch(epoch) if *epoch == current.saturating_add(1))
}

/// Whether `seq` is the next envelope expected of `device`.
fn expects_next(chain: &ChainState, device: DeviceId, seq: DeviceSeq) -> bool {
    chain.last(device).map_or(1, |(last, _)| last.0 + 1) == seq.0
}

/// The chain with lost envelopes bridged, when `env` is the next envelope its
/// device's chain can get after ones the relay served unreadable or lost:
/// its signed `prev_hash` names the last lost one.
fn bridge_lost(
    chain: &ChainState,
    state: &SyncState,
    env: &attune_proto::Envelope,
) -> Option<ChainState> {
    let lost = *state.lost.get(&env.device_id)?;
    if env.device_seq.0 <= lost || !expects_next(chain, env.device_id, DeviceSeq(lost)) {
        return None;
    }
    let mut bridged = chain.clone();
    bridged.set_head(
        env.device_id,
        DeviceSeq(env.device_seq.0 - 1),
        env.prev_hash,
    );
    Some(bridged)
}
