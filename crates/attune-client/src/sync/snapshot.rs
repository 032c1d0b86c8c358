//! Snapshots: sealing the whole journal so a new device need not replay every
//! envelope, and starting from one.
//!
//! A device takes a snapshot after a sync that left nothing to push, once
//! enough happened since the last one (see [`crate::sync::snapshot_policy`]:
//! envelopes, changes or bytes), or when asked (`attune sync --snapshot`),
//! uploads it, and asks the relay to compact
//! the envelopes it covers. A device with nothing yet (a new one), or one whose
//! cursor the relay has compacted past, starts from the newest snapshot it can
//! verify and then pulls only what came after it.

use std::collections::BTreeMap;

use attune_core::{Entry, EntryId};
use attune_crypto::{open_snapshot, seal_snapshot};
use attune_proto::{Cover, DeviceId, DeviceSeq, ErrorCode, RelaySeq, SnapshotHeader, WIRE_VERSION};
use serde::{Deserialize, Serialize};

use crate::store::schema_fingerprint;
use crate::sync::relay::RelayClient;
use crate::sync::state::ids;
use crate::sync::state::SyncState;
use crate::sync::{SyncError, SyncReport};
use crate::Store;

use crate::sync::assembly::Assemblies;
use crate::sync::snapshot_policy::save_state;

/// The format of a snapshot's plaintext this build writes.
const SNAPSHOT_VERSION: u8 = 2;

/// The plaintext of a snapshot (deflated postcard): every entry document, and the devices' names.
#[derive(Serialize, Deserialize)]
struct JournalSnapshot {
    /// Format version ([`SNAPSHOT_VERSION`]).
    v: u8,
    /// The schema fingerprint of the author's build: its rows are used only
    /// by a build that knows the same kinds and fields.
    schema: [u8; 8],
    /// Every entry.
    entries: Vec<SnapshotEntry>,
    /// The names devices gave themselves, as far as the author knew them.
    device_names: Vec<(DeviceId, String)>,
}

/// One entry of a snapshot.
#[derive(Serialize, Deserialize)]
struct SnapshotEntry {
    id: EntryId,
    /// Its saved (compressed) Automerge document: the truth.
    doc: serde_bytes::ByteBuf,
    /// What the author's lists show for it (postcard [`Entry`]), so a new
    /// device need not load thousands of documents to build its own (derived
    /// from `doc`, and read from it instead when this is unusable).
    row: Option<serde_bytes::ByteBuf>,
}

/// Snapshots of builds before stable codes: rows in declaration order.
#[derive(Deserialize)]
struct JournalSnapshotV1 {
    _v: u8,
    entries: Vec<SnapshotEntryV1>,
    device_names: Vec<(DeviceId, String)>,
}

#[derive(Deserialize)]
struct SnapshotEntryV1 {
    id: EntryId,
    doc: serde_bytes::ByteBuf,
    row: Option<attune_core::legacy::EntryV1>,
}

/// Entry documents with their rows (when usable), and device names.
type Contents = (
    Vec<(EntryId, Vec<u8>, Option<Entry>)>,
    Vec<(DeviceId, String)>,
);

/// Reads a snapshot's plaintext of this format or the one before it.
fn decode_contents(inflated: &[u8]) -> Result<Contents, &'static str> {
    let (v, _) =
        postcard::take_from_bytes::<u8>(inflated).map_err(|_| "its contents do not parse")?;
    match v {
        1 => {
            let old: JournalSnapshotV1 =
                postcard::from_bytes(inflated).map_err(|_| "its contents do not parse")?;
            let docs = old
                .entries
                .into_iter()
                .map(|e| (e.id, e.doc.into_vec(), e.row.map(|r| r.into_entry())))
                .collect();
            Ok((docs, old.device_names))
        }
        SNAPSHOT_VERSION => {
            let new: JournalSnapshot =
                postcard::from_bytes(inflated).map_err(|_| "its contents do not parse")?;
            let rows_usable = new.schema == schema_fingerprint();
            let docs = new
                .entries
                .into_iter()
                .map(|e| {
                    let row = e
                        .row
                        .filter(|_| rows_usable)
                        .and_then(|r| postcard::from_bytes::<Entry>(&r).ok());
                    (e.id, e.doc.into_vec(), row)
                })
                .collect();
            Ok((docs, new.device_names))
        }
        _ => Err("its contents are in a newer format; upgrade Attune"),
    }
}

/// Deflate level: fast; the documents inside are already compressed.
const DEFLATE_LEVEL: u32 = 1;
/// Largest inflated snapshot accepted (a bound against a decompression bomb from a faulty author).
const MAX_INFLATED: u64 = 1 << 30;

fn deflate(plain: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(plain.len() / 2),
        flate2::Compression::new(DEFLATE_LEVEL),
    );
    encoder.write_all(plain)?;
    encoder.finish()
}

fn inflate(compressed: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(compressed.len() * 2);
    flate2::read::DeflateDecoder::new(compressed)
        .take(MAX_INFLATED)
        .read_to_end(&mut out)?;
    Ok(out)
}

/// What a snapshot upload did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotTaken {
    /// The relay cursor it covers.
    pub cursor: u64,
    /// Entries in it.
    pub entries: usize,
    /// Sealed bytes uploaded.
    pub bytes: usize,
    /// Envelopes the relay deleted because the snapshot covers them.
    pub compacted: u64,
}

/// Seals the journal as of `state`, uploads it and asks the relay to compact.
///
/// `None` when there is still something to push (the covers must name only
/// envelopes the relay holds) or the relay already has a snapshot at least as new.
pub(crate) async fn take(
    client: &RelayClient,
    store: &mut Store,
    state: &SyncState,
) -> Result<Option<SnapshotTaken>, SyncError> {
    if store.pending_counts()? != (0, 0) || state.cursor == 0 {
        return Ok(None);
    }
    // Its covers must not name parts of a batch it does not hold yet.
    if Assemblies::load(store)?.unfinished() {
        return Ok(None);
    }
    let (journal, device) = ids(store)?;
    let mut heads: BTreeMap<DeviceId, (DeviceSeq, [u8; 32])> = state
        .chain
        .heads()
        .filter_map(|(d, _)| state.chain.last(d).map(|head| (d, head)))
        .collect();
    // This device's own envelopes are all in its documents, pulled back or not.
    if state.next_seq > 1 {
        let own = (DeviceSeq(state.next_seq - 1), state.last_hash);
        heads
            .entry(device)
            .and_modify(|h| {
                if h.0 < own.0 {
                    *h = own;
                }
            })
            .or_insert(own);
    }
    let covers: Vec<Cover> = heads
        .into_iter()
        .map(|(device_id, (device_seq, hash))| Cover {
            device_id,
            device_seq,
            hash,
        })
        .collect();
    // Sealed under the trusted roster's epoch, with the key it commits to.
    let ring = store.keyring();
    let Some(roster) = state.roster() else {
        return Ok(None);
    };
    if !store.holds_committed_key(roster.epoch, &state.rosters) {
        return Ok(None);
    }
    let Some((epoch, key)) = ring.for_roster(roster) else {
        return Ok(None);
    };
    let header = SnapshotHeader {
        v: WIRE_VERSION,
        journal_id: journal,
        device_id: device,
        epoch,
        cursor: RelaySeq(state.cursor),
        covers,
        created_unix: u64::try_from(crate::store::now_ms() / 1000).unwrap_or(0),
    };
    let entries = store.export_docs()?;
    let count = entries.len();
    let mut rows = store.view_rows()?;
    let mut device_names: Vec<(DeviceId, String)> = state
        .devices
        .iter()
        .filter_map(|(d, info)| info.name.clone().map(|n| (*d, n)))
        .collect();
    device_names.retain(|(d, _)| *d != device);
    device_names.push((device, store.config().device_name.clone()));
    let encoded = zeroize::Zeroizing::new(
        postcard::to_allocvec(&JournalSnapshot {
            v: SNAPSHOT_VERSION,
            schema: schema_fingerprint(),
            entries: entries
                .into_iter()
                .map(|(id, bytes)| SnapshotEntry {
                    id,
                    doc: serde_bytes::ByteBuf::from(bytes),
                    row: rows
                        .remove(&id)
                        .and_then(|row| postcard::to_allocvec(&row).ok())
                        .map(serde_bytes::ByteBuf::from),
                })
                .collect(),
            device_names,
        })
        .map_err(|e| crate::StoreError::damaged(store.dir(), e))?,
    );
    let plain = zeroize::Zeroizing::new(
        deflate(&encoded).map_err(|e| crate::StoreError::io(store.dir(), e))?,
    );
    drop(encoded);
    let snapshot = seal_snapshot(key, store.identity(), header, &plain)?;
    let bytes = snapshot.encode().len();
    let stored = match client.put_snapshot(&snapshot).await {
        Ok(stored) => stored,
        // Another device got there first with at least as much.
        Err(SyncError::Refused {
            code: ErrorCode::StaleSnapshot,
            ..
        }) => {
            save_state(store, state.applied_envelopes)?;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    save_state(store, state.applied_envelopes)?;
    let compacted = client.compact(stored.hash).await?;
    Ok(Some(SnapshotTaken {
        cursor: state.cursor,
        entries: count,
        bytes,
        compacted: compacted.deleted,
    }))
}

/// Starts from the relay's newest snapshot if it is ahead of this device.
///
/// Returns whether one was applied. The snapshot must verify (author in the
/// roster, signature, key, contents) and agree with this device's own chains;
/// its documents are merged (never replacing anything this device has), then
/// the chains and cursor move to what it covers.
pub(crate) async fn start_from(
    client: &RelayClient,
    store: &mut Store,
    state: &mut SyncState,
    report: &mut SyncReport,
) -> Result<bool, SyncError> {
    let (journal, device) = ids(store)?;
    let response = client.snapshot().await?;
    let Some(snapshot) = response.snapshot else {
        return Ok(false);
    };
    let header = &snapshot.header;
    if header.cursor.0 <= state.cursor {
        return Ok(false);
    }
    let plain = open_snapshot(&snapshot, &state.rosters, &store.keyring(), journal)?;
    for cover in &header.covers {
        if cover.device_id == device && cover.device_seq.0 >= state.next_seq {
            return Err(SyncError::StaleDevice(format!(
                "the journal's snapshot includes this device's envelope #{} but this directory has only sealed up to #{}",
                cover.device_seq.0,
                state.next_seq.saturating_sub(1)
            )));
        }
        if let Some((seq, hash)) = state.chain.last(cover.device_id) {
            if seq == cover.device_seq && hash != cover.hash {
                return Err(SyncError::Crypto(attune_crypto::CryptoError::BadSnapshot(
                    "it names a different envelope than this device applied",
                )));
            }
        }
    }
    let inflated = zeroize::Zeroizing::new(inflate(&plain).map_err(|_| {
        SyncError::Crypto(attune_crypto::CryptoError::BadSnapshot(
            "its contents do not inflate",
        ))
    })?);
    let (docs, device_names) = decode_contents(&inflated)
        .map_err(|why| SyncError::Crypto(attune_crypto::CryptoError::BadSnapshot(why)))?;
    report.restored_entries += store.merge_docs(docs)?;
    let mut assemblies = Assemblies::load(store)?;
    let first_start = state.cursor == 0;
    for cover in &header.covers {
        // Never back: this device may have applied more of a device than the author had.
        if state
            .chain
            .last(cover.device_id)
            .is_none_or(|(seq, _)| seq < cover.device_seq)
        {
            state
                .chain
                .set_head(cover.device_id, cover.device_seq, cover.hash);
        }
        assemblies.covered(cover.device_id, cover.device_seq.0);
    }
    assemblies.save(store)?;
    if first_start {
        // A snapshot of a relay that was re-seeded covers envelopes only the
        // old relay held; a device's next one here may come after a gap
        // nothing can fill. Accept its chain across it (said in the report,
        // and its author sends those changes again) rather than wait forever.
        let members: Vec<_> = state
            .roster()
            .map(|r| r.devices.iter().map(|d| d.device_id).collect())
            .unwrap_or_default();
        state.mark_bridgeable(members);
    }
    for (d, name) in device_names {
        let info = state.devices.entry(d).or_default();
        if info.name.is_none() {
            info.name = Some(name);
        }
    }
    state.cursor = header.cursor.0;
    // Envelopes it covers may still come after its cursor: not replays to warn about.
    state.high_water = state.high_water.max(response.head.0);
    state.save(store)?;
    save_state(store, state.applied_envelopes)?;
    report.snapshot_cursor = Some(header.cursor.0);
    Ok(true)
}
