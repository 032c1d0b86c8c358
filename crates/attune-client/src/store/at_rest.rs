//! The device's own at-rest key: random, local, wrapped to the device identity.
//!
//! Every file a device seals on its disk (entries, views, pending and outbox
//! records, the safety plan, sync state) is sealed with this key. It is made
//! on the device, never leaves it, and is not a journal key: no key fetched
//! from a relay or another device can replace it, and a device that was
//! revoked cannot open another device's files even though it once held the
//! same journal keys.
//!
//! Journals made before this key existed sealed their files with the journal
//! key of the lowest epoch, which every device of the journal holds. Opening
//! such a journal migrates it ([`load_or_migrate`]): a new key is written
//! aside first, every sealed file is re-sealed under it (each atomically),
//! views are dropped to be rebuilt, and only then does the new key take its
//! final name. A crash at any point resumes the same migration at the next open.

use std::fs;
use std::path::{Path, PathBuf};

use attune_crypto::{
    open_blob, seal_blob, unwrap_at_rest_key, wrap_at_rest_key, DeviceIdentity, JournalKey,
};

use crate::dir::atomic as files;
use crate::dir::layout::{
    AT_REST_FILE, AT_REST_MIGRATING_FILE as MIGRATING_FILE, CONFIG_FILE, ENTRIES_DIR,
    IDENTITY_FILE, LOCK_FILE, MANIFEST_FILE, OUTBOX_DIR, PENDING_DIR, RECORD_EXT, SAFETY_FILE,
    VIEWS_DIR,
};
use crate::dir::sealed::Purpose;
use crate::StoreError;

/// Files in the journal directory that are not sealed with the at-rest key.
const UNSEALED_ROOT_FILES: [&str; 5] = [
    CONFIG_FILE,
    IDENTITY_FILE,
    LOCK_FILE,
    AT_REST_FILE,
    MIGRATING_FILE,
];

/// A new at-rest key for a new device directory, written wrapped to `identity`.
pub(crate) fn create(dir: &Path, identity: &DeviceIdentity) -> Result<JournalKey, StoreError> {
    let key = JournalKey::generate();
    files::write_private(&dir.join(AT_REST_FILE), &wrap_at_rest_key(&key, identity)?)?;
    Ok(key)
}

/// What opening found: the key, and whether files were migrated to it (views must be rebuilt).
pub(crate) struct AtRest {
    pub key: JournalKey,
    pub migrated: bool,
}

/// The device's at-rest key; migrates a journal sealed with the shared
/// `legacy` key (the lowest epoch's journal key) first.
pub(crate) fn load_or_migrate(
    dir: &Path,
    identity: &DeviceIdentity,
    legacy: Option<&JournalKey>,
) -> Result<AtRest, StoreError> {
    let path = dir.join(AT_REST_FILE);
    if path.exists() {
        let key = unwrap_at_rest_key(&files::read(&path)?, identity)
            .map_err(|e| StoreError::damaged(&path, e))?;
        return Ok(AtRest {
            key,
            migrated: false,
        });
    }
    let Some(legacy) = legacy else {
        return Err(StoreError::damaged(
            &path,
            "the device's at-rest key is missing",
        ));
    };
    let marker = dir.join(MIGRATING_FILE);
    let resuming = marker.exists();
    let key = if resuming {
        unwrap_at_rest_key(&files::read(&marker)?, identity)
            .map_err(|e| StoreError::damaged(&marker, e))?
    } else {
        JournalKey::generate()
    };
    let sealed = sealed_files(dir)?;
    // Only a journal of the old layout migrates: if files exist and not one
    // opens with the old shared key (nor, when resuming, the new one), the
    // at-rest key file was lost, and nothing is touched.
    let opens = |key: &JournalKey| {
        sealed.iter().any(|(file, purpose, id)| {
            files::read(file).is_ok_and(|b| open_blob(key, purpose.as_str(), id, &b).is_ok())
        })
    };
    let migratable = sealed.is_empty() || opens(legacy) || (resuming && opens(&key));
    if !migratable {
        return Err(StoreError::damaged(
            &path,
            "this device's at-rest key is missing, and its files are sealed with it: restore the file from a backup of this directory",
        ));
    }
    if !resuming {
        files::write_private(&marker, &wrap_at_rest_key(&key, identity)?)?;
    }
    for (file, purpose, id) in sealed {
        reseal(&file, purpose, &id, legacy, &key)?;
    }
    // The manifest records the old files' hashes: it is made anew from the re-sealed ones.
    match fs::remove_file(dir.join(MANIFEST_FILE)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io(&dir.join(MANIFEST_FILE), e)),
    }
    // Views are named and sealed with the key; they are rebuilt from the entries.
    let views = dir.join(VIEWS_DIR);
    if let Ok(entries) = fs::read_dir(&views) {
        for entry in entries.flatten() {
            fs::remove_file(entry.path()).map_err(|e| StoreError::io(&entry.path(), e))?;
        }
    }
    fs::rename(&marker, &path).map_err(|e| StoreError::io(&path, e))?;
    files::sync_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    Ok(AtRest {
        key,
        migrated: true,
    })
}

/// Re-seals one file under `key` unless it already is; a file that opens
/// under neither key is left as it is (`attune check` reports it).
fn reseal(
    file: &Path,
    purpose: Purpose,
    id: &str,
    legacy: &JournalKey,
    key: &JournalKey,
) -> Result<(), StoreError> {
    let sealed = files::read(file)?;
    let purpose = purpose.as_str();
    if open_blob(key, purpose, id, &sealed).is_ok() {
        return Ok(());
    }
    if let Ok(plain) = open_blob(legacy, purpose, id, &sealed) {
        files::write_atomic(file, &seal_blob(key, purpose, id, &plain)?)?;
    }
    Ok(())
}

/// Every file sealed with the at-rest key, with its purpose and id.
fn sealed_files(dir: &Path) -> Result<Vec<(PathBuf, Purpose, String)>, StoreError> {
    let mut out = Vec::new();
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    for (sub, ext, purpose) in [
        (ENTRIES_DIR, "am", Purpose::Entry),
        (ENTRIES_DIR, "pack", Purpose::Pack),
        (PENDING_DIR, RECORD_EXT, Purpose::Record),
        (OUTBOX_DIR, RECORD_EXT, Purpose::Record),
    ] {
        for file in list(&dir.join(sub))? {
            if file.extension().and_then(|e| e.to_str()) == Some(ext) {
                let id = stem(&file);
                out.push((file, purpose, id));
            }
        }
    }
    for file in list(dir)? {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !file.is_file() || UNSEALED_ROOT_FILES.contains(&name.as_str()) {
            continue;
        }
        if name == SAFETY_FILE {
            out.push((file, Purpose::SafetyPlan, String::new()));
        } else {
            out.push((file, Purpose::State, name));
        }
    }
    Ok(out)
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(entries.flatten().map(|e| e.path()).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(StoreError::io(dir, e)),
    }
}
