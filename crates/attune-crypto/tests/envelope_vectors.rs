//! Golden vectors for envelope format v1: the sealed bytes must never change silently.

use attune_crypto::{
    genesis_roster, open_envelope, seal_envelope_with_nonce, verify_roster_chain, ChainState,
    DeviceIdentity, JournalKey, KeyRing,
};
use attune_proto::{DeviceId, DeviceSeq, Envelope, Epoch, JournalId, RosterDevice};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/envelope_v1.json");

/// A fixed test-only age secret; envelopes do not use it, the identity file needs one.
const AGE_SECRET: &str =
    "AGE-SECRET-KEY-1DP6Q8ZM5EL3RP42MNL3W8Q5HWWA4MGQ5JJF3CWS7ZQNR3QXCC9HSTHE5FY";

/// The device identity with a fixed Ed25519 seed, built through the identity file format.
fn identity(ed25519_seed: &[u8; 32]) -> DeviceIdentity {
    let text = format!(
        "# attune-identity-v1\n{AGE_SECRET}\n# ed25519-secret-key: {}\n",
        hex::encode(ed25519_seed)
    );
    DeviceIdentity::from_file_bytes(text.as_bytes(), None).unwrap()
}

fn field<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {name} missing"))
}

fn hex_array<const N: usize>(case: &Value, name: &str) -> [u8; N] {
    hex::decode(field(case, name))
        .unwrap()
        .try_into()
        .unwrap_or_else(|_| panic!("vector field {name} is not {N} bytes"))
}

fn number(case: &Value, name: &str) -> u64 {
    case[name]
        .as_u64()
        .unwrap_or_else(|| panic!("vector field {name} missing"))
}

/// The inputs of one case.
struct Input {
    key: [u8; 32],
    seed: [u8; 32],
    journal: JournalId,
    device: DeviceId,
    epoch: Epoch,
    seq: DeviceSeq,
    prev_hash: [u8; 32],
    nonce: [u8; 24],
    plaintext: Vec<u8>,
}

impl Input {
    fn from_case(case: &Value) -> Input {
        Input {
            key: hex_array(case, "key"),
            seed: hex_array(case, "ed25519_seed"),
            journal: JournalId(hex_array(case, "journal_id")),
            device: DeviceId(hex_array(case, "device_id")),
            epoch: Epoch(u32::try_from(number(case, "epoch")).unwrap()),
            seq: DeviceSeq(number(case, "device_seq")),
            prev_hash: hex_array(case, "prev_hash"),
            nonce: hex_array(case, "nonce"),
            plaintext: hex::decode(field(case, "plaintext")).unwrap(),
        }
    }

    fn seal(&self) -> Envelope {
        seal_envelope_with_nonce(
            &JournalKey::from_bytes(self.key),
            &identity(&self.seed),
            self.journal,
            self.device,
            self.epoch,
            self.seq,
            self.prev_hash,
            &self.plaintext,
            self.nonce,
        )
        .unwrap()
    }
}

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    assert_eq!(doc["format"], "attune-envelope-v1");
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 3);
    cases
}

#[test]
fn sealing_with_fixed_nonce_matches_vectors() {
    for case in cases() {
        let env = Input::from_case(&case).seal();
        let name = &case["name"];
        assert_eq!(
            hex::encode(&env.ciphertext),
            field(&case, "ciphertext"),
            "case {name}"
        );
        assert_eq!(
            hex::encode(env.signature),
            field(&case, "signature"),
            "case {name}"
        );
        assert_eq!(
            hex::encode(env.encode()),
            field(&case, "envelope"),
            "case {name}"
        );
        assert_eq!(
            hex::encode(env.hash()),
            field(&case, "envelope_hash"),
            "case {name}"
        );
    }
}

#[test]
fn vectors_open() {
    for case in cases() {
        let input = Input::from_case(&case);
        let env = Envelope::decode(&hex::decode(field(&case, "envelope")).unwrap()).unwrap();
        let device = identity(&input.seed);
        let key = JournalKey::from_bytes(input.key);
        let member = RosterDevice {
            device_id: input.device,
            verifying_key: device.verifying_key(),
            age_recipient: device.age_recipient(),
        };
        let rosters = [genesis_roster(
            &device,
            input.device,
            input.journal,
            vec![member],
            input.epoch,
            &key,
        )];
        verify_roster_chain(&rosters, input.journal).unwrap();
        let mut keys = KeyRing::new();
        keys.insert(input.epoch, key);
        let mut chain = ChainState::new();
        if input.seq.0 > 1 {
            chain.set_head(input.device, DeviceSeq(input.seq.0 - 1), input.prev_hash);
        }
        let opened = open_envelope(&env, &rosters, &keys, &chain, input.journal).unwrap();
        assert_eq!(
            hex::encode(opened),
            field(&case, "plaintext"),
            "case {}",
            case["name"]
        );
    }
}

/// Prints a fresh vector file; run once with `--ignored --nocapture`, then keep the file fixed.
#[test]
#[ignore = "generates tests/vectors/envelope_v1.json; the committed file must stay fixed"]
fn generate_vectors() {
    let first = Input {
        key: std::array::from_fn(|i| i as u8),
        seed: [0x11; 32],
        journal: JournalId(std::array::from_fn(|i| 0xf0 - i as u8)),
        device: DeviceId([0xd1; 16]),
        epoch: Epoch(1),
        seq: DeviceSeq(1),
        prev_hash: [0; 32],
        nonce: std::array::from_fn(|i| 0xa0 + i as u8),
        plaintext: b"a small change batch".to_vec(),
    };
    let first_hash = first.seal().hash();
    let inputs = [
        (
            "empty-first",
            Input {
                plaintext: Vec::new(),
                ..first.clone_with_nonce([0; 24])
            },
        ),
        ("first", first.clone_with_nonce(first.nonce)),
        (
            "second-chained",
            Input {
                seq: DeviceSeq(2),
                prev_hash: first_hash,
                plaintext: (0..=255u8).cycle().take(900).collect(),
                ..first.clone_with_nonce([0x5a; 24])
            },
        ),
        (
            "later-epoch-1k",
            Input {
                key: [0x42; 32],
                epoch: Epoch(7),
                seq: DeviceSeq(1_000_000),
                prev_hash: [0x33; 32],
                plaintext: vec![0x7b; 1025],
                ..first.clone_with_nonce(std::array::from_fn(|i| (i * 7) as u8))
            },
        ),
    ];
    let cases: Vec<Value> = inputs
        .iter()
        .map(|(name, input)| {
            let env = input.seal();
            serde_json::json!({
                "name": name,
                "key": hex::encode(input.key),
                "ed25519_seed": hex::encode(input.seed),
                "journal_id": hex::encode(input.journal.0),
                "device_id": hex::encode(input.device.0),
                "epoch": input.epoch.0,
                "device_seq": input.seq.0,
                "prev_hash": hex::encode(input.prev_hash),
                "nonce": hex::encode(input.nonce),
                "plaintext": hex::encode(&input.plaintext),
                "ciphertext": hex::encode(&env.ciphertext),
                "signature": hex::encode(env.signature),
                "envelope": hex::encode(env.encode()),
                "envelope_hash": hex::encode(env.hash()),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "format": "attune-envelope-v1",
        "description": "ciphertext = nonce(24) || XChaCha20-Poly1305(key, nonce, u32be(len) || plaintext || zeros to max(256, PADME(4 + len)), ad) || tag(16); ad = b\"attune-envelope-aad-v1\" || v(1) || journal_id(16) || device_id(16) || u32be(epoch) || u64be(device_seq) || prev_hash(32); signature = Ed25519(seed, BLAKE3(Envelope::signed_bytes())); envelope = Envelope::encode() (attune-proto postcard); envelope_hash = Envelope::hash()",
        "cases": cases,
    });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap());
}

impl Input {
    /// The same inputs with another nonce (Input holds a Vec, so no Copy).
    fn clone_with_nonce(&self, nonce: [u8; 24]) -> Input {
        Input {
            nonce,
            plaintext: self.plaintext.clone(),
            ..*self
        }
    }
}
