//! Putting back together the batches other devices sent in parts
//! ([`crate::sync::parts`]), kept sealed in `sync-assembly` between syncs.
//!
//! Envelopes of one device arrive verified and in sequence order, so the
//! rules are few:
//!
//! - part 0 starts a new batch for its device; an unfinished older one is
//!   dropped and reported (its sender stopped midway, and seals it again
//!   from part 0);
//! - any other part must follow the last one kept (next index, next
//!   sequence number, same count and length), or it is refused and the
//!   unfinished batch dropped;
//! - a part already kept is a replay (a crash after this file was saved
//!   and before the sync state was): it changes nothing;
//! - a batch longer than [`MAX_ASSEMBLED`] is refused from its first part.
//!
//! The file is saved before the sync state, so the chain never moves past a
//! part that is not kept.

use std::collections::BTreeMap;

use attune_proto::DeviceId;
use serde::{Deserialize, Serialize};

use crate::dir::layout::SYNC_ASSEMBLY_FILE;
use crate::sync::parts::{BatchPart, MAX_ASSEMBLED};
use crate::sync::word::short;
use crate::sync::SyncError;
use crate::{Store, StoreError};

/// Format of the `sync-assembly` file.
const ASSEMBLY_VERSION: u8 = 1;

/// The batches being put back together, per sending device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Assemblies {
    v: u8,
    devices: BTreeMap<DeviceId, Assembly>,
    /// Changed since it was loaded (never stored).
    #[serde(skip)]
    changed: bool,
}

/// What is known of one device's parts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Assembly {
    /// The sequence number of the device's last part taken in (kept or refused).
    last_seq: u64,
    /// The batch being put back together, if one is unfinished.
    open: Option<Unfinished>,
}

/// A batch of which some parts arrived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Unfinished {
    /// The sequence number of its part 0.
    first_seq: u64,
    /// How many parts it has.
    count: u32,
    /// Its encoded length.
    total_len: u64,
    /// The index the next part must have.
    next_index: u32,
    /// The bytes of the parts so far.
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
}

/// What adding a part did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// Already kept (a replay): nothing to do.
    Replay,
    /// Kept; more parts are to come.
    Kept,
    /// The last part: the whole encoded batch.
    Complete(Vec<u8>),
}

impl Default for Assemblies {
    fn default() -> Self {
        Assemblies {
            v: ASSEMBLY_VERSION,
            devices: BTreeMap::new(),
            changed: false,
        }
    }
}

impl Assemblies {
    /// Load the kept parts (none if this device never received a batch in parts).
    pub(crate) fn load(store: &Store) -> Result<Assemblies, SyncError> {
        let Some(bytes) = store.read_sealed_state(SYNC_ASSEMBLY_FILE)? else {
            return Ok(Assemblies::default());
        };
        let path = store.dir().join(SYNC_ASSEMBLY_FILE);
        if bytes.first() != Some(&ASSEMBLY_VERSION) {
            return Err(StoreError::damaged(&path, "unsupported version of the parts file").into());
        }
        postcard::from_bytes(&bytes).map_err(|e| StoreError::damaged(&path, e).into())
    }

    /// Save, if anything changed since loading (atomically).
    pub(crate) fn save(&mut self, store: &Store) -> Result<(), SyncError> {
        if !self.changed {
            return Ok(());
        }
        let path = store.dir().join(SYNC_ASSEMBLY_FILE);
        let bytes = postcard::to_allocvec(self).map_err(|e| StoreError::damaged(&path, e))?;
        store.write_sealed_state(SYNC_ASSEMBLY_FILE, &bytes)?;
        self.changed = false;
        Ok(())
    }

    /// Whether some batch is unfinished (a snapshot waits until none is: it
    /// must not cover parts whose batch it does not hold).
    pub(crate) fn unfinished(&self) -> bool {
        self.devices.values().any(|a| a.open.is_some())
    }

    /// Take in part `part`, envelope `seq` of `device`: a refusal says why;
    /// a batch dropped unfinished is reported in `problems`.
    pub(crate) fn add(
        &mut self,
        device: DeviceId,
        seq: u64,
        part: BatchPart,
        problems: &mut Vec<String>,
    ) -> Result<Added, String> {
        if self.devices.get(&device).is_some_and(|a| seq <= a.last_seq) {
            return Ok(Added::Replay);
        }
        self.changed = true;
        let entry = self.devices.entry(device).or_insert(Assembly {
            last_seq: 0,
            open: None,
        });
        let follows = entry.last_seq.checked_add(1) == Some(seq);
        entry.last_seq = seq;
        let open = entry.open.take();
        let refused = |why: String| Err(format!("it is a part of a large change, {why}"));
        if let Err(why) = check(&part) {
            if let Some(open) = open {
                problems.push(dropped(device, &open));
            }
            return refused(why);
        }
        let mut open = match (part.index, open) {
            (0, older) => {
                if let Some(older) = older {
                    problems.push(dropped(device, &older));
                }
                Unfinished {
                    first_seq: seq,
                    count: part.count,
                    total_len: part.total_len,
                    next_index: 0,
                    bytes: Vec::new(),
                }
            }
            (index, Some(open))
                if follows
                    && index == open.next_index
                    && part.count == open.count
                    && part.total_len == open.total_len =>
            {
                open
            }
            (index, older) => {
                if let Some(older) = older {
                    problems.push(dropped(device, &older));
                }
                return refused(format!(
                    "part {} of {}, that does not follow the parts received before it",
                    index.saturating_add(1),
                    part.count
                ));
            }
        };
        let len = open.bytes.len() as u64 + part.bytes.len() as u64;
        let last = open.next_index.checked_add(1) == Some(open.count);
        if len > open.total_len || (last && len != open.total_len) {
            return refused(format!(
                "whose parts do not add up to the {} bytes it announced",
                open.total_len
            ));
        }
        open.bytes.extend_from_slice(&part.bytes);
        open.next_index += 1;
        if last {
            return Ok(Added::Complete(open.bytes));
        }
        entry.open = Some(open);
        Ok(Added::Kept)
    }

    /// A whole batch of `device` arrived: an unfinished one of it never will.
    pub(crate) fn whole_batch(&mut self, device: DeviceId, seq: u64, problems: &mut Vec<String>) {
        let Some(entry) = self.devices.get_mut(&device) else {
            return;
        };
        if seq > entry.last_seq {
            if let Some(open) = entry.open.take() {
                problems.push(dropped(device, &open));
                self.changed = true;
            }
        }
    }

    /// A verified snapshot covers `device` up to `seq`: an unfinished batch
    /// whose parts it covers is in it (a snapshot is only taken when no batch
    /// is unfinished), and the rest of its parts will not be served.
    pub(crate) fn covered(&mut self, device: DeviceId, seq: u64) {
        let Some(entry) = self.devices.get_mut(&device) else {
            return;
        };
        if entry.last_seq <= seq && entry.open.is_some() {
            entry.open = None;
            self.changed = true;
        }
    }
}

/// The checks one part passes on its own.
fn check(part: &BatchPart) -> Result<(), String> {
    if part.total_len > MAX_ASSEMBLED {
        return Err(format!(
            "{} bytes long: more than the {} MiB this device puts back together",
            part.total_len,
            MAX_ASSEMBLED / (1024 * 1024)
        ));
    }
    if part.count < 2 || part.index >= part.count || u64::from(part.count) > part.total_len {
        return Err(format!(
            "numbered {} of {} for {} bytes",
            part.index.saturating_add(1),
            part.count,
            part.total_len
        ));
    }
    if part.bytes.is_empty() {
        return Err("an empty part".into());
    }
    Ok(())
}

/// The problem reported when an unfinished batch is dropped.
fn dropped(device: DeviceId, open: &Unfinished) -> String {
    format!(
        "a large change from device {} stopped after {} of its {} parts (envelopes #{}–#{}) and was dropped; that device sends it again",
        short(device),
        open.next_index,
        open.count,
        open.first_seq,
        open.first_seq + u64::from(open.next_index).saturating_sub(1)
    )
}

#[cfg(test)]
#[path = "assembly_tests.rs"]
mod tests;
