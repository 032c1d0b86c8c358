//! Crash-safe file writes: every file of a journal directory is written through here.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::StoreError;

/// Suffix of temporary files; any left by a crash are removed at the next open.
pub const TEMP_SUFFIX: &str = ".attune-tmp";

/// Write `bytes` to `path` atomically: temp file, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let (dir, tmp) = temp_beside(path)?;
    let result = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| StoreError::io(path, e))
}

/// The directory of `path` and the temporary file written there before it becomes `path`.
fn temp_beside(path: &Path) -> Result<(&Path, PathBuf), StoreError> {
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::io(path, std::io::Error::other("no parent directory")))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!("{file_name}.{}{TEMP_SUFFIX}", std::process::id()));
    Ok((dir, tmp))
}

/// Write many files atomically each, durable together when this returns.
///
/// Like [`write_atomic`] per file, but with one flush of the file system for
/// the whole batch instead of two per file (thousands of entries from a
/// snapshot would otherwise take seconds of fsyncs). A crash part-way leaves
/// every file either old or new, never torn.
pub fn write_atomic_batch(files: &[(PathBuf, Vec<u8>)]) -> Result<(), StoreError> {
    let mut temps = Vec::with_capacity(files.len());
    let cleanup = |temps: &[(PathBuf, &Path)]| {
        for (tmp, _) in temps {
            let _ = fs::remove_file(tmp);
        }
    };
    for (path, bytes) in files {
        let (_, tmp) = temp_beside(path)?;
        if let Err(e) = File::create(&tmp).and_then(|mut f| f.write_all(bytes)) {
            temps.push((tmp, path.as_path()));
            cleanup(&temps);
            return Err(StoreError::io(path, e));
        }
        temps.push((tmp, path.as_path()));
    }
    let Some((first, _)) = temps.first() else {
        return Ok(());
    };
    // Contents first, then the renames that publish them.
    if let Err(e) = flush_filesystem(first, &temps) {
        cleanup(&temps);
        return Err(StoreError::io(first, e));
    }
    let mut dirs = std::collections::BTreeSet::new();
    for (tmp, path) in &temps {
        fs::rename(tmp, path).map_err(|e| StoreError::io(path, e))?;
        if let Some(dir) = path.parent() {
            dirs.insert(dir.to_path_buf());
        }
    }
    for dir in dirs {
        sync_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
    }
    Ok(())
}

/// Batches of more files than this are flushed with one `syncfs` (Linux).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const SYNCFS_FROM_FILES: usize = 64;

/// Makes the written temporaries durable: one fsync per file for a small
/// batch (a `syncfs` would also wait for every other program's writes to the
/// same file system), one `syncfs` for a large one on Linux.
fn flush_filesystem(any: &Path, temps: &[(PathBuf, &Path)]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    if temps.len() > SYNCFS_FROM_FILES {
        let file = File::open(any)?;
        return rustix::fs::syncfs(&file).map_err(std::io::Error::from);
    }
    let _ = any;
    for (tmp, _) in temps {
        File::open(tmp)?.sync_all()?;
    }
    Ok(())
}

/// Write a file readable and writable by its owner only (0600), atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic(path, bytes)?;
    set_owner_only(path)
}

#[cfg(unix)]
fn set_owner_only(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(|e| StoreError::io(path, e))
}

#[cfg(not(unix))]
fn set_owner_only(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Make a directory (and parents) that only its owner can enter (0700).
pub fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(path).map_err(|e| StoreError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .map_err(|e| StoreError::io(path, e))?;
    }
    Ok(())
}

/// fsync a directory so that a rename in it survives a power cut.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Remove temporary files a crash left behind in `dir` (not recursive). Returns how many.
pub fn remove_leftover_temps(dir: &Path) -> Result<usize, StoreError> {
    let mut removed = 0;
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(StoreError::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        if entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX) {
            fs::remove_file(entry.path()).map_err(|e| StoreError::io(&entry.path(), e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Read a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, StoreError> {
    fs::read(path).map_err(|e| StoreError::io(path, e))
}

/// Read a file that may not exist yet (`None` then), naming it in the error.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// The files in `dir` whose extension is `ext`, sorted by name (none if `dir` does not exist).
pub fn list(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, StoreError> {
    let mut paths: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io(dir, e)),
    };
    paths.sort();
    Ok(paths)
}

/// A file's name without its extension (the id a sealed file is bound to).
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
