//! Where a journal's unlock agent listens: a socket in a directory only this
//! user can reach.
//!
//! The socket lives in `$XDG_RUNTIME_DIR/attune/` (a per-user tmpfs that the
//! login manager removes when the user's last session ends) under a hash of
//! the journal directory's canonical path; without `$XDG_RUNTIME_DIR` it is
//! `agent.sock` in the journal directory itself. Either way its directory must
//! be owned by this user and closed to everyone else (0700), or it is not used.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use crate::dir::layout;
use crate::StoreError;

/// The longest path a Unix socket address holds on Linux (`sun_path`, less the NUL).
const MAX_SOCKET_PATH: usize = 107;
/// Domain separation for the hash that names a journal directory.
const DIR_KEY_CONTEXT: &str = "attune 2026-12 unlock agent journal directory v1";

/// The canonical journal directory and the hash that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalDir {
    /// The journal directory, canonical (symbolic links resolved).
    pub path: PathBuf,
    /// A hash of `path`: agents answer only requests that name their journal.
    pub key: [u8; 32],
}

impl JournalDir {
    /// The journal in `dir`, named by its canonical path.
    pub fn of(dir: &Path) -> Result<JournalDir, StoreError> {
        let path = fs::canonicalize(dir).map_err(|e| StoreError::io(dir, e))?;
        let key = blake3::derive_key(DIR_KEY_CONTEXT, path.as_os_str().as_bytes());
        Ok(JournalDir { path, key })
    }

    /// The agent socket's path; with `create`, its directory is made (0700) if missing.
    ///
    /// Fails if the directory is not private to this user, or the path is too
    /// long for a socket address.
    pub fn socket_path(&self, create: bool) -> Result<PathBuf, StoreError> {
        let socket = match runtime_dir() {
            Some(runtime) => {
                let hash = hex::encode(&self.key[..16]);
                let socket = layout::agent_runtime_socket(&runtime, &hash);
                let parent = runtime.join(layout::AGENT_RUNTIME_DIR);
                if create && !parent.exists() {
                    fs::create_dir(&parent).map_err(|e| StoreError::io(&parent, e))?;
                    fs::set_permissions(&parent, fs::Permissions::from_mode(0o700))
                        .map_err(|e| StoreError::io(&parent, e))?;
                }
                check_private(&parent)?;
                socket
            }
            None => {
                check_private(&self.path)?;
                self.path.join(layout::AGENT_SOCKET_FILE)
            }
        };
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(StoreError::io(
                &socket,
                std::io::Error::other(format!(
                    "the path is longer than a socket address can be ({MAX_SOCKET_PATH} bytes); \
                     set XDG_RUNTIME_DIR to a short private directory"
                )),
            ));
        }
        Ok(socket)
    }

    /// Listens on this journal's agent socket (0600, in a private directory).
    ///
    /// A stale socket file (no agent answers on it) is replaced; a live agent's is not.
    pub fn bind(&self) -> Result<Listening, StoreError> {
        let path = self.socket_path(true)?;
        if path.exists() {
            if UnixStream::connect(&path).is_ok() {
                return Err(StoreError::io(
                    &path,
                    std::io::Error::other("another unlock agent already serves this journal"),
                ));
            }
            std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        }
        let listener = UnixListener::bind(&path).map_err(|e| StoreError::io(&path, e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(&path, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| StoreError::io(&path, e))?;
        let meta = std::fs::symlink_metadata(&path).map_err(|e| StoreError::io(&path, e))?;
        Ok(Listening {
            listener,
            path,
            file: (meta.dev(), meta.ino()),
        })
    }
}

/// An agent's listening socket.
#[derive(Debug)]
pub struct Listening {
    listener: UnixListener,
    path: PathBuf,
    /// The socket file's device and inode: if they change, the socket is no longer ours.
    file: (u64, u64),
}

impl Listening {
    /// The socket file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The listening socket (non-blocking).
    pub fn listener(&self) -> &UnixListener {
        &self.listener
    }

    /// Whether the socket file is still this agent's (not removed, not replaced).
    pub fn still_ours(&self) -> bool {
        std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.file)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        // Remove the socket only if it is still this agent's, never a successor's.
        if self.still_ours() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `$XDG_RUNTIME_DIR`, if it is set to an absolute path that exists.
fn runtime_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?);
    (dir.is_absolute() && dir.is_dir()).then_some(dir)
}

/// Refuses a directory that is not this user's own, or that others may enter.
fn check_private(dir: &Path) -> Result<(), StoreError> {
    let meta = fs::symlink_metadata(dir).map_err(|e| StoreError::io(dir, e))?;
    let me = nix::unistd::geteuid().as_raw();
    if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o077 != 0 {
        return Err(StoreError::io(
            dir,
            std::io::Error::other(
                "the unlock agent's directory must be yours and closed to others (0700); \
                 it is not, so it is not used",
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_others_can_enter_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("j");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        check_private(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
        assert!(check_private(&dir).is_err());
    }

    #[test]
    fn two_directories_have_two_keys() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("a")).unwrap();
        fs::create_dir(tmp.path().join("b")).unwrap();
        let a = JournalDir::of(&tmp.path().join("a")).unwrap();
        let b = JournalDir::of(&tmp.path().join("b")).unwrap();
        assert_ne!(a.key, b.key);
        let again = JournalDir::of(&tmp.path().join("a/../a")).unwrap();
        assert_eq!(a, again, "the canonical path names the journal");
    }
}
