//! Month views: the sealed, materialised entries of one month, so that a list
//! opens only the months it shows. Views are derived from the entry documents
//! and rebuilt from them when damaged, and when they were written by a build
//! that knew other kinds or fields (an entry of a kind this build did not
//! know was materialised as "newer": after an update it must be read again).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use attune_core::{Entry, EntryId, EntryKind, FieldType, Query, Timestamp};
use serde::{Deserialize, Serialize};

use super::{now_ms, Store};
use crate::dir::atomic as files;
use crate::dir::layout::{self, VIEWS_DIR};
use crate::dir::sealed::{Purpose, Sealer};
use crate::StoreError;

/// The format of a view file; views of another format are rebuilt from the
/// entries. (1: kinds and field values written by declaration order.)
const VIEW_VERSION: u8 = 2;

#[derive(Serialize, Deserialize)]
pub(super) struct MonthView {
    v: u8,
    /// The [`schema_fingerprint`] of the build that wrote it.
    schema: [u8; 8],
    month: String,
    pub(super) entries: BTreeMap<EntryId, Entry>,
}

impl MonthView {
    fn empty(month: String) -> MonthView {
        MonthView {
            v: VIEW_VERSION,
            schema: schema_fingerprint(),
            month,
            entries: BTreeMap::new(),
        }
    }
}

/// Why a view file cannot be used as it is.
pub(super) enum ViewProblem {
    /// Written by another build (another format or schema): rebuilt quietly.
    Outdated,
    /// Damaged: rebuilt, and the writer is told.
    Damaged(String),
}

/// A fingerprint of the kinds, fields and choices this build knows: views
/// written by a build that knew others are rebuilt from the entries.
pub(crate) fn schema_fingerprint() -> [u8; 8] {
    static FINGERPRINT: std::sync::OnceLock<[u8; 8]> = std::sync::OnceLock::new();
    *FINGERPRINT.get_or_init(|| {
        let mut hasher = blake3::Hasher::new();
        for kind in EntryKind::ALL {
            hasher.update(format!("kind {} {}\n", kind.code(), kind.key()).as_bytes());
            for field in kind.fields() {
                hasher.update(format!("field {} {:?}\n", field.key, field.ty).as_bytes());
                if let FieldType::Choice(set) = field.ty {
                    for (key, _) in set.options() {
                        hasher.update(format!("choice {key}\n").as_bytes());
                    }
                }
            }
        }
        let mut out = [0; 8];
        out.copy_from_slice(&hasher.finalize().as_bytes()[..8]);
        out
    })
}

/// Open the sealed view `name` read from `path`.
pub(super) fn open_view_file(
    sealer: &Sealer,
    path: &Path,
    name: &str,
    sealed: &[u8],
) -> Result<MonthView, ViewProblem> {
    let damaged = |e: &dyn std::fmt::Display| ViewProblem::Damaged(e.to_string());
    let plain = sealer
        .open(path, Purpose::View, name, sealed)
        .map_err(|e| damaged(&e))?;
    // The version first, alone: an older format is not read as this one.
    let (v, _) = postcard::take_from_bytes::<u8>(&plain).map_err(|e| damaged(&e))?;
    if v != VIEW_VERSION {
        return Err(ViewProblem::Outdated);
    }
    let view: MonthView = postcard::from_bytes(&plain).map_err(|e| damaged(&e))?;
    if view.schema != schema_fingerprint() {
        return Err(ViewProblem::Outdated);
    }
    Ok(view)
}

impl Store {
    fn view_name(&self, month: &str) -> String {
        self.sealer.private_name(Purpose::View, month)
    }

    fn view_path(&self, name: &str) -> PathBuf {
        layout::view_file(&self.dir, name)
    }

    /// Put `entry` in its month's view (loaded first; saved by the caller).
    pub(super) fn add_to_view(&mut self, month: &str, entry: Entry) -> Result<(), StoreError> {
        self.load_month(month)?;
        if let Some(view) = self.views.get_mut(month) {
            view.entries.insert(entry.id, entry);
        }
        Ok(())
    }

    /// The sealed file of a loaded view, ready to write.
    pub(super) fn sealed_view(
        &self,
        month: &str,
    ) -> Result<Option<(PathBuf, Vec<u8>)>, StoreError> {
        let Some(view) = self.views.get(month) else {
            return Ok(None);
        };
        let name = self.view_name(month);
        let path = self.view_path(&name);
        let plain = postcard::to_allocvec(view).map_err(|e| StoreError::damaged(&path, e))?;
        let sealed = self.sealer.seal(Purpose::View, &name, &plain)?;
        Ok(Some((path, sealed)))
    }

    pub(super) fn save_view(&self, month: &str) -> Result<(), StoreError> {
        match self.sealed_view(month)? {
            Some((path, sealed)) => files::write_atomic(&path, &sealed),
            None => Ok(()),
        }
    }

    /// Load the view of `month` if it is not loaded yet (a missing view is an empty month).
    fn load_month(&mut self, month: &str) -> Result<(), StoreError> {
        if self.views.contains_key(month) {
            return Ok(());
        }
        let name = self.view_name(month);
        let path = self.view_path(&name);
        let view = match files::read_if_exists(&path)? {
            Some(sealed) => match self.open_view(&name, &sealed) {
                Ok(view) => view,
                Err(ViewProblem::Outdated) => {
                    self.rebuild_views()?;
                    return Ok(());
                }
                Err(ViewProblem::Damaged(reason)) => {
                    self.warnings.push(format!(
                        "{} was damaged ({reason}); rebuilt it from the entries",
                        path.display()
                    ));
                    self.rebuild_views()?;
                    return Ok(());
                }
            },
            None => MonthView::empty(month.to_string()),
        };
        self.views.insert(month.to_string(), view);
        Ok(())
    }

    pub(super) fn open_view(&self, name: &str, sealed: &[u8]) -> Result<MonthView, ViewProblem> {
        open_view_file(&self.sealer, &self.view_path(name), name, sealed)
    }

    /// Every view file on disk.
    pub(super) fn view_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        files::list(&self.dir.join(VIEWS_DIR), "view")
    }

    fn load_all_views(&mut self) -> Result<(), StoreError> {
        if self.all_views_loaded {
            return Ok(());
        }
        let mut damaged = Vec::new();
        let mut outdated = false;
        for path in self.view_files()? {
            match self.open_view(&files::stem(&path), &files::read(&path)?) {
                Ok(view) => {
                    self.views.entry(view.month.clone()).or_insert(view);
                }
                Err(ViewProblem::Outdated) => outdated = true,
                Err(ViewProblem::Damaged(reason)) => {
                    damaged.push(format!("{} was damaged ({reason})", path.display()))
                }
            }
        }
        if !damaged.is_empty() || outdated {
            self.warnings.extend(
                damaged
                    .into_iter()
                    .map(|d| format!("{d}; rebuilt the views from the entries")),
            );
            self.rebuild_views()?;
        }
        self.all_views_loaded = true;
        Ok(())
    }

    /// Rebuild every month view from the entry documents (after damage).
    pub fn rebuild_views(&mut self) -> Result<(), StoreError> {
        let mut views: BTreeMap<String, MonthView> = BTreeMap::new();
        let (ids, damaged) = self.packs.ids(&self.sealer)?;
        for (path, reason) in damaged {
            self.warnings.push(format!(
                "{} could not be read ({reason}): its entries are left out of the lists until `attune check` is answered",
                path.display()
            ));
        }
        for id in ids {
            match self.load_doc(id) {
                Ok(Some(doc)) => {
                    if let Ok(entry) = doc.entry() {
                        let month = entry.created.local_month();
                        views
                            .entry(month.clone())
                            .or_insert_with(|| MonthView::empty(month))
                            .entries
                            .insert(id, entry);
                    }
                }
                Ok(None) => {}
                Err(e) => self.warnings.push(e.to_string()),
            }
        }
        let dir = self.dir.join(VIEWS_DIR);
        for entry in fs::read_dir(&dir)
            .map_err(|e| StoreError::io(&dir, e))?
            .flatten()
        {
            let _ = fs::remove_file(entry.path());
        }
        self.views = views;
        let months: Vec<String> = self.views.keys().cloned().collect();
        for month in months {
            self.save_view(&month)?;
        }
        self.all_views_loaded = true;
        Ok(())
    }

    /// The view row of every entry (what this device shows in lists), by id.
    pub fn view_rows(&mut self) -> Result<BTreeMap<EntryId, Entry>, StoreError> {
        // Every month (deleted entries included: they are rows of the views too).
        self.load_for(&Query::default())?;
        Ok(self
            .views
            .values()
            .flat_map(|v| v.entries.iter().map(|(id, e)| (*id, e.clone())))
            .collect())
    }

    /// One entry as it reads now (deleted ones too).
    pub fn get(&mut self, id: EntryId) -> Result<Entry, StoreError> {
        match self.load_doc(id) {
            Ok(Some(doc)) => Ok(doc.entry()?),
            Ok(None) => Err(StoreError::NoSuchEntry(id.to_string())),
            Err(damaged) => {
                // The document is damaged: show the last materialised copy and say so.
                self.load_all_views()?;
                let copy = self
                    .views
                    .values()
                    .find_map(|v| v.entries.get(&id))
                    .cloned();
                match copy {
                    Some(entry) => {
                        self.warnings
                            .push(format!("{damaged}; showing the last saved copy"));
                        Ok(entry)
                    }
                    None => Err(damaged),
                }
            }
        }
    }

    /// Entries matching `query`, newest first. Loads only the months the query needs.
    pub fn list(&mut self, query: &Query) -> Result<Vec<Entry>, StoreError> {
        self.load_for(query)?;
        Ok(
            attune_core::list(self.views.values().flat_map(|v| v.entries.values()), query)
                .into_iter()
                .cloned()
                .collect(),
        )
    }

    /// [`Store::search`] over the loaded views.
    pub(super) fn search_loaded(
        &mut self,
        text: &str,
        query: &Query,
    ) -> Result<Vec<(Entry, String)>, StoreError> {
        self.load_for(query)?;
        Ok(attune_core::search(
            self.views.values().flat_map(|v| v.entries.values()),
            text,
            query,
        )
        .into_iter()
        .map(|hit| (hit.entry.clone(), hit.snippet))
        .collect())
    }

    pub(super) fn load_for(&mut self, query: &Query) -> Result<(), StoreError> {
        match (query.from_ms, self.all_views_loaded) {
            (Some(from), false) => {
                // Local months can start up to 14 hours from UTC; widen by a day each side.
                let until = query.until_ms.unwrap_or_else(|| now_ms() + 86_400_000);
                let mut t = from - 86_400_000;
                let mut months = BTreeSet::new();
                while t <= until + 86_400_000 {
                    months.insert(Timestamp::new(t, 0).local_month());
                    t += 86_400_000;
                }
                for month in months {
                    self.load_month(&month)?;
                }
                Ok(())
            }
            _ => self.load_all_views(),
        }
    }
}

#[cfg(test)]
#[path = "views_tests.rs"]
mod tests;
