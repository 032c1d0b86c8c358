//! Bringing entries in: Attune's own JSON, jrnl, Day One, Daylio, Markdown.
//!
//! Every importer only *reads* its source into [`Incoming`] entries; [`apply`]
//! then writes them all or none. Each imported entry's id is its source id
//! (Attune's own id, or a keyed hash of the source's id, or of its content
//! when the source has none: [`source_entry_id`]), so importing the same file
//! again finds every entry already there and adds nothing.

pub mod attune;
pub mod daylio;
pub mod dayone;
pub mod detect;
pub mod jrnl;
pub mod markdown;
mod zoned;

use std::collections::BTreeSet;

use attune_core::{Edit, EntryDoc, EntryId, NewEntry, Timestamp};

use super::PortableError;
use crate::Store;

pub use detect::{detect, Source};
pub use zoned::LocalZone;

/// One entry read from a source, not yet written.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// Its id here (the source's, or derived from it).
    pub id: EntryId,
    /// How to name it in a message ("entry 3 (2021-03-03)").
    pub label: String,
    /// When it was written.
    pub created: Timestamp,
    /// When it was last changed, if later.
    pub edited: Option<Timestamp>,
    /// A tombstone.
    pub deleted: bool,
    /// What it holds.
    pub new: NewEntry,
}

/// Something in the source that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// What ("3 photos").
    pub what: String,
    /// Why ("attachments are not kept yet").
    pub why: String,
}

/// What a source holds, read and checked.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The entries.
    pub entries: Vec<Incoming>,
    /// What was left out.
    pub skipped: Vec<Skipped>,
    /// What the writer should know (the time zone zoneless times were read in).
    pub notes: Vec<String>,
    /// A safety plan the source carried (Attune's own export).
    pub safety_plan: Option<crate::SafetyPlan>,
}

/// Choices that apply to every importer.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The zone for times that carry none (jrnl, Daylio, Markdown dates).
    pub zone: LocalZone,
    /// Tags starting with this become people (`--people-from @`).
    pub people_from: Option<String>,
    /// Daylio mood name → steadiness 1–5.
    pub mood_map: Option<daylio::MoodMap>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            zone: LocalZone::system(),
            people_from: None,
            mood_map: None,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Entries written now.
    pub new: usize,
    /// Entries that were already in the journal (or twice in the source).
    pub already: usize,
    /// What was left out, and why.
    pub skipped: Vec<Skipped>,
    /// What the writer should know.
    pub notes: Vec<String>,
}

/// The id of an entry that came from `source` with the id (or content) `source_id`.
///
/// A keyed hash, so the same source entry always lands on the same id and a
/// second import finds it; the source id is not readable back from it.
pub fn source_entry_id(source: &str, source_id: &str) -> EntryId {
    let mut hasher = blake3::Hasher::new_derive_key("attune 2026-12 import source id v1");
    hasher.update(source.as_bytes());
    hasher.update(&[0]);
    hasher.update(source_id.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    EntryId(id)
}

/// Turn tags starting with `prefix` into people, keeping the rest as tags.
pub fn people_from_tags(new: &mut NewEntry, prefix: Option<&str>) {
    let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
        return;
    };
    let tags = std::mem::take(&mut new.tags);
    for tag in tags {
        match tag.strip_prefix(prefix) {
            Some(name) if !name.trim().is_empty() => {
                new.people.insert(name.trim().to_string());
            }
            _ => {
                new.tags.insert(tag);
            }
        }
    }
}

/// Add the safety plan items of `theirs` that this journal's plan lacks,
/// section by section; returns how many were added.
pub fn merge_safety_plan(
    store: &mut Store,
    theirs: &crate::SafetyPlan,
) -> Result<usize, PortableError> {
    let mut plan = store.safety_plan()?;
    let mut added = 0;
    for (_, key) in crate::safety::SECTIONS {
        if let Some(list) = plan.section_mut(key) {
            for item in theirs.section(key) {
                if !list.contains(item) {
                    list.push(item.clone());
                    added += 1;
                }
            }
        }
    }
    if added > 0 {
        store.set_safety_plan(&plan)?;
    }
    Ok(added)
}

/// One entry made into its document: its changes, saved bytes and view row.
type Made = (
    Vec<attune_core::EntryChange>,
    (EntryId, Vec<u8>, Option<attune_core::Entry>),
);

/// Make the document of one incoming entry on this device (`actor`).
fn make(file: &str, actor: &[u8], incoming: Incoming) -> Result<Made, PortableError> {
    let bad = |e: attune_core::CoreError| {
        PortableError::malformed(file, &incoming.label, "entry", e.to_string())
    };
    let (mut doc, first) =
        EntryDoc::create(incoming.id, actor, incoming.created, incoming.new.clone())
            .map_err(bad)?;
    let mut changes = vec![first];
    let later = incoming
        .edited
        .filter(|t| t.unix_ms > incoming.created.unix_ms);
    if incoming.deleted || later.is_some() {
        // Deleting (or touching) at the edit time keeps the "edited" moment.
        let at = later.unwrap_or(incoming.created);
        // Putting a value it already has is no change, so a live entry is
        // touched by hiding and showing it again in one change.
        let edits: &[Edit] = if incoming.deleted {
            &[Edit::Delete]
        } else {
            &[Edit::Delete, Edit::Restore]
        };
        if let Some(change) = doc.edit(at, edits).map_err(bad)? {
            changes.push(change);
        }
    }
    let entry = doc.entry().ok();
    Ok((changes, (doc.id(), doc.save(), entry)))
}

/// Write every entry of `parsed` that the journal lacks, all or nothing, as
/// one durable batch; `progress` hears how many entries were prepared so far.
///
/// The Automerge work (creating and saving each document) runs on every core.
pub fn apply(
    store: &mut Store,
    file: &str,
    parsed: Parsed,
    progress: &mut dyn FnMut(usize),
) -> Result<Summary, PortableError> {
    let mut known: BTreeSet<EntryId> = store.entry_ids()?.into_iter().collect();
    let actor = store.config().actor();
    let parsed_plan = parsed.safety_plan;
    let mut summary = Summary {
        skipped: parsed.skipped,
        notes: parsed.notes,
        ..Summary::default()
    };
    let mut fresh = Vec::new();
    for incoming in parsed.entries {
        if known.insert(incoming.id) {
            fresh.push(incoming);
        } else {
            summary.already += 1;
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let per_thread = fresh.len().div_ceil(threads).max(1);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut made: Vec<Made> = Vec::with_capacity(fresh.len());
    std::thread::scope(|scope| -> Result<(), PortableError> {
        let mut workers = Vec::new();
        let mut rest = fresh;
        while !rest.is_empty() {
            let chunk: Vec<Incoming> = rest.drain(..per_thread.min(rest.len())).collect();
            let (actor, done) = (&actor, &done);
            workers.push(scope.spawn(move || {
                chunk
                    .into_iter()
                    .map(|incoming| {
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        make(file, actor, incoming)
                    })
                    .collect::<Result<Vec<Made>, PortableError>>()
            }));
        }
        while workers.iter().any(|w| !w.is_finished()) {
            progress(done.load(std::sync::atomic::Ordering::Relaxed));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        for worker in workers {
            let part = worker.join().map_err(|_| {
                PortableError::malformed(file, "an entry", "entry", "preparing it failed")
            })??;
            made.extend(part);
        }
        progress(done.load(std::sync::atomic::Ordering::Relaxed));
        Ok(())
    })?;
    let mut changes = Vec::new();
    let mut rows = Vec::with_capacity(made.len());
    for (c, row) in made {
        changes.extend(c);
        rows.push(row);
    }
    summary.new = store.save_local_saved(changes, rows)?;
    if let Some(plan) = &parsed_plan {
        let added = merge_safety_plan(store, plan)?;
        if added > 0 {
            summary
                .notes
                .push(format!("{added} item(s) added to your safety plan"));
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ids_are_stable_and_distinct() {
        assert_eq!(source_entry_id("jrnl", "a"), source_entry_id("jrnl", "a"));
        assert_ne!(source_entry_id("jrnl", "a"), source_entry_id("dayone", "a"));
        assert_ne!(source_entry_id("jrnl", "a"), source_entry_id("jrnl", "b"));
    }

    #[test]
    fn at_tags_become_people_only_when_asked() {
        let mut new = NewEntry {
            tags: ["@Ana".to_string(), "work".to_string()].into(),
            ..Default::default()
        };
        people_from_tags(&mut new, None);
        assert_eq!(new.tags.len(), 2);
        people_from_tags(&mut new, Some("@"));
        assert!(new.people.contains("Ana"));
        assert_eq!(new.tags, ["work".to_string()].into());
    }
}
