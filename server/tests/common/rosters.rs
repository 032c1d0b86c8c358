//! Signed rosters for tests (genesis and next versions that follow the roster
//! rule), wrapped keys, and the roster and key requests.

use attune_proto::*;
use axum::http::Method;
use axum::Router;
use ed25519_dalek::Signer;

use super::{call, path, Device, Reply};

/// A valid-looking age X25519 recipient (`age1` and 58 bech32 characters) derived from one byte.
pub fn age_recipient(seed: u8) -> String {
    const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let tail: String = (0..58usize)
        .map(|i| char::from(BECH32[(usize::from(seed) * 7 + i * 13) % 32]))
        .collect();
    format!("age1{tail}")
}

/// A stand-in for the commitment to the journal key of `epoch` (the relay only keeps it).
pub fn commitment(epoch: Epoch) -> [u8; 32] {
    *blake3::hash(&epoch.0.to_le_bytes()).as_bytes()
}

/// Signs a roster with a device's key.
pub fn sign_roster(mut roster: Roster, signer: &Device) -> Roster {
    roster.signer = signer.id;
    roster.signature = signer.key.sign(&roster.signing_message()).to_bytes();
    roster
}

/// A genesis roster of `devices`, signed by `signer`.
pub fn genesis(journal: JournalId, devices: &[&Device], signer: &Device) -> Roster {
    let roster = Roster {
        v: ROSTER_VERSION,
        journal_id: journal,
        version: 1,
        prev_hash: [0; 32],
        epoch: Epoch(1),
        key_commitment: commitment(Epoch(1)),
        devices: devices.iter().map(|d| d.entry()).collect(),
        revoked: Vec::new(),
        signer: signer.id,
        signature: [0; 64],
    };
    sign_roster(roster, signer)
}

/// The next roster after `latest` at `epoch`, listing `devices` (those of
/// `latest` it leaves out are recorded as revoked), signed by `signer`.
pub fn next_roster_at(
    latest: &Roster,
    epoch: Epoch,
    devices: &[&Device],
    signer: &Device,
) -> Roster {
    let mut revoked = latest.revoked.clone();
    for gone in latest
        .devices
        .iter()
        .filter(|old| !devices.iter().any(|d| d.id == old.device_id))
    {
        revoked.push(RevokedDevice {
            device_id: gone.device_id,
            verifying_key: gone.verifying_key,
            last_seq: DeviceSeq(0),
            last_hash: [0; 32],
        });
    }
    let roster = Roster {
        v: ROSTER_VERSION,
        journal_id: latest.journal_id,
        version: latest.version + 1,
        prev_hash: latest.hash(),
        epoch,
        key_commitment: commitment(epoch),
        devices: devices.iter().map(|d| d.entry()).collect(),
        revoked,
        signer: signer.id,
        signature: [0; 64],
    };
    sign_roster(roster, signer)
}

/// The next roster after `latest` with a new key epoch (what every removal needs).
pub fn next_roster(latest: &Roster, devices: &[&Device], signer: &Device) -> Roster {
    next_roster_at(latest, Epoch(latest.epoch.0 + 1), devices, signer)
}

/// The next roster after `latest` at the same key epoch (adding devices only).
pub fn next_roster_same_epoch(latest: &Roster, devices: &[&Device], signer: &Device) -> Roster {
    next_roster_at(latest, latest.epoch, devices, signer)
}

/// A wrapped key (opaque bytes to the relay).
pub fn wrapped(device: &Device, epoch: u32, blob: &[u8]) -> WrappedKey {
    WrappedKey {
        device_id: device.id,
        epoch: Epoch(epoch),
        blob: blob.to_vec(),
    }
}

/// `PUT …/roster` of `roster` with `keys`.
pub async fn put_roster(
    router: &Router,
    journal: JournalId,
    token: &str,
    roster: Roster,
    keys: Vec<WrappedKey>,
) -> Reply {
    let update = RosterUpdate {
        v: WIRE_VERSION,
        roster,
        keys,
    };
    call(
        router,
        Method::PUT,
        &path(journal, "roster"),
        Some(token),
        update.encode(),
    )
    .await
}

/// `PUT …/keys` of `keys`.
pub async fn put_keys(
    router: &Router,
    journal: JournalId,
    token: &str,
    keys: Vec<WrappedKey>,
) -> Reply {
    let keys = WrappedKeys {
        v: WIRE_VERSION,
        keys,
    };
    call(
        router,
        Method::PUT,
        &path(journal, "keys"),
        Some(token),
        keys.encode(),
    )
    .await
}

/// `GET …/keys`: the keys wrapped to the token's device.
pub async fn get_keys(router: &Router, journal: JournalId, token: &str) -> Vec<WrappedKey> {
    let reply = call(
        router,
        Method::GET,
        &path(journal, "keys"),
        Some(token),
        vec![],
    )
    .await;
    WrappedKeys::decode(reply.ok()).unwrap().keys
}
