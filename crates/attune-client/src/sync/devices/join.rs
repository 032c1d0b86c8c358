//! Adding a device: the new device's join request, `device add` on an existing one.
//!
//! This is the simple, copy-and-paste flow: the new device prints its public
//! keys; an existing device signs a roster that includes them and wraps every
//! journal key to the new device. The relay carries both but can neither
//! forge the roster (it needs a member's signature) nor read the keys.
//! Pairing by a short code (`pair.rs`) runs this same flow over a rendezvous.

use attune_crypto::{
    check_roster_contains, next_roster, verify_roster_chain, wrap_journal_key, RosterChange,
};
use attune_proto::{DeviceId, JournalId, RosterDevice, RosterUpdate, WrappedKey, WIRE_VERSION};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::sync::relay::RelayClient;
use crate::sync::state::SyncState;
use crate::sync::{sync_once, SyncError, SyncReport};
use crate::{JoiningDevice, Store};

const PREFIX: &str = "attune-join-v1.";

/// What a new device tells an existing one: its ids and public keys, never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// Format version.
    pub v: u8,
    /// The new device's id.
    pub device_id: DeviceId,
    /// Its Ed25519 public key.
    pub verifying_key: [u8; 32],
    /// Its age X25519 recipient.
    pub age_recipient: String,
    /// The name the writer gave it.
    pub name: String,
}

impl JoinRequest {
    /// The request of a device waiting to join.
    pub fn of(device: &JoiningDevice) -> Result<JoinRequest, SyncError> {
        Ok(JoinRequest {
            v: 1,
            device_id: device.config().device_id,
            verifying_key: device.identity().verifying_key(),
            age_recipient: device.identity().age_recipient(),
            name: device.config().device_name.clone(),
        })
    }

    /// One line to copy to the existing device.
    pub fn encode(&self) -> String {
        let bytes = postcard::to_allocvec(self).unwrap_or_default();
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Read a pasted request.
    pub fn decode(text: &str) -> Result<JoinRequest, SyncError> {
        let body = text.trim().strip_prefix(PREFIX).ok_or_else(|| {
            SyncError::BadJoinRequest("it should start with attune-join-v1.".into())
        })?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|e| SyncError::BadJoinRequest(e.to_string()))?;
        let req: JoinRequest =
            postcard::from_bytes(&bytes).map_err(|e| SyncError::BadJoinRequest(e.to_string()))?;
        if req.v != 1 {
            return Err(SyncError::BadJoinRequest(format!(
                "unsupported version {}",
                req.v
            )));
        }
        Ok(req)
    }

    /// The fingerprint both devices show, to compare by eye.
    pub fn fingerprint(&self) -> String {
        attune_crypto::fingerprint_of(&self.age_recipient, &self.verifying_key)
    }
}

/// What `device add` (or pairing) gives the new device: the journal, and the
/// hash of the roster version that vouches for the new device.
///
/// The new device accepts the relay's roster chain only if it contains that
/// version, so a relay cannot show it a journal of its own making.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinTicket {
    /// The journal to join.
    pub journal: JournalId,
    /// [`attune_proto::Roster::hash`] of a roster version that lists the new device.
    pub roster_head: [u8; 32],
}

impl std::fmt::Display for JoinTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.journal, hex::encode(self.roster_head))
    }
}

impl std::str::FromStr for JoinTicket {
    type Err = SyncError;
    fn from_str(text: &str) -> Result<JoinTicket, SyncError> {
        let bad = |why: &str| SyncError::BadJoinRequest(format!("not a join ticket: {why}"));
        let (journal, head) = text
            .trim()
            .split_once('.')
            .ok_or_else(|| bad("it should be JOURNAL.ROSTER as printed by `attune device add`"))?;
        let journal = journal.parse().map_err(|_| bad("bad journal id"))?;
        let roster_head = hex::decode(head)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| bad("bad roster hash"))?;
        Ok(JoinTicket {
            journal,
            roster_head,
        })
    }
}

/// On an existing device: add the requesting device to the roster and wrap every key for it.
pub async fn add_device(store: &mut Store, request: &JoinRequest) -> Result<JoinTicket, SyncError> {
    // Sync first so the roster and keys are current and our own history is pushed.
    // Problems a sync reports (a bad envelope, say) do not stop a device from being added.
    sync_once(store).await?;
    add_device_after_sync(store, request).await
}

/// [`add_device`] for a caller that has just synced.
pub(crate) async fn add_device_after_sync(
    store: &mut Store,
    request: &JoinRequest,
) -> Result<JoinTicket, SyncError> {
    let mut state = SyncState::load(store)?;
    let journal = store.config().journal()?;
    let me = store.config().device_id;
    let client = crate::sync::membership::connect(store, &state).await?;
    let latest = state.roster().cloned().ok_or(SyncError::NotInRoster)?;
    if let Some(member) = latest.device(request.device_id) {
        if member.verifying_key != request.verifying_key
            || member.age_recipient != request.age_recipient
        {
            return Err(SyncError::BadJoinRequest(
                "a device with this id but other keys is already in the journal".into(),
            ));
        }
        // Already added (a repeated request): the version that lists it vouches for it.
        return Ok(JoinTicket {
            journal,
            roster_head: latest.hash(),
        });
    }
    // The recipient must be a real age key before anything is published.
    let ring = store.keyring();
    let mut wrapped = Vec::new();
    for epoch in ring.epochs().filter(|e| *e <= latest.epoch) {
        if let Some(key) = ring.get(epoch) {
            wrapped.push(WrappedKey {
                device_id: request.device_id,
                epoch,
                blob: wrap_journal_key(key, epoch.0, std::slice::from_ref(&request.age_recipient))?,
            });
        }
    }
    let key = ring.for_roster(&latest).ok_or_else(|| {
        SyncError::StaleDevice(format!(
            "this device holds no key of the journal's current epoch {}",
            latest.epoch.0
        ))
    })?;
    let mut devices = latest.devices.clone();
    devices.push(RosterDevice {
        device_id: request.device_id,
        verifying_key: request.verifying_key,
        age_recipient: request.age_recipient.clone(),
    });
    let roster = next_roster(
        store.identity(),
        me,
        &latest,
        RosterChange {
            devices,
            epoch: latest.epoch,
            key: key.1,
            last_envelopes: &|_| (attune_proto::DeviceSeq(0), [0; 32]),
        },
    );
    let mut chain = state.rosters.clone();
    chain.push(roster.clone());
    verify_roster_chain(&chain, journal).map_err(SyncError::Roster)?;
    // The roster and the new device's keys are stored in one step.
    client
        .put_roster(&RosterUpdate {
            v: WIRE_VERSION,
            roster: roster.clone(),
            keys: wrapped,
        })
        .await?;
    state.rosters = chain;
    // The request told us its name; others learn it from its first envelope.
    state.devices.entry(request.device_id).or_default().name = Some(request.name.clone());
    state.save(store)?;
    Ok(JoinTicket {
        journal,
        roster_head: roster.hash(),
    })
}

/// On the new device: fetch the roster and keys, become a full device, pull the journal.
///
/// The roster chain must verify from its genesis **and** contain the version
/// `ticket` names; only keys that chain commits to are kept.
pub async fn finish_join(
    joining: JoiningDevice,
    ticket: &JoinTicket,
) -> Result<(Store, SyncReport), SyncError> {
    let journal = ticket.journal;
    let device = joining.config().device_id;
    let relay = joining.config().relay.clone().ok_or(SyncError::NoRelay)?;
    let client = RelayClient::connect(&relay, journal, device, joining.identity(), None).await?;
    let rosters = client.rosters().await?;
    let latest = verify_roster_chain(&rosters, journal).map_err(SyncError::Roster)?;
    check_roster_contains(&rosters, ticket.roster_head).map_err(SyncError::Roster)?;
    if latest.device(device).is_none() {
        return Err(SyncError::NotInRoster);
    }
    let wrapped: Vec<WrappedKey> = client
        .keys()
        .await?
        .keys
        .into_iter()
        .filter(|k| k.device_id == device)
        .collect();
    let (mut store, refused) = joining.finish(journal, &rosters, &wrapped)?;
    let state = SyncState {
        rosters,
        ..SyncState::default()
    };
    state.save(&store)?;
    let mut report = sync_once(&mut store).await?;
    if refused > 0 {
        report.problems.push(format!(
            "{refused} journal key(s) the relay offered were refused: the journal's signed device list does not commit to them (planted)"
        ));
    }
    Ok((store, report))
}
