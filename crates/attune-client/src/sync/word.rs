//! What each envelope's batch says about the journal beyond its changes:
//! the sender's name, the roster it trusts, the envelopes it has seen and the
//! ones it could not read. Other devices' word is how a relay that hides,
//! withholds or splits history is found out.

use attune_proto::DeviceId;

use crate::sync::report::SyncReport;
use crate::sync::state::{ChangeBatch, SyncState};
use crate::sync::SyncError;
use crate::Store;

/// Queues this device's own changes again when one of its envelopes was
/// reported unreadable (once for every envelope before the last time).
pub(super) fn send_again(store: &mut Store, state: &mut SyncState) -> Result<(), SyncError> {
    let due: Vec<u64> = state
        .resend
        .iter()
        .filter(|seq| **seq >= state.resent_through)
        .copied()
        .collect();
    // Queued once until a batch that says so is sealed.
    if due.is_empty() || state.resend_queued {
        return Ok(());
    }
    store.queue_own_history_for_sync()?;
    state.resend_queued = true;
    Ok(())
}

/// Compares the roster the sender trusted with this device's: a relay that
/// hides a newer version (a revocation, say) from this device, or shows
/// devices different versions, is found out by the other devices' word.
pub(super) fn compare_rosters(
    state: &SyncState,
    sender: DeviceId,
    batch: &ChangeBatch,
    report: &mut SyncReport,
) {
    let (version, hash) = batch.roster;
    let Some(ours) = state.rosters.iter().find(|r| r.version == version) else {
        if version > state.roster().map_or(0, |r| r.version) {
            report.roster_stale = true;
            report.problems.push(format!(
                "device {} trusts a newer device list (version {version}) than the relay gave this device; sync again, and if this stays, the relay is hiding it",
                short(sender)
            ));
        }
        return;
    };
    if ours.hash() != hash {
        report.problems.push(format!(
            "device {} trusts another device list at version {version} than this device: the relay shows devices different lists",
            short(sender)
        ));
    }
}

/// Remembers what an envelope tells about its sender: name, last seen, claims.
pub(super) fn note_sender(
    state: &mut SyncState,
    me: DeviceId,
    sender: DeviceId,
    received_unix: u64,
    batch: &ChangeBatch,
) {
    let info = state.devices.entry(sender).or_default();
    info.name = Some(batch.device_name.clone());
    info.last_seen_unix = Some(received_unix);
    for (seen_device, seq) in &batch.seen {
        let known = state.claims.get(seen_device).map_or(0, |c| c.0);
        if *seen_device != me && *seq > known {
            state.claims.insert(*seen_device, (*seq, sender));
        }
    }
    // Another device could not read one of ours: send our changes again (once).
    for (author, seq) in &batch.unreadable {
        if *author == me && *seq < state.next_seq && *seq >= state.resent_through {
            state.resend.insert(*seq);
        }
    }
    // Its author sent everything again: what we could not read is answered.
    if batch.resent_from > 0 {
        state
            .unreadable
            .retain(|(author, seq)| *author != sender || *seq >= batch.resent_from);
    }
}

pub(crate) fn short(device: DeviceId) -> String {
    device.to_string()[..8].to_string()
}

/// Report devices whose envelopes another device has seen but the relay did not give us.
pub(crate) fn check_claims(state: &SyncState, report: &mut SyncReport) {
    for (device, (claimed, by)) in &state.claims {
        let have = state.chain.last(*device).map_or(0, |(seq, _)| seq.0);
        if *claimed > have {
            report.problems.push(format!(
                "device {} has seen envelopes of device {} up to #{claimed}, but the relay gave this device only up to #{have}: the relay is withholding them",
                short(*by),
                short(*device)
            ));
        }
    }
}
