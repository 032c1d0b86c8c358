//! Fuzzes `CompactRequest::decode` (the body of a compaction request): never a panic, and whatever it accepts re-encodes to the same bytes.
#![no_main]

use attune_proto::CompactRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = CompactRequest::decode(data) {
        assert_eq!(
            message.encode(),
            data,
            "decode accepted a non-canonical encoding"
        );
    }
});
