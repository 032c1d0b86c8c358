//! When a pattern may be shown: every group behind it has enough entries.
//!
//! An insight is an association, never a verdict, and one drawn from two or
//! three entries says more about chance than about the writer. Each pattern is
//! wrapped in a [`Gated`]: the sample sizes behind it, the threshold each
//! passed, and, below a threshold, the gentle note and how many more would do.
//! `docs/INSIGHTS.md` says why each number is what it is.

use serde::Serialize;

/// Entries per group for an average across entries (a person, a setting, a month).
pub const PER_GROUP: usize = 5;
/// Days with, and days without, a routine before comparing them.
pub const DAYS_EACH_SIDE: usize = 3;
/// Conversations in one person × setting cell of the heat-map.
pub const PER_CELL: usize = 3;
/// Paired before/after measures (grounding per technique, reframes).
pub const PAIRED: usize = 3;
/// Setbacks with a time to steady before a trend is said: the last three against the three before.
pub const SETBACK_TREND: usize = 6;

/// What the note says when a pattern is not shown yet.
pub const NOT_ENOUGH: &str = "not enough entries yet to show a pattern";

/// One group behind a pattern: how many it has and how many it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// What is counted, in words ("conversations with Ana").
    pub of: String,
    /// How many there are.
    pub n: usize,
    /// How many it takes.
    pub threshold: usize,
}

impl Sample {
    /// A group of `n` of something that needs `threshold`.
    pub fn new(of: impl Into<String>, n: usize, threshold: usize) -> Sample {
        Sample {
            of: of.into(),
            n,
            threshold,
        }
    }

    /// Whether the group is large enough.
    pub fn passes(&self) -> bool {
        self.n >= self.threshold
    }
}

/// A pattern, shown only when every sample behind it passed its threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gated<T> {
    /// Whether the pattern is shown.
    pub shown: bool,
    /// Every group behind the pattern, with its size and threshold.
    pub samples: Vec<Sample>,
    /// The pattern (absent below a threshold).
    pub pattern: Option<T>,
    /// How many more entries would do (0 when shown).
    pub more_needed: usize,
    /// Below a threshold: "not enough entries yet to show a pattern (…)".
    pub note: Option<String>,
}

impl<T> Gated<T> {
    /// Gate `pattern` behind `samples`: computed only when every sample passes.
    pub fn new(samples: Vec<Sample>, pattern: impl FnOnce() -> Option<T>) -> Gated<T> {
        let short: Vec<&Sample> = samples.iter().filter(|s| !s.passes()).collect();
        if short.is_empty() {
            if let Some(pattern) = pattern() {
                return Gated {
                    shown: true,
                    samples,
                    pattern: Some(pattern),
                    more_needed: 0,
                    note: None,
                };
            }
        }
        let more_needed = short.iter().map(|s| s.threshold - s.n).sum();
        let wants: Vec<String> = short
            .iter()
            .map(|s| format!("{}: {} more", s.of, s.threshold - s.n))
            .collect();
        let note = if wants.is_empty() {
            NOT_ENOUGH.to_string()
        } else {
            format!("{NOT_ENOUGH} ({} would do)", wants.join(" and "))
        };
        Gated {
            shown: false,
            samples,
            pattern: None,
            more_needed,
            note: Some(note),
        }
    }
}

/// A group's average, shown with its label.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Average {
    /// The group, in words ("Ana", "one-on-one", "2026-03").
    pub label: String,
    /// The average, rounded to one decimal.
    pub mean: f64,
}

/// The average of `values` for the group `label`, shown only with `threshold` values or more.
pub fn average(label: &str, of: String, values: &[f64], threshold: usize) -> Gated<Average> {
    Gated::new(vec![Sample::new(of, values.len(), threshold)], || {
        mean(values).map(|m| Average {
            label: label.to_string(),
            mean: round1(m),
        })
    })
}

/// The mean of `values`, if there are any.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The median of `values`, if there are any.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// A mean rounded to one decimal, as shown and as written in `--json`.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_group_hides_the_pattern_and_says_how_many_more() {
        let g = Gated::new(vec![Sample::new("conversations with Ana", 3, 5)], || {
            Some(1)
        });
        assert!(!g.shown && g.pattern.is_none());
        assert_eq!(g.more_needed, 2);
        assert_eq!(
            g.note.as_deref(),
            Some(
                "not enough entries yet to show a pattern (conversations with Ana: 2 more would do)"
            )
        );
        let g = Gated::new(vec![Sample::new("x", 5, 5)], || Some(1));
        assert_eq!((g.shown, g.pattern), (true, Some(1)));
    }
}
