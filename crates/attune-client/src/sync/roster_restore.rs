//! Giving a relay back the roster versions it lacks.
//!
//! A relay re-seeded from a device that was behind (or restored from an old
//! backup) serves a roster chain that stops before the one this device
//! trusts. Every version is signed by a member, so this device can simply
//! append the missing ones, each with the keys it brought: every key for the
//! devices it added, and the key of the epoch it raised for every device it
//! lists. Versions the relay does not hold are never accepted *from* it; a
//! chain that differs from the trusted one is still refused.

use attune_crypto::wrap_journal_key;
use attune_proto::{ErrorCode, Roster, RosterUpdate, WrappedKey, WIRE_VERSION};

use crate::sync::relay::RelayClient;
use crate::sync::SyncError;
use crate::Store;

/// Whether `served` is a strict beginning of `trusted`: the relay is behind.
pub(crate) fn lags_behind(trusted: &[Roster], served: &[Roster]) -> bool {
    !served.is_empty() && served.len() < trusted.len() && trusted[..served.len()] == *served
}

/// Appends `trusted[from..]` on the relay, in order, with their keys.
pub(crate) async fn restore_versions(
    client: &RelayClient,
    store: &Store,
    trusted: &[Roster],
    from: usize,
) -> Result<usize, SyncError> {
    let mut restored = 0;
    for index in from.max(1)..trusted.len() {
        let (previous, version) = (&trusted[index - 1], &trusted[index]);
        let update = RosterUpdate {
            v: WIRE_VERSION,
            roster: version.clone(),
            keys: keys_brought(store, trusted, previous, version)?,
        };
        match client.put_roster(&update).await {
            Ok(()) => restored += 1,
            // Another device restored it first: the same signed version.
            Err(SyncError::Refused {
                code: ErrorCode::RosterConflict,
                ..
            }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(restored)
}

/// The keys `version` brought: every key (up to its epoch) for the devices
/// it added, and its epoch's key for every device when it raised the epoch.
fn keys_brought(
    store: &Store,
    trusted: &[Roster],
    previous: &Roster,
    version: &Roster,
) -> Result<Vec<WrappedKey>, SyncError> {
    let ring = store.keyring();
    let raised = version.epoch > previous.epoch;
    let mut keys = Vec::new();
    for member in &version.devices {
        let added = previous.device(member.device_id).is_none();
        for epoch in ring.epochs().filter(|e| *e <= version.epoch) {
            let wanted = added || (raised && epoch == version.epoch);
            if !wanted || !store.holds_committed_key(epoch, trusted) {
                continue;
            }
            if let Some(key) = ring.get(epoch) {
                keys.push(WrappedKey {
                    device_id: member.device_id,
                    epoch,
                    blob: wrap_journal_key(
                        key,
                        epoch.0,
                        std::slice::from_ref(&member.age_recipient),
                    )?,
                });
            }
        }
    }
    Ok(keys)
}
