//! Fuzzes `LiveAuth::decode`: it must never panic, and whatever it accepts must re-encode to the same bytes.
#![no_main]

use attune_proto::LiveAuth;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = LiveAuth::decode(data) {
        assert_eq!(
            message.encode(),
            data,
            "decode accepted a non-canonical encoding"
        );
    }
});
