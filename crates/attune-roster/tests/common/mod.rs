//! Helpers of the roster rule tests: devices with deterministic keys, and
//! signed versions built the way honest devices build them.
#![allow(dead_code)]

use attune_proto::{
    DeviceId, DeviceSeq, Epoch, JournalId, RevokedDevice, Roster, RosterDevice, ROSTER_VERSION,
};
use attune_roster::RosterError;
use ed25519_dalek::{Signer, SigningKey};

pub const J: JournalId = JournalId([9; 16]);

/// A device: id and signing key from one byte.
pub struct Device {
    pub id: DeviceId,
    pub key: SigningKey,
}

pub fn device(n: u8) -> Device {
    Device {
        id: DeviceId([n; 16]),
        key: SigningKey::from_bytes(&[n; 32]),
    }
}

/// `age1` and 58 bech32 characters, different for each byte.
pub fn recipient(n: u8) -> String {
    const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let tail: String = (0..58usize)
        .map(|i| char::from(BECH32[(usize::from(n) * 5 + i * 11) % 32]))
        .collect();
    format!("age1{tail}")
}

pub fn entry(d: &Device) -> RosterDevice {
    RosterDevice {
        device_id: d.id,
        verifying_key: d.key.verifying_key().to_bytes(),
        age_recipient: recipient(d.id.0[0]),
    }
}

pub fn commitment(epoch: u32) -> [u8; 32] {
    let mut c = [0xc0; 32];
    c[..4].copy_from_slice(&epoch.to_le_bytes());
    c
}

pub fn sign(mut roster: Roster, signer: &Device) -> Roster {
    roster.signer = signer.id;
    roster.signature = signer.key.sign(&roster.signing_message()).to_bytes();
    roster
}

pub fn genesis(devices: &[&Device], signer: &Device) -> Roster {
    sign(
        Roster {
            v: ROSTER_VERSION,
            journal_id: J,
            version: 1,
            prev_hash: [0; 32],
            epoch: Epoch(1),
            key_commitment: commitment(1),
            devices: devices.iter().map(|d| entry(d)).collect(),
            revoked: Vec::new(),
            signer: signer.id,
            signature: [0; 64],
        },
        signer,
    )
}

/// The next version listing `devices` at `epoch`; removed devices are recorded as revoked.
pub fn next(previous: &Roster, epoch: u32, devices: &[&Device], signer: &Device) -> Roster {
    let mut revoked = previous.revoked.clone();
    for gone in previous
        .devices
        .iter()
        .filter(|old| !devices.iter().any(|d| d.id == old.device_id))
    {
        revoked.push(RevokedDevice {
            device_id: gone.device_id,
            verifying_key: gone.verifying_key,
            last_seq: DeviceSeq(3),
            last_hash: [3; 32],
        });
    }
    sign(
        Roster {
            v: ROSTER_VERSION,
            journal_id: J,
            version: previous.version + 1,
            prev_hash: previous.hash(),
            epoch: Epoch(epoch),
            key_commitment: commitment(epoch),
            devices: devices.iter().map(|d| entry(d)).collect(),
            revoked,
            signer: signer.id,
            signature: [0; 64],
        },
        signer,
    )
}

/// A change to a roster.
pub type Edit = Box<dyn Fn(&mut Roster)>;

/// Changes a roster with `edit`, then signs it again with `signer`.
pub fn resigned(roster: &Roster, signer: &Device, edit: impl FnOnce(&mut Roster)) -> Roster {
    let mut roster = roster.clone();
    edit(&mut roster);
    sign(roster, signer)
}

#[track_caller]
pub fn invalid(result: Result<(), RosterError>, version: u64, reason: &str) {
    match result {
        Err(RosterError::Invalid {
            version: v,
            reason: r,
        }) => {
            assert_eq!(v, version);
            assert!(r.contains(reason), "{r:?} does not say {reason:?}");
        }
        other => panic!("expected Invalid({reason}), got {other:?}"),
    }
}
