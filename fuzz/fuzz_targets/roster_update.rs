//! Fuzzes `RosterUpdate::decode` (the body of `PUT …/roster`): it must never
//! panic, and whatever it accepts must re-encode to the same bytes.
#![no_main]

use attune_proto::RosterUpdate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = RosterUpdate::decode(data) {
        assert_eq!(
            message.encode(),
            data,
            "decode accepted a non-canonical encoding"
        );
        let _ = message.roster.hash();
        let _ = message.roster.signing_message();
    }
});
