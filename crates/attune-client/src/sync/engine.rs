//! One sync (push the outbox, pull after the cursor) and the live `--watch` loop.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use attune_crypto::seal_envelope;
use attune_proto::{
    ClientFrame, ClientMessage, DeviceSeq, Envelope, Epoch, RelaySeq, ServerFrame, ServerMessage,
};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::files;
use crate::layout::OUTBOX_DIR;
use crate::sync::inbound::{check_claims, process_envelopes, process_page};
use crate::sync::membership::{connect, refresh_roster};
use crate::sync::outbox::{envelope_dir, outbox_envelopes};
use crate::sync::relay::RelayClient;
use crate::sync::report::SyncReport;
use crate::sync::snapshot;
use crate::sync::state::{ids, ChangeBatch, SyncState};
use crate::sync::SyncError;
use crate::{Store, StoreError};

/// Largest plaintext sealed into one envelope (the relay's default limit is 256 KiB).
const MAX_BATCH_BYTES: usize = 128 * 1024;
/// Envelopes per push request.
const PUSH_CHUNK: usize = 100;
/// Bytes per push request (the relay's default body limit is 1 MiB).
const PUSH_BYTES: usize = 768 * 1024;
/// Envelopes per pull page.
const PULL_PAGE: u32 = 500;
/// The widest run of relay numbers a page may skip that is taken as lost.
const MAX_HOLE: u64 = 10 * PULL_PAGE as u64;

/// Seal the outbox's changes into envelopes on disk (before any push).
pub fn seal_outbox(store: &Store, state: &mut SyncState) -> Result<usize, SyncError> {
    let (journal, device) = ids(store)?;
    // A crash after writing an envelope but before saving the state: catch up.
    if let Some((_, last)) = outbox_envelopes(store)?.last() {
        if last.device_seq.0 >= state.next_seq {
            state.next_seq = last.device_seq.0 + 1;
            state.last_hash = last.hash();
            state.save(store)?;
        }
    }
    // Seal only under the epoch of the roster this device trusts (epoch 1, the
    // genesis's, before the first sync), with the key that roster commits to.
    let ring = store.keyring();
    let epoch = state.roster().map_or(Epoch(1), |r| r.epoch);
    if state.roster().is_some() && !store.holds_committed_key(epoch, &state.rosters) {
        // The next roster refresh fetches the key (or says why it cannot).
        return Ok(0);
    }
    let Some(key) = ring.get(epoch) else {
        return Err(StoreError::damaged(&store.dir().join("keys"), "no journal key").into());
    };
    let pending = store.outbox_changes()?;
    if pending.is_empty() {
        return Ok(0);
    }
    let dir = envelope_dir(store);
    files::create_private_dir(&dir)?;
    let mut sealed = 0;
    let first_sealed = state.next_seq;
    let mut batch: Vec<attune_core::EntryChange> = Vec::new();
    let mut batch_files: Vec<PathBuf> = Vec::new();
    let mut batch_bytes = 0;
    let mut flush = |batch: &mut Vec<attune_core::EntryChange>,
                     batch_files: &mut Vec<PathBuf>,
                     state: &mut SyncState|
     -> Result<(), SyncError> {
        // An empty record (an announcement) still becomes an envelope.
        if batch.is_empty() && batch_files.is_empty() {
            return Ok(());
        }
        let mut plain = ChangeBatch::of(std::mem::take(batch), &store.config().device_name);
        plain.seen = state.chain.heads().map(|(d, seq)| (d, seq.0)).collect();
        plain.unreadable = state.unreadable.iter().copied().collect();
        plain.roster = state
            .roster()
            .map_or((0, [0; 32]), |r| (r.version, r.hash()));
        if state.resend_queued {
            plain.resent_from = first_sealed;
        }
        let plain = plain.encode();
        let env = seal_envelope(
            key,
            store.identity(),
            journal,
            device,
            epoch,
            DeviceSeq(state.next_seq),
            state.last_hash,
            &plain,
        )?;
        let path = dir.join(format!("{:020}.env", state.next_seq));
        files::write_atomic(&path, &env.encode())?;
        state.next_seq += 1;
        state.last_hash = env.hash();
        state.save(store)?;
        for f in batch_files.drain(..) {
            fs::remove_file(&f).map_err(|e| StoreError::io(&f, e))?;
        }
        sealed += 1;
        Ok(())
    };
    for (path, changes) in pending {
        let size: usize = changes.iter().map(|c| c.bytes.len() + 24).sum();
        if batch_bytes + size > MAX_BATCH_BYTES && !batch_files.is_empty() {
            flush(&mut batch, &mut batch_files, state)?;
            batch_bytes = 0;
        }
        batch.extend(changes);
        batch_files.push(path);
        batch_bytes += size;
    }
    flush(&mut batch, &mut batch_files, state)?;
    if sealed > 0 && state.resend_queued {
        state.resend.clear();
        state.resent_through = first_sealed;
        state.resend_queued = false;
        state.save(store)?;
    }
    Ok(sealed)
}

/// Push sealed envelopes; each file is deleted only after the relay acknowledged it.
pub async fn push_outbox(client: &RelayClient, store: &Store) -> Result<usize, SyncError> {
    let mut pushed = 0;
    loop {
        let waiting = outbox_envelopes(store)?;
        if waiting.is_empty() {
            return Ok(pushed);
        }
        let chunk = push_chunk(waiting);
        let envelopes: Vec<Envelope> = chunk.iter().map(|(_, e)| e.clone()).collect();
        let first = envelopes.first().map(|e| e.device_seq.0).unwrap_or(0);
        let resp = match push_with_retry(client, envelopes).await {
            Ok(r) => r,
            Err(SyncError::Refused { code, message, .. })
                if code == "out_of_order" || code == "seq_conflict" =>
            {
                // Acknowledged once (the ack was lost), then compacted into a
                // snapshot: the relay no longer holds it to compare, but the
                // snapshot covers it, so it is delivered.
                if code == "out_of_order" && drop_covered(client, store, &chunk).await? {
                    continue;
                }
                return Err(SyncError::StaleDevice(format!(
                    "the relay refused envelope {first}: {message}"
                )));
            }
            Err(e) => return Err(e),
        };
        for ack in &resp.acks {
            if let Some((path, _)) = chunk.iter().find(|(_, e)| e.device_seq == ack.device_seq) {
                fs::remove_file(path).map_err(|e| StoreError::io(path, e))?;
                pushed += 1;
            }
        }
        if resp.acks.is_empty() {
            return Ok(pushed);
        }
    }
}

/// Removes from the outbox the envelopes the relay's snapshot covers (they
/// were stored, then compacted); whether any were.
async fn drop_covered(
    client: &RelayClient,
    store: &Store,
    chunk: &[(PathBuf, Envelope)],
) -> Result<bool, SyncError> {
    let (journal, device) = ids(store)?;
    let Some(snapshot) = client.snapshot().await?.snapshot else {
        return Ok(false);
    };
    // Only a member's verified word counts, never the relay's.
    let state = SyncState::load(store)?;
    attune_crypto::open_snapshot(&snapshot, &state.rosters, &store.keyring(), journal)?;
    let covered = snapshot.header.covered(device);
    let mut dropped = false;
    for (path, env) in chunk {
        if env.device_seq <= covered {
            fs::remove_file(path).map_err(|e| StoreError::io(path, e))?;
            dropped = true;
        }
    }
    Ok(dropped)
}

/// The next envelopes to push in one request: at most [`PUSH_CHUNK`] of them
/// and [`PUSH_BYTES`] of encoding (always at least one).
fn push_chunk(waiting: Vec<(PathBuf, Envelope)>) -> Vec<(PathBuf, Envelope)> {
    let mut bytes = 0;
    let mut chunk = Vec::new();
    for (path, env) in waiting.into_iter().take(PUSH_CHUNK) {
        bytes += env.ciphertext.len() + 256;
        if bytes > PUSH_BYTES && !chunk.is_empty() {
            break;
        }
        chunk.push((path, env));
    }
    chunk
}

/// Push, retrying transient network failures with backoff (0.25 s, 0.5 s, 1 s, 2 s).
///
/// Safe to repeat: the relay answers a re-push of stored envelopes with the
/// same acknowledgement.
async fn push_with_retry(
    client: &RelayClient,
    envelopes: Vec<Envelope>,
) -> Result<attune_proto::PushResponse, SyncError> {
    let mut delay = Duration::from_millis(250);
    for _ in 0..4 {
        match client.push(envelopes.clone()).await {
            Err(SyncError::Network(_)) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    client.push(envelopes).await
}

/// Pull every page after the cursor.
async fn pull_all(
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
            Err(SyncError::Refused { code, .. }) if code == "compacted" => {
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
        if page.head.0 < state.high_water {
            report.problems.push(format!(
                "the relay's history ends at #{} but this device has already seen #{}: the relay went back in time (restored from an old backup, or misbehaving)",
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
    if has_changes_to_seal(store.dir()) {
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
    if force_snapshot || snapshot::due(store, &state)? {
        // Pull back what was just pushed, so the snapshot covers it.
        pull_all(&client, store, &mut state, &mut report).await?;
        report.snapshot_taken = snapshot::take(&client, store, &state).await?;
    }
    state.last_sync_unix = Some(crate::store::now_ms() / 1000);
    state.problems = report.problems.clone();
    state.save(store)?;
    Ok(report)
}

/// Something that can open the journal again (the watch loop holds no lock while idle).
pub type Opener<'a> = &'a mut dyn FnMut() -> Result<Store, StoreError>;

/// Sync live over a WebSocket until `stop` resolves, reconnecting with backoff.
///
/// `on_report` is called after every batch of work with what happened.
pub async fn watch(
    open: Opener<'_>,
    mut on_report: impl FnMut(&SyncReport),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), SyncError> {
    tokio::pin!(stop);
    let mut backoff = Duration::from_millis(500);
    loop {
        let session = async {
            let (client, cursor) = {
                let mut store = open()?;
                let report = sync_once(&mut store).await?;
                on_report(&report);
                let state = SyncState::load(&store)?;
                (connect(&store, &state).await?, state.cursor)
            };
            run_live(&client, open, cursor, &mut on_report).await
        };
        tokio::select! {
            _ = &mut stop => return Ok(()),
            result = session => {
                match result {
                    Err(e @ (SyncError::NotInRoster | SyncError::StaleDevice(_) | SyncError::Roster(_) | SyncError::NoRelay | SyncError::Store(_))) => return Err(e),
                    Err(e) => {
                        on_report(&SyncReport { problems: vec![format!("{e}; reconnecting in {} s", backoff.as_secs_f32())], ..Default::default() });
                    }
                    Ok(()) => backoff = Duration::from_millis(500),
                }
            }
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn run_live(
    client: &RelayClient,
    open: Opener<'_>,
    cursor: u64,
    on_report: &mut impl FnMut(&SyncReport),
) -> Result<(), SyncError> {
    let (mut ws, _) = tokio_tungstenite::connect_async(client.live_url())
        .await
        .map_err(|e| SyncError::Network(e.to_string()))?;
    let pull = ClientMessage::new(ClientFrame::Pull {
        after: RelaySeq(cursor),
    });
    ws.send(Message::Binary(pull.encode().into()))
        .await
        .map_err(|e| SyncError::Network(e.to_string()))?;
    let dir = open()?.dir().to_path_buf();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut in_flight = false;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let Some(msg) = msg else { return Err(SyncError::Network("the relay closed the live connection".into())) };
                let msg = msg.map_err(|e| SyncError::Network(e.to_string()))?;
                let bytes = match msg {
                    Message::Binary(b) => b,
                    Message::Close(_) => return Err(SyncError::Network("the relay closed the live connection".into())),
                    _ => continue,
                };
                match ServerMessage::decode(&bytes)?.frame {
                    ServerFrame::Envelopes(list) if list.is_empty() => {}
                    ServerFrame::Envelopes(list) => {
                        let mut store = open()?;
                        let mut state = SyncState::load(&store)?;
                        let mut report = SyncReport::default();
                        process_envelopes(&mut store, &mut state, &list, &mut report)?;
                        if !report.problems.is_empty() {
                            state.problems = report.problems.clone();
                            state.save(&store)?;
                        }
                        on_report(&report);
                        if report.roster_stale {
                            // A new device or key epoch: a full sync (on reconnect) fetches the roster.
                            return Err(SyncError::Network("the journal's device list changed; syncing again".into()));
                        }
                    }
                    ServerFrame::Acked(resp) => {
                        let store = open()?;
                        let mut report = SyncReport::default();
                        for (path, env) in outbox_envelopes(&store)? {
                            if resp.acks.iter().any(|a| a.device_seq == env.device_seq) {
                                fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                                report.pushed += 1;
                            }
                        }
                        in_flight = false;
                        on_report(&report);
                    }
                    ServerFrame::Error(e) => {
                        if e.error == "not_in_roster" {
                            return Err(SyncError::NotInRoster);
                        }
                        if e.error == "out_of_order" || e.error == "seq_conflict" {
                            return Err(SyncError::StaleDevice(e.message));
                        }
                        if e.error == "compacted" {
                            // Reconnecting syncs once first, which starts from the snapshot.
                            return Err(SyncError::Network(e.message));
                        }
                        in_flight = false;
                        on_report(&SyncReport { problems: vec![format!("the relay refused: {}", e.message)], ..Default::default() });
                    }
                }
            }
            _ = tick.tick() => {
                if in_flight || !has_outbox_work(&dir) {
                    continue;
                }
                let store = open()?;
                let mut state = SyncState::load(&store)?;
                seal_outbox(&store, &mut state)?;
                let envelopes: Vec<Envelope> = push_chunk(outbox_envelopes(&store)?).into_iter().map(|(_, e)| e).collect();
                drop(store);
                if !envelopes.is_empty() {
                    let push = ClientMessage::new(ClientFrame::Push(attune_proto::PushRequest { v: attune_proto::WIRE_VERSION, envelopes }));
                    ws.send(Message::Binary(push.encode().into())).await.map_err(|e| SyncError::Network(e.to_string()))?;
                    in_flight = true;
                }
            }
        }
    }
}

/// Whether the outbox holds anything, checked without taking the journal lock.
fn has_outbox_work(journal_dir: &std::path::Path) -> bool {
    has_changes_to_seal(journal_dir)
        || any_file(&journal_dir.join(OUTBOX_DIR).join("envelopes"), "env")
}

/// Whether change records wait in the outbox to be sealed (a directory listing, nothing opened).
fn has_changes_to_seal(journal_dir: &std::path::Path) -> bool {
    any_file(&journal_dir.join(OUTBOX_DIR), "chg")
}

fn any_file(dir: &std::path::Path, ext: &str) -> bool {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().and_then(|x| x.to_str()) == Some(ext))
        })
        .unwrap_or(false)
}
