//! Pulling every page after the cursor, noticing what the relay skipped.

use attune_proto::{ErrorCode, RelaySeq};

use crate::sync::inbound::process_page;
use crate::sync::relay::RelayClient;
use crate::sync::report::SyncReport;
use crate::sync::snapshot;
use crate::sync::state::SyncState;
use crate::sync::word::check_claims;
use crate::sync::SyncError;
use crate::Store;

/// Envelopes per pull page.
const PULL_PAGE: u32 = 500;
/// The widest run of relay numbers a page may skip that is taken as lost.
const MAX_HOLE: u64 = 10 * PULL_PAGE as u64;

/// Pull every page after the cursor.
pub(super) async fn pull_all(
    client: &RelayClient,
    store: &mut Store,
    state: &mut SyncState,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut after = state.cursor;
    loop {
        let page = match client.pull(RelaySeq(after), PULL_PAGE).await {
            // The relay deleted envelopes this device has not seen: they are
            // in the snapshot, which must be applied first.
            Err(SyncError::Refused {
                code: ErrorCode::Compacted,
                ..
            }) => {
                if !snapshot::start_from(client, store, state, report).await? {
                    return Err(SyncError::Network(
                        "the relay compacted envelopes this device has not seen but serves no newer snapshot".into(),
                    ));
                }
                after = state.cursor;
                continue;
            }
            other => other?,
        };
        report.head = page.head.0;
        report.received_bytes += page
            .envelopes
            .iter()
            .filter(|e| e.relay_seq.0 > state.cursor)
            .map(|e| e.envelope.ciphertext.len() as u64)
            .sum::<u64>();
        if page.head.0 < state.high_water {
            report.problems.push(format!(
                "the relay's history ends at #{} but this device has already seen #{}: the relay went back in time (restored from an old backup, or misbehaving); if it lost its data and was re-seeded, `attune relay set URL --restored` starts again from its beginning",
                page.head.0, state.high_water
            ));
        }
        // Relay sequence numbers have no gaps: a hole means the relay lost or hid something.
        let mut expected = after + 1;
        let mut holes = std::collections::BTreeSet::new();
        for stored in &page.envelopes {
            if stored.relay_seq.0 > expected && stored.relay_seq.0 > state.cursor {
                report.problems.push(format!(
                    "the relay skipped #{expected}{}: envelopes it numbered are missing",
                    if stored.relay_seq.0 - 1 > expected {
                        format!("–#{}", stored.relay_seq.0 - 1)
                    } else {
                        String::new()
                    }
                ));
                // (A hole wider than a few pages is not taken as lost: the
                // cursor stays before it and the relay is reported.)
                let start = expected.max(state.cursor + 1);
                if stored.relay_seq.0 - start <= MAX_HOLE {
                    holes.extend(start..stored.relay_seq.0);
                }
            }
            expected = stored.relay_seq.0 + 1;
        }
        let Some(last) = page.envelopes.last().map(|e| e.relay_seq.0) else {
            check_claims(state, report);
            return Ok(());
        };
        process_page(store, state, &page.envelopes, &holes, report)?;
        if last >= page.head.0 {
            check_claims(state, report);
            return Ok(());
        }
        after = last;
    }
}
