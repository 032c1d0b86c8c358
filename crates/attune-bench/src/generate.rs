//! A realistic generated journal: entries of every kind over years, their
//! bodies typed a word per splice, as the journal and catch-up benchmarks use it.

use anyhow::Result;
use attune_core::{Edit, EntryDoc, EntryId, EntryKind, FieldType, FieldValue, NewEntry, Timestamp};

use crate::Rng;

pub(crate) const DAY_MS: i64 = 86_400_000;
/// 2016-12-02T19:00Z: ten years before the benchmark's "today".
pub(crate) const START_MS: i64 = 1_480_705_200_000;
/// A generated journal spans ten years: one entry a day up to 3,650 entries,
/// more a day beyond (85,000 entries are about 700 a month).
pub(crate) const SPAN_DAYS: i64 = 3650;

/// Milliseconds between two generated entries.
pub(crate) fn spacing_ms(entries: usize) -> i64 {
    (SPAN_DAYS * DAY_MS) / (entries.max(SPAN_DAYS as usize) as i64)
}

/// The benchmark's "today": just after the last generated entry.
pub(crate) fn today_ms(entries: usize) -> i64 {
    START_MS + entries as i64 * spacing_ms(entries)
}
const WORDS: &[&str] = &[
    "today",
    "I",
    "felt",
    "connected",
    "with",
    "Ana",
    "when",
    "we",
    "walked",
    "by",
    "the",
    "river",
    "and",
    "she",
    "listened",
    "without",
    "rushing",
    "me",
    "my",
    "chest",
    "was",
    "tight",
    "at",
    "first",
    "but",
    "then",
    "breathing",
    "slowly",
    "helped",
    "noticed",
    "urge",
    "to",
    "fix",
    "paused",
    "asked",
    "what",
    "she",
    "meant",
    "work",
    "meeting",
    "out",
    "of",
    "sync",
    "tired",
    "sleep",
    "morning",
    "coffee",
    "group",
    "session",
    "therapist",
    "story",
    "memory",
    "kind",
    "gentle",
    "small",
    "win",
    "steady",
    "again",
    "after",
    "hour",
    "evening",
    "phone",
    "call",
    "brother",
    "quiet",
    "heard",
    "interest",
    "genuine",
    "grounding",
    "senses",
    "five",
    "things",
    "see",
    "hear",
    "touch",
];

/// One generated entry: its document, plus how many characters were typed.
pub(crate) struct Generated {
    pub(crate) docs: Vec<EntryDoc>,
    pub(crate) text_bytes: usize,
    pub(crate) splices: usize,
}

impl Generated {
    /// A new journal in `dir` (device "bench", no passphrase) holding these entries.
    pub(crate) fn write_journal(&self, dir: &std::path::Path) -> anyhow::Result<()> {
        let mut store = attune_client::Store::init(
            dir,
            attune_client::InitOptions {
                device_name: "bench".into(),
                ..Default::default()
            },
        )?;
        store.insert_docs(&self.docs)?;
        Ok(())
    }
}

fn sample_field(rng: &mut Rng, ty: FieldType) -> Option<String> {
    Some(match ty {
        FieldType::Text => return None,
        FieldType::Int { min, max } => {
            (min + (rng.next_u64() % ((max - min + 1) as u64).min(11)) as i64).to_string()
        }
        FieldType::Real { .. } => format!("{}.5", 5 + rng.next_u64() % 4),
        FieldType::Choice(set) => set.options()
            [(rng.next_u64() % set.options().len() as u64) as usize]
            .0
            .to_string(),
    })
}

pub(crate) fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[(rng.next_u64() % WORDS.len() as u64) as usize]);
    }
    s.push_str(". ");
    s
}

/// Type `text` into the body as a writer would: a word per splice, one commit per sitting.
fn type_body(doc: &mut EntryDoc, at: Timestamp, text: &str, sittings: usize) -> Result<usize> {
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    let per_sitting = words.len().div_ceil(sittings.max(1));
    let mut pos = doc.entry()?.body.chars().count();
    let mut splices = 0;
    for chunk in words.chunks(per_sitting.max(1)) {
        let edits: Vec<Edit> = chunk
            .iter()
            .map(|w| {
                let e = Edit::SpliceBody {
                    pos,
                    delete: 0,
                    insert: (*w).to_string(),
                };
                pos += w.chars().count();
                e
            })
            .collect();
        splices += edits.len();
        doc.edit(at, &edits)?;
    }
    Ok(splices)
}

/// `actor` is the Automerge author of every change (a device only syncs what it wrote).
pub(crate) fn generate(
    entries: usize,
    target_text_bytes: usize,
    actor: &[u8],
) -> Result<Generated> {
    let mut rng = Rng(0x5eed_a77e);
    let per_entry = target_text_bytes / entries;
    let spacing = spacing_ms(entries);
    let mut docs = Vec::with_capacity(entries);
    let (mut text_bytes, mut splices) = (0, 0);
    for i in 0..entries {
        let kind = EntryKind::ALL[i % EntryKind::ALL.len()];
        let at = Timestamp::new(
            START_MS
                + i as i64 * spacing
                + (rng.next_u64() % (spacing as u64).min(3_600_000)) as i64,
            60,
        );
        let mut new = NewEntry {
            kind: Some(kind),
            steadiness: Some(1 + (rng.next_u64() % 5) as u8),
            ..Default::default()
        };
        new.tags
            .insert(["family", "work", "friends", "evening", "morning"][i % 5].to_string());
        new.people
            .insert(["Ana", "Sam", "Lee", "Mo"][i % 4].to_string());
        for spec in kind.fields() {
            if let Some(v) = sample_field(&mut rng, spec.ty) {
                new.fields
                    .insert(spec.key.to_string(), FieldValue::parse(spec, &v)?);
            }
        }
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
        id[8..].copy_from_slice(&(i as u64).to_le_bytes());
        let (mut doc, _) = EntryDoc::create(EntryId(id), actor, at, new)?;
        let mut text = String::new();
        while text.len() < per_entry {
            let n = 6 + (rng.next_u64() % 12) as usize;
            text.push_str(&sentence(&mut rng, n));
        }
        // A rare word (about one entry in fifty) gives search a realistic hit count.
        if rng.next_u64().is_multiple_of(50) {
            text.push_str("We talked about the lighthouse. ");
        }
        text_bytes += text.len();
        splices += type_body(&mut doc, at, &text, 3)?;
        docs.push(doc);
    }
    Ok(Generated {
        docs,
        text_bytes,
        splices,
    })
}
