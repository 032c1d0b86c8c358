//! A journal with devices, rosters and keys, shared by the envelope tests.

#![allow(dead_code)] // Each test binary uses a different part.

use attune_crypto::{
    genesis_roster, next_roster, seal_envelope, DeviceIdentity, JournalKey, KeyRing,
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
        let genesis = genesis_roster(&a.identity, id, a.id, Epoch(1));
        let second = next_roster(
            &a.identity,
            a.id,
            &genesis,
            vec![a.entry(), b.entry()],
            Epoch(1),
        );
        let mut keys = KeyRing::new();
        keys.insert(Epoch(1), JournalKey::generate());
        Journal {
            id,
            a,
            b,
            rosters: vec![genesis, second],
            keys,
        }
    }

    /// Seals `plaintext` as envelope `seq` of `device` at the current epoch, chained to `prev`.
    pub fn seal(
        &self,
        device: &Device,
        seq: u64,
        prev: Option<&Envelope>,
        plaintext: &[u8],
    ) -> Envelope {
        let (epoch, key) = self.keys.current().unwrap();
        seal_envelope(
            key,
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
