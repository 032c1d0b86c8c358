//! Fuzzes `ClientMessage::decode`: it must never panic, and whatever it accepts must re-encode to the same bytes.
#![no_main]

use attune_proto::ClientMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = ClientMessage::decode(data) {
        assert_eq!(
            message.encode(),
            data,
            "decode accepted a non-canonical encoding"
        );
    }
});
