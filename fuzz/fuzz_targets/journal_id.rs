//! Fuzzes the `{jid}` path segment parse (`JournalId`, and `DeviceId` which
//! shares it): it must never panic, and whatever it accepts must print back as
//! the same text, so one id has exactly one spelling.
#![no_main]

use attune_proto::{DeviceId, JournalId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(journal) = text.parse::<JournalId>() {
        assert_eq!(
            journal.to_string(),
            text,
            "a second spelling of a journal id"
        );
    }
    if let Ok(device) = text.parse::<DeviceId>() {
        assert_eq!(device.to_string(), text, "a second spelling of a device id");
    }
});
