//! What sync remembers between runs (sealed on disk), and the envelope plaintext.

use attune_core::EntryChange;
use attune_crypto::ChainState;
use attune_proto::{DeviceId, JournalId, Roster};
use serde::{Deserialize, Serialize};

use crate::sync::SyncError;
use crate::Store;

use crate::dir::layout::SYNC_STATE_FILE as STATE_FILE;
/// Format of the sync state: 2 since rosters commit to keys and record revocations.
const STATE_VERSION: u8 = 2;

/// Format of [`ChangeBatch`]: 2 added `roster`, `unreadable` and `resent_from`.
const BATCH_VERSION: u8 = 2;

/// The plaintext inside an envelope: a batch of Automerge changes, each tagged with its entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeBatch {
    /// Format version.
    pub v: u8,
    /// The changes (every one written by the sending device).
    pub changes: Vec<EntryChange>,
    /// How far the sender had seen each device's envelopes when it sealed this
    /// batch. Receivers compare it with what the relay gave them, so a relay
    /// that hides a device's newest envelopes is caught by the others.
    pub seen: Vec<(DeviceId, u64)>,
    /// The sender's name for itself ("laptop"), so other devices can show it.
    pub device_name: String,
    /// The version and hash of the roster the sender trusts: a receiver
    /// shown an older (or another) list by the relay finds out.
    pub roster: (u64, [u8; 32]),
    /// Envelopes (device, sequence number) the sender was served unreadable
    /// and skipped: their authors send their changes again.
    pub unreadable: Vec<(DeviceId, u64)>,
    /// When not 0: this batch and the others sealed with it send all the
    /// sender's changes again, starting at this envelope number, which
    /// answers every report about the sender's earlier envelopes.
    pub resent_from: u64,
}

impl ChangeBatch {
    /// A batch of `changes` from the device called `device_name`.
    pub fn of(changes: Vec<EntryChange>, device_name: &str) -> ChangeBatch {
        ChangeBatch {
            v: BATCH_VERSION,
            changes,
            seen: Vec::new(),
            device_name: device_name.to_string(),
            roster: (0, [0; 32]),
            unreadable: Vec::new(),
            resent_from: 0,
        }
    }

    /// Encode for sealing.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Decode an opened envelope's plaintext.
    pub fn decode(bytes: &[u8]) -> Result<ChangeBatch, String> {
        match bytes.first() {
            Some(&BATCH_VERSION) => {}
            Some(v) => return Err(format!("unsupported change batch version {v}")),
            None => return Err("an empty change batch".into()),
        }
        postcard::from_bytes(bytes).map_err(|e| e.to_string())
    }
}

/// Sync state of this device, sealed in `sync-state`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SyncState {
    /// Format version.
    pub v: u8,
    /// Every envelope up to this relay sequence number has been processed.
    pub cursor: u64,
    /// The highest relay sequence number ever seen (rollback detection).
    pub high_water: u64,
    /// Last sequence number and envelope hash applied, per device.
    pub chain: ChainState,
    /// The device sequence number of the next envelope this device seals.
    pub next_seq: u64,
    /// Hash of this device's last sealed envelope (zeros before the first).
    pub last_hash: [u8; 32],
    /// The verified roster chain, oldest first.
    pub rosters: Vec<Roster>,
    /// When the last sync finished (Unix seconds).
    pub last_sync_unix: Option<i64>,
    /// Problems found by the last sync, in plain words.
    pub problems: Vec<String>,
    /// The newest epoch whose key has been wrapped to the recovery device.
    pub recovery_epoch: u32,
    /// The highest sequence number other devices have reported seeing, per
    /// device, and which device reported it (withholding detection).
    pub claims: std::collections::BTreeMap<DeviceId, (u64, DeviceId)>,
    /// What this device knows of the others: name, first seen in the roster, last envelope.
    pub devices: std::collections::BTreeMap<DeviceId, DeviceInfo>,
    /// Per device, the sequence number of an envelope the relay served
    /// unreadable (damaged or forged): the device's next envelope is accepted
    /// across it, and its author sends its changes again.
    pub lost: std::collections::BTreeMap<DeviceId, u64>,
    /// Envelopes applied so far (replays and rejected ones not counted).
    pub applied_envelopes: u64,
    /// Envelopes of other devices this device was served unreadable and
    /// skipped, told to every device in what it seals until their authors
    /// say they sent the changes again.
    pub unreadable: std::collections::BTreeSet<(DeviceId, u64)>,
    /// This device's own envelopes reported unreadable, whose changes it
    /// has queued again: the next batch it seals says so.
    pub resend: std::collections::BTreeSet<u64>,
    /// This device's changes were last sent again with the envelopes sealed
    /// from this sequence number on: a report about an older envelope is
    /// already answered (so no one can make it send everything again and again).
    pub resent_through: u64,
    /// The changes for `resend` are in the outbox, waiting to be sealed.
    pub resend_queued: bool,
    /// The roster version whose removal of the recovery kit was already reported here.
    pub kit_removal_reported: u64,
    /// Set by a sync that has just verified the relay's roster: an envelope of
    /// an unknown device or epoch is then refused for good instead of waiting
    /// for a roster this device does not have yet. Never stored.
    #[serde(skip)]
    pub roster_fresh: bool,
}

/// What a device knows about another device of the journal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The name it gave itself, from its newest envelope.
    pub name: Option<String>,
    /// When this device first saw it in the roster (Unix seconds).
    pub added_unix: Option<i64>,
    /// When the relay received its newest envelope (Unix seconds).
    pub last_seen_unix: Option<u64>,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState {
            v: STATE_VERSION,
            cursor: 0,
            high_water: 0,
            chain: ChainState::new(),
            next_seq: 1,
            last_hash: [0; 32],
            rosters: Vec::new(),
            last_sync_unix: None,
            problems: Vec::new(),
            recovery_epoch: 0,
            claims: std::collections::BTreeMap::new(),
            devices: std::collections::BTreeMap::new(),
            lost: std::collections::BTreeMap::new(),
            applied_envelopes: 0,
            kit_removal_reported: 0,
            unreadable: Default::default(),
            resend: Default::default(),
            resent_through: 0,
            resend_queued: false,
            roster_fresh: false,
        }
    }
}

impl SyncState {
    /// Load the state (a fresh one if this device never synced).
    pub fn load(store: &Store) -> Result<SyncState, SyncError> {
        match store.read_sealed_state(STATE_FILE)? {
            None => Ok(SyncState::default()),
            Some(bytes) => {
                let path = store.dir().join(STATE_FILE);
                let version = bytes.first().copied().unwrap_or(0);
                if version != STATE_VERSION {
                    return Err(crate::StoreError::damaged(
                        &path,
                        format!("sync state version {version} is not supported: this version reads {STATE_VERSION} (journals synced by a version before signed key commitments cannot sync with this one; their entries stay readable)"),
                    )
                    .into());
                }
                postcard::from_bytes(&bytes)
                    .map_err(|e| crate::StoreError::damaged(&path, e).into())
            }
        }
    }

    /// Save the state atomically.
    pub fn save(&self, store: &Store) -> Result<(), SyncError> {
        let bytes = postcard::to_allocvec(self)
            .map_err(|e| crate::StoreError::damaged(&store.dir().join(STATE_FILE), e))?;
        store.write_sealed_state(STATE_FILE, &bytes)?;
        Ok(())
    }

    /// The latest trusted roster.
    pub fn roster(&self) -> Option<&Roster> {
        self.rosters.last()
    }

    /// Lets the next envelope of each of `devices` (and of every device this
    /// device has a chain for) be accepted across envelopes it will never get
    /// (after a move to another relay, or a first start from a snapshot): the
    /// `lost` mechanism, reported when it bridges.
    pub(crate) fn mark_bridgeable(&mut self, devices: impl IntoIterator<Item = DeviceId>) {
        let known: Vec<DeviceId> = self.chain.heads().map(|(d, _)| d).collect();
        for device in devices.into_iter().chain(known) {
            let next = self.chain.last(device).map_or(1, |(seq, _)| seq.0 + 1);
            self.lost.entry(device).or_insert(next);
        }
    }
}

/// The journal and device ids of an open journal.
pub(crate) fn ids(store: &Store) -> Result<(JournalId, DeviceId), SyncError> {
    let config = store.config();
    Ok((config.journal()?, config.device_id))
}
