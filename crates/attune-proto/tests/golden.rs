//! Golden vectors: the fixed values below must encode to the committed bytes, byte for byte.
//!
//! Regenerate (only when the wire format deliberately changes, with a new
//! WIRE_VERSION) with `ATTUNE_BLESS=1 cargo test -p attune-proto --test golden`.

use std::path::PathBuf;

use attune_proto::*;

fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("{name}.hex"))
}

fn check(name: &str, bytes: &[u8]) {
    let path = vector_path(name);
    let actual = hex::encode(bytes);
    if std::env::var_os("ATTUNE_BLESS").is_some() {
        std::fs::write(&path, format!("{actual}\n")).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert_eq!(actual, expected.trim(), "vector {name} changed");
}

fn read_vector(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(vector_path(name)).unwrap();
    hex::decode(text.trim()).unwrap()
}

fn journal() -> JournalId {
    JournalId(std::array::from_fn(|i| i as u8))
}

fn device(first: u8) -> DeviceId {
    DeviceId(std::array::from_fn(|i| first + i as u8))
}

fn envelope() -> Envelope {
    Envelope {
        v: WIRE_VERSION,
        journal_id: journal(),
        device_id: device(0x10),
        epoch: Epoch(3),
        device_seq: DeviceSeq(2),
        prev_hash: [0xaa; 32],
        ciphertext: b"opaque ciphertext".to_vec(),
        signature: [0x55; 64],
    }
}

fn roster() -> Roster {
    Roster {
        v: WIRE_VERSION,
        journal_id: journal(),
        version: 2,
        prev_hash: [0x11; 32],
        epoch: Epoch(3),
        devices: vec![
            RosterDevice {
                device_id: device(0x10),
                verifying_key: [0x22; 32],
                age_recipient: "age1first".to_owned(),
            },
            RosterDevice {
                device_id: device(0x20),
                verifying_key: [0x33; 32],
                age_recipient: "age1second".to_owned(),
            },
        ],
        signer: device(0x10),
        signature: [0x44; 64],
    }
}

fn push_request() -> PushRequest {
    let first = envelope();
    let second = Envelope {
        device_seq: DeviceSeq(3),
        prev_hash: first.hash(),
        ciphertext: vec![0, 1, 2, 255],
        ..first.clone()
    };
    PushRequest {
        v: WIRE_VERSION,
        envelopes: vec![first, second],
    }
}

fn pull_response() -> PullResponse {
    PullResponse {
        v: WIRE_VERSION,
        envelopes: vec![StoredEnvelope {
            relay_seq: RelaySeq(7),
            received_unix: 1_700_000_000,
            envelope: envelope(),
        }],
        head: RelaySeq(9),
    }
}

#[test]
fn envelope_vector() {
    let value = envelope();
    check("envelope", &value.encode());
    check("envelope.signed_bytes", &value.signed_bytes());
    check("envelope.hash", &value.hash());
    assert_eq!(Envelope::decode(&read_vector("envelope")).unwrap(), value);
}

#[test]
fn roster_vector() {
    let value = roster();
    check("roster", &value.encode());
    check("roster.signing_message", &value.signing_message());
    check("roster.hash", &value.hash());
    assert_eq!(Roster::decode(&read_vector("roster")).unwrap(), value);
}

#[test]
fn push_request_vector() {
    let value = push_request();
    check("push_request", &value.encode());
    assert_eq!(
        PushRequest::decode(&read_vector("push_request")).unwrap(),
        value
    );
}

#[test]
fn pull_response_vector() {
    let value = pull_response();
    check("pull_response", &value.encode());
    assert_eq!(
        PullResponse::decode(&read_vector("pull_response")).unwrap(),
        value
    );
}

#[test]
fn auth_message_vector() {
    check(
        "auth_message",
        &auth_message(journal(), device(0x10), &[0x99; 32]),
    );
}

/// The layout spelled out by hand, so the vectors are not merely self-consistent.
#[test]
fn envelope_layout_is_as_documented() {
    let bytes = envelope().encode();
    assert_eq!(bytes[0], 1, "version byte first");
    assert_eq!(
        &bytes[1..17],
        journal().as_bytes(),
        "16 raw journal id bytes"
    );
    assert_eq!(
        &bytes[17..33],
        device(0x10).as_bytes(),
        "16 raw device id bytes"
    );
    assert_eq!(bytes[33], 3, "epoch varint");
    assert_eq!(bytes[34], 2, "device seq varint");
    assert_eq!(&bytes[35..67], &[0xaa; 32], "32 raw prev hash bytes");
    assert_eq!(bytes[67], 17, "ciphertext length varint");
    assert_eq!(&bytes[68..85], b"opaque ciphertext");
    assert_eq!(&bytes[85..], &[0x55; 64], "64 raw signature bytes");

    let signed = envelope().signed_bytes();
    assert_eq!(&signed[..18], b"attune-envelope-v1");
    assert_eq!(
        &signed[18..],
        &bytes[..85],
        "signed bytes are the encoding minus the signature"
    );
    assert_eq!(envelope().hash(), *blake3::hash(&bytes).as_bytes());
}

#[test]
fn roster_signing_message_is_encoding_minus_signature() {
    let value = roster();
    let bytes = value.encode();
    let message = value.signing_message();
    assert_eq!(&message[..16], b"attune-roster-v1");
    assert_eq!(&message[16..], &bytes[..bytes.len() - 64]);
    assert_eq!(
        value.device(device(0x20)).unwrap().age_recipient,
        "age1second"
    );
    assert!(value.device(device(0x30)).is_none());
}

#[test]
fn wrong_version_is_reported_before_anything_else() {
    let mut bytes = envelope().encode();
    bytes[0] = 2;
    assert_eq!(
        Envelope::decode(&bytes),
        Err(ProtoError::UnsupportedVersion(2))
    );
    // Even when the rest is garbage.
    assert_eq!(
        Roster::decode(&[9, 0xff]),
        Err(ProtoError::UnsupportedVersion(9))
    );
    assert_eq!(
        Challenge::decode(&[0]),
        Err(ProtoError::UnsupportedVersion(0))
    );
}

#[test]
fn truncated_empty_and_trailing_bytes_are_malformed() {
    let bytes = push_request().encode();
    for cut in 1..bytes.len() {
        assert!(
            matches!(
                PushRequest::decode(&bytes[..cut]),
                Err(ProtoError::Malformed(_))
            ),
            "cut at {cut}"
        );
    }
    assert!(matches!(
        PushRequest::decode(&[]),
        Err(ProtoError::Malformed(_))
    ));
    let mut longer = bytes.clone();
    longer.push(0);
    let err = PushRequest::decode(&longer).unwrap_err();
    assert_eq!(
        err,
        ProtoError::Malformed("PushRequest: 1 trailing bytes".into())
    );
}

#[test]
fn error_body_is_json_with_two_fields() {
    let body = ErrorBody::new("out_of_order", "expected device sequence 3");
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"error": "out_of_order", "message": "expected device sequence 3"})
    );
}

#[test]
fn session_debug_hides_the_token() {
    let session = Session {
        v: WIRE_VERSION,
        token: "secret-token".into(),
        expires_unix: 1,
    };
    assert!(!format!("{session:?}").contains("secret-token"));
}
