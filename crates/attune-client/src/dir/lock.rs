//! The exclusive lock on a journal directory: one attune process at a time.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::dir::layout::LOCK_FILE;
use crate::StoreError;

/// The exclusive lock on a journal directory, released when dropped.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
}

impl DirLock {
    /// Take the lock, waiting up to `wait` for another process to finish.
    pub fn acquire(dir: &Path, wait: Duration) -> Result<DirLock, StoreError> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(&path, e)),
            }
            if start.elapsed() >= wait {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                return Err(StoreError::Busy {
                    dir: dir.to_path_buf(),
                    holder: holder.trim().to_string(),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = file.set_len(0);
        let _ = (&file).write_all(format!("pid {}", std::process::id()).as_bytes());
        Ok(DirLock { file, path })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
        let _ = &self.path;
    }
}
