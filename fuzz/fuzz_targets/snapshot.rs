//! Fuzzes `Snapshot::decode` (the body of a snapshot upload) and the header checks the relay runs on it: never a panic, and whatever decode accepts re-encodes to the same bytes.
#![no_main]

use attune_proto::Snapshot;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snapshot) = Snapshot::decode(data) {
        assert_eq!(
            snapshot.encode(),
            data,
            "decode accepted a non-canonical encoding"
        );
        let header = &snapshot.header;
        let _ = header.covers_are_canonical();
        assert!(!header.supersedes(header), "a snapshot cannot supersede itself");
        let _ = snapshot.signed_digest();
    }
});
