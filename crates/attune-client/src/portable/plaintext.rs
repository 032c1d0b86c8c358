//! Where plaintext may be written: never inside the journal directory, and
//! only readable by its owner (files 0600, folders 0700).

use std::path::{Path, PathBuf};

use super::PortableError;
use crate::dir::atomic as files;

/// The absolute form of `path` as far as it exists (the rest appended), so a
/// path through a symbolic link into the journal is caught too.
fn resolved(path: &Path) -> PathBuf {
    let full = absolute(path);
    let mut existing = full.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    for name in rest.iter().rev() {
        out.push(name);
    }
    out
}

/// `path` made absolute against the current directory (an atomic write
/// needs the folder it renames in).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Refuse a destination inside the journal directory `journal`.
pub fn check_destination(journal: &Path, destination: &Path) -> Result<(), PortableError> {
    let journal = resolved(journal);
    let destination = resolved(destination);
    if destination.starts_with(&journal) {
        return Err(PortableError::InsideJournal(destination));
    }
    Ok(())
}

/// Write one plaintext file (0600, atomically) outside the journal.
pub fn write_file(journal: &Path, path: &Path, bytes: &[u8]) -> Result<(), PortableError> {
    check_destination(journal, path)?;
    let path = &absolute(path);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            files::create_private_dir(parent)?;
        }
    }
    files::write_private(path, bytes)?;
    Ok(())
}

/// Make a folder for many plaintext files (0700) outside the journal; it
/// must be new or empty, so an export never mixes with older files.
pub fn make_folder(journal: &Path, path: &Path) -> Result<(), PortableError> {
    check_destination(journal, path)?;
    if path.exists() {
        let mut entries = std::fs::read_dir(path).map_err(|e| crate::StoreError::io(path, e))?;
        if entries.next().is_some() {
            return Err(PortableError::FolderNotEmpty(path.to_path_buf()));
        }
    }
    files::create_private_dir(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_directory_is_refused_and_files_are_private() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let journal = tmp.path().join("journal");
        std::fs::create_dir(&journal).expect("mkdir");
        assert!(check_destination(&journal, &journal.join("x.json")).is_err());
        assert!(check_destination(&journal, &journal.join("new/deeper/x.json")).is_err());
        assert!(check_destination(&journal, &journal.join("../journal/x.json")).is_err());
        let out = tmp.path().join("out.json");
        write_file(&journal, &out, b"{}").expect("outside is fine");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
