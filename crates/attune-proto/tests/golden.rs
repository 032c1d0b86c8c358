//! Golden vectors: the fixed values below must encode to the committed bytes, byte for byte.
//!
//! Regenerate only when a format deliberately changes, with a new version
//! byte ([`WIRE_VERSION`], or [`ROSTER_VERSION`] for rosters), and only the
//! vectors of that format: `ATTUNE_BLESS=roster,roster_update,roster_list
//! cargo test -p attune-proto --test golden` rewrites the named vectors (a
//! name also covers its `name.*` vectors); `ATTUNE_BLESS=1` rewrites all.
//! Then check with `git diff` that no other vector moved.

use std::path::PathBuf;

use attune_proto::*;

fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("{name}.hex"))
}

/// Whether `ATTUNE_BLESS` asks for vector `name` to be rewritten.
fn blessing(name: &str) -> bool {
    let Some(names) = std::env::var_os("ATTUNE_BLESS") else {
        return false;
    };
    let names = names.to_string_lossy().into_owned();
    names == "1"
        || names.split(',').any(|blessed| {
            let blessed = blessed.trim();
            name == blessed || name.starts_with(&format!("{blessed}."))
        })
}

fn check(name: &str, bytes: &[u8]) {
    let path = vector_path(name);
    let actual = hex::encode(bytes);
    if blessing(name) {
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
        v: ROSTER_VERSION,
        journal_id: journal(),
        version: 2,
        prev_hash: [0x11; 32],
        epoch: Epoch(3),
        key_commitment: [0x66; 32],
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
        revoked: vec![RevokedDevice {
            device_id: device(0x30),
            verifying_key: [0x77; 32],
            last_seq: DeviceSeq(300),
            last_hash: [0x88; 32],
        }],
        signer: device(0x10),
        signature: [0x44; 64],
    }
}

fn roster_update() -> RosterUpdate {
    RosterUpdate {
        v: WIRE_VERSION,
        roster: roster(),
        keys: vec![
            WrappedKey {
                device_id: device(0x10),
                epoch: Epoch(3),
                blob: b"age file for the first".to_vec(),
            },
            WrappedKey {
                device_id: device(0x20),
                epoch: Epoch(3),
                blob: vec![0, 1, 2, 255],
            },
        ],
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
fn roster_update_vector() {
    let value = roster_update();
    check("roster_update", &value.encode());
    assert_eq!(
        RosterUpdate::decode(&read_vector("roster_update")).unwrap(),
        value
    );
}

#[test]
fn roster_list_vector() {
    let first = Roster {
        version: 1,
        prev_hash: [0; 32],
        revoked: vec![],
        ..roster()
    };
    let value = RosterList {
        v: WIRE_VERSION,
        rosters: vec![first, roster()],
    };
    check("roster_list", &value.encode());
    assert_eq!(
        RosterList::decode(&read_vector("roster_list")).unwrap(),
        value
    );
}

/// A roster of format version 1 (before key commitments and revocations) is refused, not misread.
#[test]
fn version_1_rosters_are_refused() {
    let old = read_vector("roster_v1");
    assert_eq!(old[0], 1);
    assert_eq!(Roster::decode(&old), Err(ProtoError::UnsupportedVersion(1)));
    let mut list = vec![WIRE_VERSION, 1];
    list.extend_from_slice(&old);
    assert!(matches!(
        RosterList::decode(&list),
        Err(ProtoError::Malformed(_))
    ));
    // Nor is a version 2 roster with its version byte put back to 1.
    let mut relabelled = roster().encode();
    relabelled[0] = 1;
    assert_eq!(
        Roster::decode(&relabelled),
        Err(ProtoError::UnsupportedVersion(1))
    );
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
    assert_eq!(&message[..16], b"attune-roster-v2");
    assert_eq!(&message[16..], &bytes[..bytes.len() - 64]);
    assert_eq!(value.hash(), *blake3::hash(&bytes).as_bytes());
    assert_eq!(
        value.device(device(0x20)).unwrap().age_recipient,
        "age1second"
    );
    assert!(value.device(device(0x30)).is_none());
    assert_eq!(
        value.revoked_device(device(0x30)).unwrap().last_seq,
        DeviceSeq(300)
    );
    assert!(value.revoked_device(device(0x10)).is_none());
}

/// The roster layout spelled out by hand: every signed field, in order.
#[test]
fn roster_layout_is_as_documented() {
    let bytes = roster().encode();
    assert_eq!(bytes[0], ROSTER_VERSION, "roster format version first");
    assert_eq!(ROSTER_VERSION, 2);
    assert_eq!(&bytes[1..17], journal().as_bytes(), "journal id");
    assert_eq!(bytes[17], 2, "roster version varint");
    assert_eq!(&bytes[18..50], &[0x11; 32], "prev hash");
    assert_eq!(bytes[50], 3, "epoch varint");
    assert_eq!(&bytes[51..83], &[0x66; 32], "key commitment");
    assert_eq!(bytes[83], 2, "device count");
    assert_eq!(&bytes[84..100], device(0x10).as_bytes());
    assert_eq!(&bytes[100..132], &[0x22; 32]);
    assert_eq!(bytes[132], 9, "age recipient length");
    assert_eq!(&bytes[133..142], b"age1first");
    assert_eq!(&bytes[142..158], device(0x20).as_bytes());
    assert_eq!(&bytes[158..190], &[0x33; 32]);
    assert_eq!(bytes[190], 10);
    assert_eq!(&bytes[191..201], b"age1second");
    assert_eq!(bytes[201], 1, "revoked count");
    assert_eq!(&bytes[202..218], device(0x30).as_bytes(), "revoked id");
    assert_eq!(&bytes[218..250], &[0x77; 32], "revoked verifying key");
    assert_eq!(&bytes[250..252], &[0xac, 0x02], "last seq varint (300)");
    assert_eq!(&bytes[252..284], &[0x88; 32], "last hash");
    assert_eq!(&bytes[284..300], device(0x10).as_bytes(), "signer");
    assert_eq!(&bytes[300..], &[0x44; 64], "64 raw signature bytes");
}

/// A roster update is a wire-version-1 message around a roster that keeps its own version byte.
#[test]
fn roster_update_layout_is_as_documented() {
    let update = roster_update();
    let bytes = update.encode();
    let roster = roster().encode();
    assert_eq!(bytes[0], WIRE_VERSION);
    assert_eq!(&bytes[1..1 + roster.len()], &roster[..]);
    assert_eq!(bytes[1], ROSTER_VERSION);
    let keys = WrappedKeys {
        v: WIRE_VERSION,
        keys: update.keys.clone(),
    }
    .encode();
    assert_eq!(
        &bytes[1 + roster.len()..],
        &keys[1..],
        "then the keys as in WrappedKeys"
    );
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
    // Rosters have their own version; every other message keeps the wire version.
    assert_eq!(
        Roster::decode(&[WIRE_VERSION, 0xff]),
        Err(ProtoError::UnsupportedVersion(WIRE_VERSION))
    );
    assert!(matches!(
        Roster::decode(&[ROSTER_VERSION, 0xff]),
        Err(ProtoError::Malformed(_))
    ));
    assert_eq!(
        RosterUpdate::decode(&[ROSTER_VERSION, 0xff]),
        Err(ProtoError::UnsupportedVersion(ROSTER_VERSION))
    );
    assert_eq!(
        RosterList::decode(&[ROSTER_VERSION, 0xff]),
        Err(ProtoError::UnsupportedVersion(ROSTER_VERSION))
    );
    assert_eq!(<Roster as WireMessage>::VERSION, ROSTER_VERSION);
    assert_eq!(<RosterUpdate as WireMessage>::VERSION, WIRE_VERSION);
    assert_eq!(<RosterList as WireMessage>::VERSION, WIRE_VERSION);
    assert_eq!(<Envelope as WireMessage>::VERSION, WIRE_VERSION);
    assert_eq!(decode_message::<Roster>(&roster().encode()), Ok(roster()));
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
    let body = ErrorBody::new(ErrorCode::OutOfOrder, "expected device sequence 3");
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

#[test]
fn pairing_open_and_cancel_vectors() {
    let open = PairingOpen {
        v: WIRE_VERSION,
        cancel_commitment: std::array::from_fn(|i| i as u8),
    };
    check("pairing_open", &open.encode());
    assert_eq!(
        PairingOpen::decode(&read_vector("pairing_open")).unwrap(),
        open
    );
    let cancel = PairingCancel {
        v: WIRE_VERSION,
        cancel_token: std::array::from_fn(|i| 0xa0 + i as u8),
    };
    check("pairing_cancel", &cancel.encode());
    assert_eq!(
        PairingCancel::decode(&read_vector("pairing_cancel")).unwrap(),
        cancel
    );
    // The token never shows in logs.
    assert!(!format!("{cancel:?}").contains("160"));
}
