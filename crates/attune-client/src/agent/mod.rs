//! The unlock agent: unlock a passphrase-protected journal once, and let every
//! command of the same user open it without the passphrase (and without
//! scrypt) until it is locked again or its time is up.
//!
//! An agent is a process that holds one journal's opened device identity and
//! answers on a Unix socket only this user can reach (see
//! [`crate::dir::agent_socket`]); this module is both ends of it, so every
//! front end (the `attune` command, a later UI) asks the same way:
//!
//! - [`unlock_identity`] opens the identity with the passphrase (scrypt, once)
//!   and returns what an agent needs: the identity and its [`Binding`];
//! - [`bind`] and [`serve`] are the agent's side. The process around them
//!   (detaching, locking memory, no core dumps) belongs to the program that
//!   hosts it: those are decisions for a whole process, which a library must
//!   not make for its host. The protocol and both ends live here, not in the
//!   binary, so that every front end asks the same way and they are tested
//!   without a process;
//! - [`ask`] is every command's side: the identity, or `None`, quietly;
//! - [`lock`] ends the agent at once.
//!
//! The wire format is in [`wire`].

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use attune_crypto::DeviceIdentity;
use zeroize::Zeroizing;

use crate::dir::agent_socket::JournalDir;
use crate::dir::atomic as files;
use crate::dir::layout::IDENTITY_FILE;
use crate::store::PassphraseSource;
use crate::StoreError;

mod serve;
pub mod wire;

pub use crate::dir::agent_socket::Listening;
pub use serve::{serve, Stopped};
use wire::{Op, Request, Status};

/// How long an asker waits for an agent's answer before going without it.
const ANSWER_WAIT: Duration = Duration::from_secs(2);
/// Domain separation for the hash of the identity file.
const IDENTITY_DIGEST_CONTEXT: &str = "attune 2026-12 unlock agent identity file v1";

/// What an agent is unlocked for: one journal directory and one identity file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The journal directory, canonical, and the hash that names it.
    pub journal: JournalDir,
    /// The hash of the identity file's bytes when it was unlocked.
    pub identity_digest: [u8; 32],
}

impl Binding {
    /// The binding of the journal in `dir` with its identity file as it is now, and the file's bytes.
    fn current(dir: &Path) -> Result<(Binding, Vec<u8>), StoreError> {
        let journal = JournalDir::of(dir)?;
        let bytes = files::read(&journal.path.join(IDENTITY_FILE))?;
        let binding = Binding {
            identity_digest: identity_digest(&bytes),
            journal,
        };
        Ok((binding, bytes))
    }

    /// Whether the identity file in the journal directory is still the one unlocked.
    pub fn identity_unchanged(&self) -> bool {
        files::read(&self.journal.path.join(IDENTITY_FILE))
            .is_ok_and(|bytes| identity_digest(&bytes) == self.identity_digest)
    }
}

/// The hash an agent binds an identity file's bytes with.
pub fn identity_digest(identity_file: &[u8]) -> [u8; 32] {
    blake3::derive_key(IDENTITY_DIGEST_CONTEXT, identity_file)
}

/// A journal's identity opened with its passphrase, and what binds an agent to it.
pub struct Unlocked {
    /// The opened device identity.
    pub identity: DeviceIdentity,
    /// The journal directory and identity file it was opened from.
    pub binding: Binding,
}

/// Opens the identity of the journal in `dir` with the passphrase (scrypt runs
/// once here), reading the identity file once so that the binding is the file opened.
pub fn unlock_identity(
    dir: &Path,
    passphrase: PassphraseSource<'_>,
) -> Result<Unlocked, StoreError> {
    let (binding, bytes) = Binding::current(dir)?;
    let path = binding.journal.path.join(IDENTITY_FILE);
    let identity = crate::store::open_identity_bytes(&path, &bytes, passphrase)?;
    Ok(Unlocked { identity, binding })
}

/// The opened identity of the journal in `dir` from its unlock agent, or `None`:
/// not protected by a passphrase, not unlocked, its time is up, a stale socket,
/// an agent of another journal or identity file, or one that is not this user's.
pub fn ask(dir: &Path) -> Option<DeviceIdentity> {
    let (binding, bytes) = Binding::current(dir).ok()?;
    if !DeviceIdentity::is_passphrase_protected(&bytes) {
        return None;
    }
    let text = request(&binding, Op::Identity).ok()??;
    DeviceIdentity::from_file_bytes(&text, None).ok()
}

/// Ends the unlock agent of the journal in `dir`, if one answers: `true` if it did.
pub fn lock(dir: &Path) -> Result<bool, StoreError> {
    let (binding, _) = Binding::current(dir)?;
    // An agent bound to an older identity file still locks: the journal is what names it.
    Ok(request(&binding, Op::Lock).is_ok_and(|answer| answer.is_some()))
}

/// Listens on the agent socket of `binding`'s journal (0600, in a private
/// directory); a stale socket file is replaced, a live agent's is not.
pub fn bind(binding: &Binding) -> Result<Listening, StoreError> {
    binding.journal.bind()
}

/// One request to the agent of `binding`'s journal: `Ok(Some(payload))` if it
/// answered `Ok`, `Ok(None)` if it refused, `Err` if there is none to ask.
fn request(binding: &Binding, op: Op) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let socket = binding
        .journal
        .socket_path(false)
        .map_err(std::io::Error::other)?;
    let mut stream = UnixStream::connect(&socket)?;
    // Only an agent of this user: another user's process must not feed us an identity.
    let peer = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)?;
    if peer.uid() != nix::unistd::geteuid().as_raw() {
        return Err(std::io::Error::other("the agent is another user's"));
    }
    stream.set_read_timeout(Some(ANSWER_WAIT))?;
    stream.set_write_timeout(Some(ANSWER_WAIT))?;
    let request = Request {
        op,
        journal: binding.journal.key,
        identity: binding.identity_digest,
    };
    stream.write_all(&request.encode())?;
    let mut header = [0u8; 4];
    stream.read_exact(&mut header)?;
    let Some((status, len)) = wire::decode_answer_header(header) else {
        return Err(std::io::Error::other("not an agent's answer"));
    };
    let mut payload = Zeroizing::new(vec![0u8; len]);
    stream.read_exact(&mut payload)?;
    Ok((status == Status::Ok).then_some(payload))
}

#[cfg(test)]
mod tests;
