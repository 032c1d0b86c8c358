//! Property tests: decoding arbitrary bytes never panics, and encoding round-trips.

use attune_proto::*;
use proptest::prelude::*;

fn id16() -> impl Strategy<Value = [u8; 16]> {
    any::<[u8; 16]>()
}

fn sig() -> impl Strategy<Value = [u8; 64]> {
    prop::collection::vec(any::<u8>(), 64).prop_map(|v| {
        let mut out = [0u8; 64];
        out.copy_from_slice(&v);
        out
    })
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        id16(),
        id16(),
        any::<u32>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        prop::collection::vec(any::<u8>(), 0..300),
        sig(),
    )
        .prop_map(|(j, d, e, s, p, c, g)| Envelope {
            v: WIRE_VERSION,
            journal_id: JournalId(j),
            device_id: DeviceId(d),
            epoch: Epoch(e),
            device_seq: DeviceSeq(s),
            prev_hash: p,
            ciphertext: c,
            signature: g,
        })
}

fn roster() -> impl Strategy<Value = Roster> {
    let device = (id16(), any::<[u8; 32]>(), ".{0,40}").prop_map(|(d, k, a)| RosterDevice {
        device_id: DeviceId(d),
        verifying_key: k,
        age_recipient: a,
    });
    let revoked =
        (id16(), any::<[u8; 32]>(), any::<u64>(), any::<[u8; 32]>()).prop_map(|(d, k, s, h)| {
            RevokedDevice {
                device_id: DeviceId(d),
                verifying_key: k,
                last_seq: DeviceSeq(s),
                last_hash: h,
            }
        });
    (
        (id16(), any::<u64>(), any::<[u8; 32]>(), any::<u32>()),
        any::<[u8; 32]>(),
        prop::collection::vec(device, 0..5),
        prop::collection::vec(revoked, 0..4),
        id16(),
        sig(),
    )
        .prop_map(
            |((j, version, p, e), commitment, devices, revoked, s, g)| Roster {
                v: ROSTER_VERSION,
                journal_id: JournalId(j),
                version,
                prev_hash: p,
                epoch: Epoch(e),
                key_commitment: commitment,
                devices,
                revoked,
                signer: DeviceId(s),
                signature: g,
            },
        )
}

fn wrapped_key() -> impl Strategy<Value = WrappedKey> {
    (
        id16(),
        any::<u32>(),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(d, e, blob)| WrappedKey {
            device_id: DeviceId(d),
            epoch: Epoch(e),
            blob,
        })
}

fn stored() -> impl Strategy<Value = StoredEnvelope> {
    (any::<u64>(), any::<u64>(), envelope()).prop_map(|(r, t, e)| StoredEnvelope {
        relay_seq: RelaySeq(r),
        received_unix: t,
        envelope: e,
    })
}

fn acks() -> impl Strategy<Value = Vec<Ack>> {
    prop::collection::vec(
        (any::<u64>(), any::<u64>()).prop_map(|(d, r)| Ack {
            device_seq: DeviceSeq(d),
            relay_seq: RelaySeq(r),
        }),
        0..5,
    )
}

/// Decodes the bytes as every message type; none may panic.
fn decode_all(bytes: &[u8]) {
    let _ = Envelope::decode(bytes);
    let _ = Roster::decode(bytes);
    let _ = RosterList::decode(bytes);
    let _ = RosterUpdate::decode(bytes);
    let _ = ChallengeRequest::decode(bytes);
    let _ = Challenge::decode(bytes);
    let _ = SessionRequest::decode(bytes);
    let _ = Session::decode(bytes);
    let _ = WrappedKeys::decode(bytes);
    let _ = PushRequest::decode(bytes);
    let _ = PushResponse::decode(bytes);
    let _ = PullResponse::decode(bytes);
    let _ = ClientMessage::decode(bytes);
    let _ = ServerMessage::decode(bytes);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
        // Also past the version checks, so the structure is exercised.
        for version in [WIRE_VERSION, ROSTER_VERSION] {
            let mut versioned = vec![version];
            versioned.extend_from_slice(&bytes);
            decode_all(&versioned);
        }
    }

    #[test]
    fn mutated_rosters_never_panic_and_stay_canonical(
        r in roster(),
        at in any::<prop::sample::Index>(),
        x in 1u8..=255,
    ) {
        let mut bytes = r.encode();
        let i = at.index(bytes.len());
        bytes[i] ^= x;
        decode_all(&bytes);
        if let Ok(decoded) = Roster::decode(&bytes) {
            prop_assert_eq!(decoded.encode(), bytes);
            prop_assert_ne!(decoded, r);
        }
    }

    #[test]
    fn mutated_valid_messages_never_panic(e in envelope(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let push = PushRequest { v: WIRE_VERSION, envelopes: vec![e] };
        let mut bytes = push.encode();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        decode_all(&bytes);
        // Decoding accepts only canonical bytes, so whatever decodes re-encodes identically.
        if let Ok(decoded) = PushRequest::decode(&bytes) {
            prop_assert_eq!(decoded.encode(), bytes);
        }
    }

    #[test]
    fn overlong_varints_are_rejected(seq in 0u64..128) {
        let e = Envelope { v: WIRE_VERSION, journal_id: JournalId([0; 16]), device_id: DeviceId([0; 16]), epoch: Epoch(0), device_seq: DeviceSeq(seq), prev_hash: [0; 32], ciphertext: vec![], signature: [0; 64] };
        let bytes = e.encode();
        // Byte 34 is the one-byte device sequence; spell it as two bytes instead.
        let mut overlong = bytes[..34].to_vec();
        overlong.extend_from_slice(&[bytes[34] | 0x80, 0]);
        overlong.extend_from_slice(&bytes[35..]);
        prop_assert!(matches!(Envelope::decode(&overlong), Err(ProtoError::Malformed(_))));
    }

    #[test]
    fn envelope_round_trips(e in envelope()) {
        let bytes = e.encode();
        prop_assert_eq!(bytes[0], WIRE_VERSION);
        prop_assert_eq!(Envelope::decode(&bytes)?, e.clone());
        prop_assert_eq!(e.signed_bytes()[18..].to_vec(), bytes[..bytes.len() - 64].to_vec());
    }

    #[test]
    fn roster_round_trips(r in roster()) {
        let bytes = r.encode();
        prop_assert_eq!(bytes[0], ROSTER_VERSION);
        prop_assert_eq!(Roster::decode(&bytes)?, r.clone());
        // The signed message is the domain and the encoding without the signature.
        let message = r.signing_message();
        prop_assert_eq!(&message[..16], b"attune-roster-v2");
        prop_assert_eq!(&message[16..], &bytes[..bytes.len() - 64]);
        prop_assert_eq!(r.hash(), *blake3::hash(&bytes).as_bytes());
        // The same roster labelled as format 1 (or anything else) is refused.
        let mut relabelled = bytes.clone();
        relabelled[0] = WIRE_VERSION;
        prop_assert_eq!(Roster::decode(&relabelled), Err(ProtoError::UnsupportedVersion(WIRE_VERSION)));
        for revoked in &r.revoked {
            prop_assert!(r.revoked_device(revoked.device_id).is_some());
        }
        let list = RosterList { v: WIRE_VERSION, rosters: vec![r.clone(), r] };
        prop_assert_eq!(RosterList::decode(&list.encode())?, list);
    }

    /// Every signed field is in the signing message: changing any one changes it.
    #[test]
    fn every_roster_field_but_the_signature_is_signed(r in roster(), which in 0..9usize, x in 1u8..=255) {
        let mut changed = r.clone();
        match which {
            0 => changed.v ^= x,
            1 => changed.journal_id.0[usize::from(x) % 16] ^= x,
            2 => changed.version ^= u64::from(x),
            3 => changed.prev_hash[usize::from(x) % 32] ^= x,
            4 => changed.epoch.0 ^= u32::from(x),
            5 => changed.key_commitment[usize::from(x) % 32] ^= x,
            6 => changed.devices.push(RosterDevice {
                device_id: DeviceId([x; 16]),
                verifying_key: [x; 32],
                age_recipient: String::new(),
            }),
            7 => changed.revoked.push(RevokedDevice {
                device_id: DeviceId([x; 16]),
                verifying_key: [x; 32],
                last_seq: DeviceSeq(u64::from(x)),
                last_hash: [x; 32],
            }),
            _ => changed.signer.0[usize::from(x) % 16] ^= x,
        }
        prop_assert_ne!(changed.signing_message(), r.signing_message());
        prop_assert_ne!(changed.hash(), r.hash());
        // The signature alone is not signed, but it is part of the hash.
        let mut resigned = r.clone();
        resigned.signature[usize::from(x) % 64] ^= x;
        prop_assert_eq!(resigned.signing_message(), r.signing_message());
        prop_assert_ne!(resigned.hash(), r.hash());
    }

    /// Each field of a revoked device is signed.
    #[test]
    fn every_revoked_field_is_signed(r in roster(), which in 0..4usize, x in 1u8..=255) {
        prop_assume!(!r.revoked.is_empty());
        let mut changed = r.clone();
        let record = &mut changed.revoked[usize::from(x) % r.revoked.len()];
        match which {
            0 => record.device_id.0[usize::from(x) % 16] ^= x,
            1 => record.verifying_key[usize::from(x) % 32] ^= x,
            2 => record.last_seq.0 ^= u64::from(x),
            _ => record.last_hash[usize::from(x) % 32] ^= x,
        }
        prop_assert_ne!(changed.signing_message(), r.signing_message());
    }

    #[test]
    fn roster_update_round_trips(r in roster(), keys in prop::collection::vec(wrapped_key(), 0..4)) {
        let update = RosterUpdate { v: WIRE_VERSION, roster: r.clone(), keys };
        let bytes = update.encode();
        prop_assert_eq!(bytes[0], WIRE_VERSION);
        prop_assert_eq!(bytes[1], ROSTER_VERSION);
        prop_assert_eq!(RosterUpdate::decode(&bytes)?, update);
        let mut wrong = bytes.clone();
        wrong[0] = ROSTER_VERSION;
        prop_assert_eq!(RosterUpdate::decode(&wrong), Err(ProtoError::UnsupportedVersion(ROSTER_VERSION)));
    }

    #[test]
    fn session_request_round_trips(d in id16(), n in any::<[u8; 32]>(), s in sig(), g in prop::option::of(roster())) {
        let m = SessionRequest { v: WIRE_VERSION, device_id: DeviceId(d), nonce: n, signature: s, genesis: g };
        prop_assert_eq!(SessionRequest::decode(&m.encode())?, m);
        let c = ChallengeRequest { v: WIRE_VERSION, device_id: DeviceId(d) };
        prop_assert_eq!(ChallengeRequest::decode(&c.encode())?, c);
        let ch = Challenge { v: WIRE_VERSION, nonce: n, expires_unix: 5 };
        prop_assert_eq!(Challenge::decode(&ch.encode())?, ch);
    }

    #[test]
    fn sync_messages_round_trip(es in prop::collection::vec(envelope(), 0..4), ss in prop::collection::vec(stored(), 0..4), head in any::<u64>(), a in acks()) {
        let push = PushRequest { v: WIRE_VERSION, envelopes: es };
        prop_assert_eq!(PushRequest::decode(&push.encode())?, push.clone());
        let pull = PullResponse { v: WIRE_VERSION, envelopes: ss.clone(), head: RelaySeq(head) };
        prop_assert_eq!(PullResponse::decode(&pull.encode())?, pull);
        let resp = PushResponse { v: WIRE_VERSION, acks: a.clone() };
        prop_assert_eq!(PushResponse::decode(&resp.encode())?, resp.clone());

        for frame in [ClientFrame::Push(push), ClientFrame::Pull { after: RelaySeq(head) }] {
            let m = ClientMessage::new(frame);
            prop_assert_eq!(ClientMessage::decode(&m.encode())?, m);
        }
        for frame in [
            ServerFrame::Envelopes(ss),
            ServerFrame::Acked(resp),
            ServerFrame::Error(ErrorBody { error: "code".into(), message: "message".into() }),
        ] {
            let m = ServerMessage::new(frame);
            prop_assert_eq!(ServerMessage::decode(&m.encode())?, m);
        }
    }

    #[test]
    fn wrapped_keys_round_trip(keys in prop::collection::vec(wrapped_key(), 0..4)) {
        let m = WrappedKeys { v: WIRE_VERSION, keys };
        prop_assert_eq!(WrappedKeys::decode(&m.encode())?, m);
    }

    #[test]
    fn ids_round_trip_as_text(d in id16()) {
        let id = DeviceId(d);
        prop_assert_eq!(id.to_string().parse::<DeviceId>()?, id);
        let j = JournalId(d);
        prop_assert_eq!(j.to_string().parse::<JournalId>()?, j);
    }
}
