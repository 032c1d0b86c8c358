//! Searching the whole journal: every month view opened, searched and
//! dropped in turn, months on every core, so that a search of 100,000
//! entries neither holds them all in memory nor waits for one core.

use attune_core::{Entry, Query};

use super::parallel;
use super::views::{open_view_file, ViewProblem};
use super::Store;
use crate::dir::atomic as files;
use crate::StoreError;

/// What searching one month view found.
enum MonthHits {
    Found(Vec<(Entry, String)>),
    /// The view must be rebuilt or reported: the loaded path does that.
    Unusable,
}

impl Store {
    /// Entries containing every word of `text` (any case, in text, tags and
    /// people), with a snippet each, newest first.
    pub fn search(
        &mut self,
        text: &str,
        query: &Query,
    ) -> Result<Vec<(Entry, String)>, StoreError> {
        if self.all_views_loaded || query.from_ms.is_some() {
            return self.search_loaded(text, query);
        }
        let mut sealed = Vec::new();
        for path in self.view_files()? {
            let bytes = files::read(&path)?;
            sealed.push((path, bytes));
        }
        let unlimited = Query {
            limit: None,
            ..query.clone()
        };
        let sealer = &self.sealer;
        let months = parallel::map_each(sealed, |(path, bytes)| {
            match open_view_file(sealer, &path, &files::stem(&path), &bytes) {
                Ok(view) => MonthHits::Found(
                    attune_core::search(view.entries.values(), text, &unlimited)
                        .into_iter()
                        .map(|hit| (hit.entry.clone(), hit.snippet))
                        .collect(),
                ),
                Err(ViewProblem::Outdated | ViewProblem::Damaged(_)) => MonthHits::Unusable,
            }
        });
        let mut hits = Vec::new();
        for month in months {
            match month {
                MonthHits::Found(found) => hits.extend(found),
                // Rebuilt (and reported) on the way through the loaded views.
                MonthHits::Unusable => return self.search_loaded(text, query),
            }
        }
        hits.sort_by(|(a, _), (b, _)| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
        if let Some(limit) = query.limit {
            hits.truncate(limit);
        }
        Ok(hits)
    }
}
