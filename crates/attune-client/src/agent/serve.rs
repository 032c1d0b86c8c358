//! The agent's side: listen on the journal's socket and answer, until locked,
//! out of time, the socket file is removed, or the identity file changes.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};

use super::wire::{self, Op, Request, Status};
use super::Binding;
use crate::dir::agent_socket::Listening;

/// How often the agent looks at its socket file, its identity file and the clock while idle.
const TICK: Duration = Duration::from_millis(500);
/// How long one asker may take to send its request or read the answer.
const ASKER_WAIT: Duration = Duration::from_secs(1);

/// Why an agent stopped serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// `attune lock` asked it to.
    Locked,
    /// Its time was up.
    Expired,
    /// Its socket file was removed or replaced (for instance at logout).
    SocketRemoved,
    /// The identity file changed (a passphrase was set, changed or removed).
    IdentityChanged,
    /// The hosting program asked it to stop (a signal).
    Asked,
}

/// Answers on `listening` with `identity_text` (the plain identity file) until
/// `until`, a lock request, the socket file's removal, a change of the identity
/// file, or `stop`. The answer is written straight from `identity_text`, so the
/// caller decides where it lives (locked memory) and wipes it afterwards.
pub fn serve(
    listening: &Listening,
    identity_text: &[u8],
    binding: &Binding,
    until: Instant,
    stop: &AtomicBool,
) -> Stopped {
    loop {
        if stop.load(Ordering::SeqCst) {
            return Stopped::Asked;
        }
        let now = Instant::now();
        if now >= until {
            return Stopped::Expired;
        }
        if !listening.still_ours() {
            return Stopped::SocketRemoved;
        }
        if !binding.identity_unchanged() {
            return Stopped::IdentityChanged;
        }
        let wait = PollTimeout::try_from(TICK.min(until - now)).unwrap_or(PollTimeout::ZERO);
        let mut fds = [PollFd::new(listening.listener().as_fd(), PollFlags::POLLIN)];
        // EINTR (a signal) and the like: go round and look at the flags again.
        if !matches!(nix::poll::poll(&mut fds, wait), Ok(n) if n > 0) {
            continue;
        }
        let Ok((stream, _)) = listening.listener().accept() else {
            continue;
        };
        if let Some(stopped) = answer(stream, identity_text, binding, until) {
            return stopped;
        }
    }
}

/// Answers one asker; `Some` if the agent must stop.
fn answer(
    mut stream: UnixStream,
    identity_text: &[u8],
    binding: &Binding,
    until: Instant,
) -> Option<Stopped> {
    // The directory is already private; this is the second lock on the door.
    let me = nix::unistd::geteuid().as_raw();
    let peer = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials);
    if !peer.is_ok_and(|p| p.uid() == me) {
        return None;
    }
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(ASKER_WAIT));
    let _ = stream.set_write_timeout(Some(ASKER_WAIT));
    let mut bytes = [0u8; wire::REQUEST_LEN];
    if stream.read_exact(&mut bytes).is_err() {
        return None;
    }
    let Some(request) = Request::decode(&bytes) else {
        reply(&mut stream, Status::BadRequest, &[]);
        return None;
    };
    if request.journal != binding.journal.key {
        reply(&mut stream, Status::WrongJournal, &[]);
        return None;
    }
    if request.op == Op::Lock {
        reply(&mut stream, Status::Ok, &[]);
        return Some(Stopped::Locked);
    }
    if Instant::now() >= until {
        reply(&mut stream, Status::Expired, &[]);
        return Some(Stopped::Expired);
    }
    if request.identity != binding.identity_digest || !binding.identity_unchanged() {
        reply(&mut stream, Status::IdentityChanged, &[]);
        return (!binding.identity_unchanged()).then_some(Stopped::IdentityChanged);
    }
    reply(&mut stream, Status::Ok, identity_text);
    None
}

fn reply(stream: &mut UnixStream, status: Status, payload: &[u8]) {
    let Some(header) = wire::answer_header(status, payload.len()) else {
        return;
    };
    let _ = stream
        .write_all(&header)
        .and_then(|()| stream.write_all(payload));
}
