//! The SQLite data directory, made private to the relay's user before storage opens it.
//!
//! The database holds only sealed envelopes and public keys, but its ids,
//! sizes and times are metadata another local user has no business reading.
//! So a directory the relay creates is `0700` and a database file it creates
//! is `0600`. SQLite gives its `-wal`, `-shm` and `-journal` files the mode of
//! the database file, so creating `relay.sqlite3` here (empty, which SQLite
//! takes as a new database) covers them too, without touching the process
//! umask. What already exists is never changed: the operator may have chosen
//! its mode (a backup group, say); a warning says when others can read it.

use std::io;
use std::path::Path;

/// Mode of a data directory the relay creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of a database file the relay creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (mode 0700) and `dir/db_file` (mode 0600) unless they exist;
/// warns when an existing one is open to other users.
pub fn prepare(dir: &Path, db_file: &str) -> io::Result<()> {
    create_private_dir(dir)?;
    create_private_file(&dir.join(db_file))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

    match std::fs::metadata(dir) {
        Ok(meta) => {
            warn_if_shared(dir, meta.permissions().mode(), "data directory");
            Ok(())
        }
        // Missing parents are created private too; a mode on an existing one is not changed.
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    // create_new: an existing database is never truncated, and never re-moded.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            warn_if_shared(path, mode, "database file");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Whether `mode` lets users other than the owner read, write or enter.
pub fn is_shared(mode: u32) -> bool {
    mode & 0o077 != 0
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, mode: u32, what: &str) {
    if is_shared(mode) {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", mode & 0o777),
            "the relay's {what} is accessible to other users; consider chmod go-rwx"
        );
    }
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_fresh_directory_and_database_file_are_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a").join("relay");
        prepare(&dir, "relay.sqlite3").unwrap();
        assert_eq!(mode(&dir), DIR_MODE);
        assert_eq!(mode(&root.path().join("a")), DIR_MODE);
        assert_eq!(mode(&dir.join("relay.sqlite3")), FILE_MODE);
    }

    #[test]
    fn existing_directory_and_file_are_left_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("relay.sqlite3");
        std::fs::write(&db, b"data").unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        prepare(dir.path(), "relay.sqlite3").unwrap();
        assert_eq!(mode(dir.path()), 0o755);
        assert_eq!(mode(&db), 0o644);
        assert_eq!(std::fs::read(&db).unwrap(), b"data");
    }

    #[test]
    fn shared_means_any_group_or_other_bit() {
        assert!(!is_shared(0o700));
        assert!(!is_shared(0o600));
        assert!(is_shared(0o750));
        assert!(is_shared(0o604));
    }
}
