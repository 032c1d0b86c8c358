//! Fuzzes every decoder a client applies to a relay's answers (the relay is
//! not trusted either): challenge, session, rosters, pushes, pulls, live
//! frames, pairing slots and pairing messages. None may panic, and whatever
//! one accepts must re-encode to the same bytes.
#![no_main]

use attune_proto::{
    Challenge, PairingMessages, PairingSlot, PullResponse, PushResponse, RosterList, ServerMessage,
    Session,
};
use libfuzzer_sys::fuzz_target;

macro_rules! canonical {
    ($data:expr, $($ty:ty),* $(,)?) => {$(
        if let Ok(message) = <$ty>::decode($data) {
            assert_eq!(
                message.encode(),
                $data,
                concat!(stringify!($ty), " decode accepted a non-canonical encoding")
            );
        }
    )*};
}

fuzz_target!(|data: &[u8]| {
    canonical!(
        data,
        Challenge,
        Session,
        RosterList,
        PushResponse,
        PullResponse,
        ServerMessage,
        PairingSlot,
        PairingMessages,
    );
});
