//! The names of everything in a journal directory, in one place.
//!
//! ```text
//! attune.json            ids and settings (no secrets, no content)      config.rs
//! identity               device identity, 0600, optionally passphrase   store/mod.rs
//! at-rest-key            this device's own key for its files            store/at_rest.rs
//! keys/epoch-N.age       journal keys the signed roster commits to      store/keys.rs
//! entries/<xx>.pack      sealed small entry documents, by id's 1st byte store/packs.rs
//! entries/<id>.am        one sealed large entry document                 store/packs.rs
//! views/<name>.view      sealed entries of one month                    store/views.rs
//! pending/<n>.chg        sealed changes being saved                     store/entries.rs
//! outbox/<n>.chg         sealed changes waiting to be sealed for sync   outbox/
//! outbox/envelopes/      sealed envelopes waiting for the relay's ack   outbox/
//! quarantine/<n>.env     envelopes refused for good, as served          sync/quarantine.rs
//! manifest               sealed hash of each entry file as last written store/check.rs
//! genesis                sealed kit-signed first roster                 store/keys.rs
//! sync-state             sealed sync bookkeeping                        sync/state.rs
//! sync-assembly          sealed parts of large batches being received   sync/assembly.rs
//! relay-invite           sealed invite for a relay that requires one    sync/membership.rs
//! snapshot-state         sealed snapshot bookkeeping                    sync/snapshot_policy.rs
//! safety-plan            the sealed safety plan                         store/safety.rs
//! lock                   one attune process at a time                   dir/lock.rs
//! agent.sock             the unlock agent's socket, only without        dir/agent_socket.rs
//!                        $XDG_RUNTIME_DIR (else $XDG_RUNTIME_DIR/attune/<hash>.sock)
//! ```
//!
//! Every sealed file is bound to a [`crate::dir::sealed::Purpose`] and a name,
//! so one cannot be swapped for another.

use std::path::{Path, PathBuf};

/// The configuration file (ids and settings, no secrets).
pub const CONFIG_FILE: &str = "attune.json";
/// The device identity file.
pub const IDENTITY_FILE: &str = "identity";
/// This device's wrapped at-rest key.
pub const AT_REST_FILE: &str = "at-rest-key";
/// The new at-rest key while a migration to it runs.
pub const AT_REST_MIGRATING_FILE: &str = "at-rest-key.migrating";
/// The lock file.
pub const LOCK_FILE: &str = "lock";
/// The sealed safety plan.
pub const SAFETY_FILE: &str = "safety-plan";
/// The sealed genesis roster a new journal creates its relay journal with.
pub const GENESIS_FILE: &str = "genesis";
/// The sealed entry manifest.
pub const MANIFEST_FILE: &str = "manifest";
/// The sealed sync bookkeeping.
pub const SYNC_STATE_FILE: &str = "sync-state";
/// The sealed parts of batches other devices sent in parts, until complete.
pub const SYNC_ASSEMBLY_FILE: &str = "sync-assembly";
/// The sealed invite a relay that requires one wants before it creates the journal.
pub const INVITE_FILE: &str = "relay-invite";
/// The sealed draft of a front end (the web UI's unsaved entry).
pub const DRAFT_FILE: &str = "draft";
/// The sealed snapshot bookkeeping.
pub const SNAPSHOT_STATE_FILE: &str = "snapshot-state";
/// One sealed Automerge document per entry.
pub const ENTRIES_DIR: &str = "entries";
/// Sealed month views.
pub const VIEWS_DIR: &str = "views";
/// Sealed change records being saved.
pub const PENDING_DIR: &str = "pending";
/// Wrapped journal keys.
pub const KEYS_DIR: &str = "keys";
/// Sealed change records written here and waiting to be sealed into envelopes.
pub const OUTBOX_DIR: &str = "outbox";
/// Inside [`OUTBOX_DIR`]: sealed envelopes waiting for the relay's acknowledgement.
pub const ENVELOPES_DIR: &str = "envelopes";
/// Envelopes refused for good, kept (still sealed) as the relay served them.
pub const QUARANTINE_DIR: &str = "quarantine";
/// The unlock agent's socket in the journal directory, when there is no `$XDG_RUNTIME_DIR`.
pub const AGENT_SOCKET_FILE: &str = "agent.sock";
/// The directory (0700) of unlock agent sockets inside `$XDG_RUNTIME_DIR`.
pub const AGENT_RUNTIME_DIR: &str = "attune";

/// `$XDG_RUNTIME_DIR/attune/<hash>.sock`: `hash` names the journal directory.
pub fn agent_runtime_socket(runtime_dir: &Path, hash: &str) -> PathBuf {
    runtime_dir
        .join(AGENT_RUNTIME_DIR)
        .join(format!("{hash}.sock"))
}

/// The directories every journal has.
pub const SUBDIRS: [&str; 5] = [ENTRIES_DIR, VIEWS_DIR, PENDING_DIR, KEYS_DIR, OUTBOX_DIR];

/// Extension of change records (`pending/` and `outbox/`).
pub const RECORD_EXT: &str = "chg";
/// Extension of sealed envelopes (`outbox/envelopes/` and `quarantine/`).
pub const ENVELOPE_EXT: &str = "env";

/// `entries/<id>.am`
pub fn entry_file(dir: &Path, id: &str) -> PathBuf {
    dir.join(ENTRIES_DIR).join(format!("{id}.am"))
}

/// `views/<name>.view`
pub fn view_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(VIEWS_DIR).join(format!("{name}.view"))
}

/// `keys/epoch-N.age`
pub fn key_file(dir: &Path, epoch: u32) -> PathBuf {
    dir.join(KEYS_DIR).join(format!("epoch-{epoch}.age"))
}

/// `outbox/envelopes/`
pub fn envelopes_dir(dir: &Path) -> PathBuf {
    dir.join(OUTBOX_DIR).join(ENVELOPES_DIR)
}
