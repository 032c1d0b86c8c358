//! Grounding: distress before and after, per technique, with counts.

use std::collections::BTreeMap;

use attune_core::schema::Technique;
use attune_core::{EntryKind, FieldValue};
use serde::Serialize;

use crate::journal::{int, Journal};
use crate::threshold::{mean, round1, Gated, Sample, PAIRED};

/// Before and after, averaged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Average before (0–10).
    pub before: f64,
    /// Average after (0–10).
    pub after: f64,
}

/// One technique's exercises.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TechniqueChange {
    /// The technique's stable key.
    pub technique: &'static str,
    /// Its words.
    pub label: &'static str,
    /// Before/after distress, shown with [`PAIRED`] exercises or more.
    pub change: Gated<Change>,
}

/// Grounding per technique.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grounding {
    /// Exercises with a before and an after.
    pub exercises: usize,
    /// Per technique.
    pub techniques: Vec<TechniqueChange>,
}

/// Average `(before, after)` pairs, shown with `threshold` pairs or more.
pub fn paired(of: String, pairs: &[(f64, f64)], threshold: usize) -> Gated<Change> {
    Gated::new(vec![Sample::new(of, pairs.len(), threshold)], || {
        let before: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let after: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        Some(Change {
            before: round1(mean(&before)?),
            after: round1(mean(&after)?),
        })
    })
}

/// Grounding exercises per technique.
pub fn grounding(j: &Journal<'_>) -> Grounding {
    let mut by: BTreeMap<Technique, Vec<(f64, f64)>> = BTreeMap::new();
    for (_, e) in j.of_kind(EntryKind::Grounding) {
        let technique = match e.fields.get("technique") {
            Some(FieldValue::Technique(t)) => *t,
            _ => Technique::Other,
        };
        if let (Some(b), Some(a)) = (int(e, "distress-before"), int(e, "distress-after")) {
            by.entry(technique).or_default().push((b as f64, a as f64));
        }
    }
    Grounding {
        exercises: by.values().map(Vec::len).sum(),
        techniques: by
            .iter()
            .map(|(t, pairs)| TechniqueChange {
                technique: t.key(),
                label: t.label(),
                change: paired(format!("{} exercises", t.label()), pairs, PAIRED),
            })
            .collect(),
    }
}

impl Grounding {
    /// Grounding in plain sentences.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "Grounding: distress before → after, from 0 (calm) to 10; {} exercises.",
            self.exercises
        )];
        for t in &self.techniques {
            out.push(match (&t.change.pattern, &t.change.note) {
                (Some(c), _) => format!(
                    "  {}: {:.1} → {:.1} on average ({} exercises)",
                    t.label, c.before, c.after, t.change.samples[0].n
                ),
                (_, note) => format!("  {}: {}", t.label, note.as_deref().unwrap_or_default()),
            });
        }
        let best = self
            .techniques
            .iter()
            .filter_map(|t| {
                t.change
                    .pattern
                    .as_ref()
                    .map(|c| (t.label, c.before - c.after))
            })
            .filter(|(_, drop)| *drop > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some((label, _)), true) = (
            best,
            self.techniques.iter().filter(|t| t.change.shown).count() > 1,
        ) {
            out.push(format!(
                "  For you, {label} has gone with the largest drop so far."
            ));
        }
        out
    }
}
