//! The unlock agent's process (`attune __agent`, started by `attune unlock`).
//!
//! It detaches into a session of its own, keeps its memory out of swap and
//! core dumps and away from other users' debuggers, reads the opened identity
//! from its parent through a pipe, then serves it (attune_client::agent) and
//! wipes it when it stops. Its first line on stdout tells the parent `ready`
//! or `error: …`; it prints nothing after that.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use attune_client::agent::{self, Binding};
use attune_client::dir::agent_socket::JournalDir;
use zeroize::Zeroizing;

/// Room for the plain identity file (about 300 bytes).
const IDENTITY_ROOM: usize = attune_client::agent::wire::MAX_PAYLOAD;

/// Runs the agent for the journal in `dir` for `seconds`; returns when it stops.
pub(crate) fn run(dir: &Path, seconds: u64) -> Result<()> {
    match serve(dir, seconds) {
        Ok(()) => Ok(()),
        Err(err) => {
            // The parent waits for this line; after `ready` nobody reads stdout.
            let mut out = std::io::stdout();
            let _ = writeln!(out, "error: {err:#}");
            let _ = out.flush();
            Err(err)
        }
    }
}

fn serve(dir: &Path, seconds: u64) -> Result<()> {
    let until = Instant::now() + Duration::from_secs(seconds);
    harden()?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, stop.clone()).context("handling signals")?;
    }

    // The identity lives in this one buffer, locked in memory, wiped on drop.
    let mut secret = Zeroizing::new(vec![0u8; IDENTITY_ROOM]);
    let _locked = region::lock(secret.as_ptr(), secret.len()).context(
        "locking the agent's memory (so the identity never reaches swap) failed; \
         raise the locked-memory limit (`ulimit -l`)",
    )?;
    let mut digest = [0u8; 32];
    let len = read_from_parent(&mut digest, &mut secret)?;
    let binding = Binding {
        journal: JournalDir::of(dir)?,
        identity_digest: digest,
    };
    if !binding.identity_unchanged() {
        bail!("the identity file changed while unlocking; run `attune unlock` again");
    }
    let listening = agent::bind(&binding)?;
    let mut out = std::io::stdout();
    writeln!(out, "ready")?;
    out.flush()?;
    agent::serve(&listening, &secret[..len], &binding, until, &stop);
    Ok(())
}

/// A session of its own (no terminal's hangup), no core dumps, no ptrace by
/// anyone but root, and every page locked in memory where the limit allows.
fn harden() -> Result<()> {
    use nix::sys::resource::{setrlimit, Resource};
    // Fails only if already a session leader: nothing to detach from then.
    let _ = nix::unistd::setsid();
    // Hold no directory busy (the journal's path is absolute).
    let _ = std::env::set_current_dir("/");
    nix::sys::prctl::set_dumpable(false).context("turning off core dumps and ptrace")?;
    setrlimit(Resource::RLIMIT_CORE, 0, 0).context("turning off core dumps")?;
    // Best effort: most users' locked-memory limit (often 8 MiB) is smaller than
    // the whole program; the identity's own buffer is locked in any case.
    let _ = nix::sys::mman::mlockall(
        nix::sys::mman::MlockAllFlags::MCL_CURRENT | nix::sys::mman::MlockAllFlags::MCL_FUTURE,
    );
    Ok(())
}

/// Reads the identity file's digest, then the plain identity into `secret`,
/// straight from the pipe (no buffer keeps a copy); returns its length.
fn read_from_parent(digest: &mut [u8; 32], secret: &mut [u8]) -> Result<usize> {
    let fd = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .context("reading from attune unlock")?;
    let mut pipe = File::from(fd);
    pipe.read_exact(digest)
        .context("reading from attune unlock")?;
    let mut len = 0;
    loop {
        if len == secret.len() {
            bail!("the identity is larger than an identity can be");
        }
        match pipe.read(&mut secret[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("reading from attune unlock"),
        }
    }
    if len == 0 {
        bail!("attune unlock sent no identity");
    }
    Ok(len)
}
