//! One full sync, step by step: seal, refresh the roster, pull, push, snapshot.

use crate::outbox::{self, seal_outbox};
use crate::sync::membership::{connect, refresh_roster};
use crate::sync::pull::pull_all;
use crate::sync::push::push_outbox;
use crate::sync::report::SyncReport;
use crate::sync::snapshot;
use crate::sync::state::SyncState;
use crate::sync::SyncError;
use crate::Store;

/// One full sync: seal the outbox, pull and apply everything new, then push
/// (and take a snapshot when one is due).
pub async fn sync_once(store: &mut Store) -> Result<SyncReport, SyncError> {
    sync_once_with(store, false).await
}

/// [`sync_once`], taking a snapshot whether or not one is due when `force_snapshot`.
pub async fn sync_once_with(
    store: &mut Store,
    force_snapshot: bool,
) -> Result<SyncReport, SyncError> {
    let mut state = SyncState::load(store)?;
    let mut report = SyncReport::default();
    seal_outbox(store, &mut state)?;
    let client = connect(store, &state).await?;
    refresh_roster(&client, store, &mut state, &mut report).await?;
    // The seal above may have used an older epoch if a new key just arrived;
    // envelopes already sealed stay valid, new ones use the newest key.
    seal_outbox(store, &mut state)?;
    // Pull first: if the relay holds envelopes of this device that this
    // directory does not know (an old copy restored), stop before pushing.
    // A device with nothing yet starts from the newest snapshot, if one verifies.
    if state.cursor == 0 {
        match snapshot::start_from(&client, store, &mut state, &mut report).await {
            Ok(_) => {}
            Err(SyncError::Crypto(e)) => report
                .problems
                .push(format!("{e}; pulling every envelope instead")),
            Err(e) => return Err(e),
        }
    }
    pull_all(&client, store, &mut state, &mut report).await?;
    // What the pull queued (changes to send again, a word about unreadable
    // envelopes) goes out with this sync's push.
    if outbox::has_changes_to_seal(store.dir()) {
        seal_outbox(store, &mut state)?;
    }
    // A gap the relay keeps open (an envelope withheld, or refused here and
    // never sent again) stops the cursor: a verified snapshot that covers it
    // lets this device move on instead of asking forever.
    if state.cursor < report.head {
        match snapshot::start_from(&client, store, &mut state, &mut report).await {
            Ok(true) => pull_all(&client, store, &mut state, &mut report).await?,
            Ok(false) => {}
            Err(SyncError::Crypto(e)) => report.problems.push(format!(
                "{e}; the gap stays until the missing envelopes arrive"
            )),
            Err(e) => return Err(e),
        }
    }
    report.pushed = push_outbox(&client, store).await?;
    if force_snapshot || crate::sync::snapshot_policy::due(store, &state, &report)? {
        // Pull back what was just pushed, so the snapshot covers it.
        pull_all(&client, store, &mut state, &mut report).await?;
        report.snapshot_taken = snapshot::take(&client, store, &state).await?;
    }
    state.last_sync_unix = Some(crate::store::now_ms() / 1000);
    state.problems = report.problems.clone();
    state.save(store)?;
    Ok(report)
}
