//! Setbacks: the time to feel steady again, by month, what helped, and the trend said gently.

use std::collections::BTreeMap;

use attune_core::EntryKind;
use serde::Serialize;

use crate::journal::{int, text, Journal};
use crate::phrases::{group, Phrase};
use crate::threshold::{median, Gated, Sample, SETBACK_TREND};

/// Setbacks over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setbacks {
    /// Setbacks written.
    pub count: usize,
    /// Per month: how many, and the middle time to steady of those that say it.
    pub by_month: Vec<SetbackMonth>,
    /// The last three against the three before, shown with six or more timed setbacks.
    pub trend: Gated<Trend>,
    /// "What helped me steady", grouped.
    pub what_helped: Vec<Phrase>,
}

/// One month of setbacks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetbackMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Setbacks that month.
    pub count: usize,
    /// Setbacks that month with a time to steady.
    pub timed: usize,
    /// The median minutes to steady of those.
    pub median_minutes: Option<f64>,
}

/// The recent setbacks against the ones before.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trend {
    /// Median minutes to steady of the last three.
    pub recent_minutes: f64,
    /// Of the three before.
    pub earlier_minutes: f64,
    /// The trend in words.
    pub sentence: String,
}

/// Minutes in words: "40 minutes", "2.5 hours", "3 days".
pub fn duration(minutes: f64) -> String {
    if minutes < 90.0 {
        format!("{minutes:.0} minutes")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} hours", minutes / 60.0)
    } else {
        format!("{:.0} days", minutes / 1440.0)
    }
}

/// The setbacks of the journal.
pub fn setbacks(j: &Journal<'_>) -> Setbacks {
    let all: Vec<_> = j.of_kind(EntryKind::Setback).collect();
    let mut months: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
    let mut timed = Vec::new();
    for (d, e) in &all {
        let m = months.entry(d.month()).or_default();
        m.0 += 1;
        if let Some(min) = int(e, "minutes-to-steady") {
            m.1.push(min as f64);
            timed.push(min as f64);
        }
    }
    let by_month = months
        .into_iter()
        .map(|(month, (count, mins))| SetbackMonth {
            month,
            count,
            timed: mins.len(),
            median_minutes: median(&mins),
        })
        .collect();
    let trend = Gated::new(
        vec![Sample::new(
            "setbacks with a time to steady",
            timed.len(),
            SETBACK_TREND,
        )],
        || {
            let n = timed.len();
            let recent = median(&timed[n - 3..])?;
            let earlier = median(&timed[n - 6..n - 3])?;
            let said = format!("{} vs {}", duration(recent), duration(earlier));
            let sentence = if recent < earlier * 0.9 {
                format!("The last three took less time to feel steady again than the three before (about {said}).")
            } else if recent > earlier * 1.1 {
                format!("The last three took longer to feel steady again than the three before (about {said}). Healing is not linear; each revisit can still be calmer.")
            } else {
                format!("The last three took about as long to feel steady again as the three before (about {said}).")
            };
            Some(Trend {
                recent_minutes: recent,
                earlier_minutes: earlier,
                sentence,
            })
        },
    );
    Setbacks {
        count: all.len(),
        by_month,
        trend,
        what_helped: group(all.iter().filter_map(|(_, e)| text(e, "what-helped"))),
    }
}

impl Setbacks {
    /// Setbacks in plain sentences.
    pub fn lines(&self) -> Vec<String> {
        if self.count == 0 {
            return vec!["Setbacks: none written.".into()];
        }
        let mut out = vec![format!(
            "Setbacks: {} written. Writing them down is already care.",
            self.count
        )];
        for m in &self.by_month {
            let steady = m
                .median_minutes
                .map(|x| {
                    format!(
                        ", steady again after about {} (middle of {})",
                        duration(x),
                        m.timed
                    )
                })
                .unwrap_or_default();
            out.push(format!("  {}: {}{steady}", m.month, m.count));
        }
        match (&self.trend.pattern, &self.trend.note) {
            (Some(t), _) => out.push(format!("  {}", t.sentence)),
            (None, Some(note)) => out.push(format!("  Trend: {note}.")),
            _ => {}
        }
        if !self.what_helped.is_empty() {
            out.push("  What helped you steady:".into());
            for p in self.what_helped.iter().take(5) {
                out.push(format!("    “{}” ({}×)", p.text, p.count));
            }
        }
        out
    }
}
