//! Live sync while the UI runs: the same engine as `attune sync --watch`, on
//! a thread of its own, telling the pages when entries changed.

use std::sync::Arc;

use attune_client::sync::SyncReport;

use crate::state::{guard, Event, Shared};

/// Start syncing live; the thread ends when `stop` is dropped or sent.
pub fn start(shared: Arc<Shared>, stop: tokio::sync::oneshot::Receiver<()>) {
    let has_relay = shared
        .journal
        .open()
        .map(|s| s.config().relay.is_some())
        .unwrap_or(false);
    guard(&shared.live).relay = has_relay;
    if !has_relay {
        return;
    }
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let journal = shared.journal.clone();
        let mut open = move || journal.open();
        let on_report = |report: &SyncReport| record(&shared, report);
        let stop = async {
            let _ = stop.await;
        };
        let result = rt.block_on(attune_client::sync::watch(&mut open, on_report, stop));
        if let Err(e) = result {
            let mut live = guard(&shared.live);
            live.connected = false;
            live.problems = vec![format!("live sync stopped: {e}")];
            drop(live);
            shared.notify(Event::Sync);
        }
    });
}

fn record(shared: &Shared, report: &SyncReport) {
    let reconnecting = report.problems.iter().any(|p| p.contains("reconnecting"));
    {
        let mut live = guard(&shared.live);
        live.connected = !reconnecting;
        live.last_event_unix = Some(attune_client::store::now_ms() / 1000);
        live.problems = report.problems.clone();
    }
    if report.applied > 0 || report.restored_entries > 0 || report.pushed > 0 {
        shared.notify(Event::Changed);
    }
    shared.notify(Event::Sync);
}
