//! Devices of a journal: joining one (by request and ticket, or by pairing
//! code), restoring from the recovery words, rotating them, and revoking one.

pub mod join;
pub mod pair;
pub mod recover;
pub mod revoke;
pub mod rotate;
