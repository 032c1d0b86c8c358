//! HTTP and WebSocket handlers, one module per resource.

pub mod envelopes;
pub mod keys;
pub mod live;
pub mod pairing;
pub mod recovery;
pub mod reseed;
pub mod roster;
pub mod session;
pub mod snapshots;
