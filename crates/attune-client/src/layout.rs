//! The names of everything in a journal directory, in one place.
//!
//! ```text
//! attune.json            ids and settings (no secrets, no content)      config.rs
//! identity               device identity, 0600, optionally passphrase   store.rs
//! at-rest-key            this device's own key for its files            at_rest.rs
//! keys/epoch-N.age       journal keys the signed roster commits to      store.rs
//! entries/<id>.am        one sealed Automerge document per entry        store.rs
//! views/<name>.view      sealed entries of one month                    store.rs
//! pending/<n>.chg        sealed changes being saved                     store.rs
//! outbox/<n>.chg         sealed changes waiting to be sealed for sync   store.rs
//! outbox/envelopes/      sealed envelopes waiting for the relay's ack   sync/engine.rs
//! quarantine/<n>.env     envelopes refused for good, as served          sync/inbound.rs
//! manifest               sealed hash of each entry file as last written manifest.rs
//! genesis                sealed kit-signed first roster                 store.rs
//! sync-state, snapshot-state  sealed sync bookkeeping                   sync/
//! safety-plan            the sealed safety plan                         store.rs
//! lock                   one attune process at a time                   files.rs
//! ```

/// The device identity file.
pub const IDENTITY_FILE: &str = "identity";
/// This device's wrapped at-rest key.
pub const AT_REST_FILE: &str = "at-rest-key";
/// The new at-rest key while a migration to it runs.
pub const AT_REST_MIGRATING_FILE: &str = "at-rest-key.migrating";
/// The sealed safety plan.
pub const SAFETY_FILE: &str = "safety-plan";
/// The sealed genesis roster a new journal creates its relay journal with.
pub const GENESIS_FILE: &str = "genesis";
/// The sealed entry manifest.
pub const MANIFEST_FILE: &str = "manifest";
/// Sealed change records written here and waiting to be sealed into envelopes.
pub const OUTBOX_DIR: &str = "outbox";
/// Envelopes refused for good, kept (still sealed) as the relay served them.
pub const QUARANTINE_DIR: &str = "quarantine";
/// The directories every journal has.
pub const SUBDIRS: [&str; 5] = ["entries", "views", "pending", "keys", OUTBOX_DIR];
