//! A journal with devices, rosters and keys, shared by the integration tests.

#![allow(dead_code)] // Each test binary uses a different part.

use attune_crypto::{
    genesis_roster, next_roster, seal_envelope, DeviceIdentity, JournalKey, KeyRing, RosterChange,
};
use attune_proto::{DeviceId, DeviceSeq, Envelope, Epoch, JournalId, Roster, RosterDevice};

/// One device: its id and keys.
pub struct Device {
    pub id: DeviceId,
    pub identity: DeviceIdentity,
}

impl Device {
    pub fn new(tag: u8) -> Device {
        Device {
            id: DeviceId([tag; 16]),
            identity: DeviceIdentity::generate(),
        }
    }

    pub fn entry(&self) -> RosterDevice {
        RosterDevice {
            device_id: self.id,
            verifying_key: self.identity.verifying_key(),
            age_recipient: self.identity.age_recipient(),
        }
    }
}

/// For [`RosterChange::last_envelopes`]: no removed device sent anything.
pub fn no_envelopes(_: DeviceId) -> (DeviceSeq, [u8; 32]) {
    (DeviceSeq(0), [0; 32])
}

/// The version after `previous` with `devices` at `epoch` (committing to `key`),
/// signed by `signer`; removed devices are recorded as having sent nothing.
pub fn next(
    signer: &Device,
    previous: &Roster,
    devices: Vec<RosterDevice>,
    epoch: Epoch,
    key: &JournalKey,
) -> Roster {
    next_roster(
        &signer.identity,
        signer.id,
        previous,
        RosterChange {
            devices,
            epoch,
            key,
            last_envelopes: &no_envelopes,
        },
    )
}

/// A journal with devices A and B at epoch 1 (roster versions 1 and 2).
pub struct Journal {
    pub id: JournalId,
    pub a: Device,
    pub b: Device,
    pub rosters: Vec<Roster>,
    pub keys: KeyRing,
}

impl Journal {
    pub fn new() -> Journal {
        let id = JournalId([0x4a; 16]);
        let a = Device::new(0xa0);
        let b = Device::new(0xb0);
        let key = JournalKey::generate();
        let genesis = genesis_roster(&a.identity, a.id, id, vec![a.entry()], Epoch(1), &key);
        let second = next(&a, &genesis, vec![a.entry(), b.entry()], Epoch(1), &key);
        let mut keys = KeyRing::new();
        keys.insert(Epoch(1), key);
        Journal {
            id,
            a,
            b,
            rosters: vec![genesis, second],
            keys,
        }
    }

    /// The newest roster version.
    pub fn latest(&self) -> &Roster {
        self.rosters.last().expect("a journal has a genesis")
    }

    /// The key of `epoch`, which the journal must hold.
    pub fn key(&self, epoch: Epoch) -> &JournalKey {
        self.keys.get(epoch).expect("the journal holds this epoch")
    }

    /// The next roster version, in which `remover` removes `removed` (whose last
    /// envelope `remover` applied is `last`) with a fresh key at the next epoch;
    /// [`Journal::adopt`] it.
    pub fn revocation(
        &self,
        remover: &Device,
        removed: DeviceId,
        last: Option<&Envelope>,
    ) -> (Roster, JournalKey) {
        let previous = self.latest();
        let devices = previous
            .devices
            .iter()
            .filter(|d| d.device_id != removed)
            .cloned()
            .collect();
        let epoch = Epoch(previous.epoch.0 + 1);
        let key = JournalKey::generate();
        let recorded = last.map_or((DeviceSeq(0), [0; 32]), |e| (e.device_seq, e.hash()));
        let roster = next_roster(
            &remover.identity,
            remover.id,
            previous,
            RosterChange {
                devices,
                epoch,
                key: &key,
                last_envelopes: &|id| {
                    assert_eq!(id, removed, "only the removed device is recorded");
                    recorded
                },
            },
        );
        (roster, key)
    }

    /// Appends a roster version and holds the key of its epoch.
    pub fn adopt(&mut self, roster: Roster, key: JournalKey) {
        self.keys.insert(roster.epoch, key);
        self.rosters.push(roster);
    }

    /// Seals `plaintext` as envelope `seq` of `device` under the newest roster's epoch, chained to `prev`.
    pub fn seal(
        &self,
        device: &Device,
        seq: u64,
        prev: Option<&Envelope>,
        plaintext: &[u8],
    ) -> Envelope {
        let (epoch, _) = self.keys.for_roster(self.latest()).unwrap();
        self.seal_at(device, epoch, seq, prev, plaintext)
    }

    /// Seals `plaintext` as envelope `seq` of `device` under the key of `epoch`, chained to `prev`.
    pub fn seal_at(
        &self,
        device: &Device,
        epoch: Epoch,
        seq: u64,
        prev: Option<&Envelope>,
        plaintext: &[u8],
    ) -> Envelope {
        seal_envelope(
            self.key(epoch),
            &device.identity,
            self.id,
            device.id,
            epoch,
            DeviceSeq(seq),
            prev.map_or([0; 32], Envelope::hash),
            plaintext,
        )
        .unwrap()
    }

    /// A chain of `n` envelopes of `device`, sequence numbers 1..=n.
    pub fn chain_of(&self, device: &Device, n: u64) -> Vec<Envelope> {
        let mut out: Vec<Envelope> = Vec::new();
        for seq in 1..=n {
            let env = self.seal(device, seq, out.last(), format!("batch {seq}").as_bytes());
            out.push(env);
        }
        out
    }
}

/// Signs `env` again with `identity`, as a device would (BLAKE3 of the signed bytes).
pub fn resign(env: &mut Envelope, identity: &DeviceIdentity) {
    env.signature = identity.sign(blake3::hash(&env.signed_bytes()).as_bytes());
}
