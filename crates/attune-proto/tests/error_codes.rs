//! Every error code round-trips through its text, `Display`, serde and
//! [`ErrorBody`]; a code this build does not know parses to `Unknown`.

use std::collections::HashSet;

use attune_proto::{ErrorBody, ErrorCode, ServerFrame, ServerMessage};

#[test]
fn every_code_round_trips_through_its_text() {
    let mut seen = HashSet::new();
    for &code in ErrorCode::ALL {
        let text = code.as_str();
        assert!(seen.insert(text), "{text} is used by two codes");
        assert!(
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{text} is not snake_case"
        );
        assert_eq!(ErrorCode::parse(text), code);
        assert_eq!(text.parse::<ErrorCode>(), Ok(code));
        assert_eq!(code.to_string(), text);
        assert_eq!(code, text);
    }
    assert!(!ErrorCode::ALL.contains(&ErrorCode::Unknown));
}

#[test]
fn every_code_is_a_json_string_and_survives_an_error_body() {
    for &code in ErrorCode::ALL {
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{code}\""));
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);

        let body = ErrorBody::new(code, "a sentence");
        assert_eq!(body.error, code.as_str());
        assert_eq!(body.code(), code);
        let frame = ServerMessage::new(ServerFrame::Error(body.clone()));
        let ServerFrame::Error(back) = ServerMessage::decode(&frame.encode()).unwrap().frame else {
            panic!("not an error frame");
        };
        assert_eq!(back.code(), code);
    }
}

#[test]
fn an_unknown_code_parses_to_the_fallback_and_keeps_its_text() {
    assert_eq!(
        ErrorCode::parse("sent_by_a_newer_relay"),
        ErrorCode::Unknown
    );
    assert_eq!(ErrorCode::parse(""), ErrorCode::Unknown);
    assert_eq!(ErrorCode::parse("OUT_OF_ORDER"), ErrorCode::Unknown);
    assert_eq!(
        serde_json::from_str::<ErrorCode>("\"sent_by_a_newer_relay\"").unwrap(),
        ErrorCode::Unknown
    );
    let body: ErrorBody =
        serde_json::from_str(r#"{"error":"sent_by_a_newer_relay","message":"m"}"#).unwrap();
    assert_eq!(body.code(), ErrorCode::Unknown);
    assert_eq!(body.error, "sent_by_a_newer_relay");
    assert_eq!(ErrorCode::Unknown.as_str(), "unknown");
    assert_eq!(ErrorCode::parse("unknown"), ErrorCode::Unknown);
}

#[test]
fn codes_the_client_acts_on_keep_their_text() {
    // Devices decide what to do by these codes; renaming one breaks old clients.
    for (code, text) in [
        (ErrorCode::OutOfOrder, "out_of_order"),
        (ErrorCode::SeqConflict, "seq_conflict"),
        (ErrorCode::Compacted, "compacted"),
        (ErrorCode::NotInRoster, "not_in_roster"),
        (ErrorCode::UnknownJournal, "unknown_journal"),
        (ErrorCode::KeyExists, "key_exists"),
        (ErrorCode::UnknownEpoch, "unknown_epoch"),
        (
            ErrorCode::RosterNotSignedByMember,
            "roster_not_signed_by_member",
        ),
    ] {
        assert_eq!(code.as_str(), text);
    }
}
