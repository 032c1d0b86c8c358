//! Writing one large entry (pasted text) into a journal, as `attune write` does.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use attune_client::{Store, StoreError};
use attune_core::{EntryKind, NewEntry, Timestamp};

use crate::{median, print_figure, Rng};

/// Words of pasted prose, picked at random so the text does not compress to nothing.
const WORDS: &[&str] = &[
    "the", "river", "was", "loud", "after", "rain", "and", "I", "kept", "walking", "until", "my",
    "breath", "slowed", "letter", "from", "Ana", "arrived", "we", "talked", "about", "work",
    "sleep", "fear", "hope", "tomorrow", "quietly", "morning", "coffee", "window",
];

/// About `bytes` bytes of prose, with a paragraph break now and then.
pub(crate) fn prose(bytes: usize, seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut text = String::with_capacity(bytes + 16);
    let mut words = 0;
    while text.len() < bytes {
        text.push_str(WORDS[(rng.next_u64() % WORDS.len() as u64) as usize]);
        words += 1;
        text.push_str(if words % 90 == 0 { ".\n\n" } else { " " });
    }
    text.truncate(bytes);
    text
}

/// Write entries of `mib` MiB bodies into the journal at `dir` (opened each
/// time, open not counted) and print the median time of the write.
pub(crate) fn run(
    dir: &Path,
    mib: usize,
    reps: usize,
    now_ms: i64,
    passphrase: &mut dyn FnMut() -> Result<secrecy::SecretString, StoreError>,
) -> Result<()> {
    let body = prose(mib * 1024 * 1024, 0x1a76_e000 + mib as u64);
    let mut times = Vec::new();
    for rep in 0..reps.max(1) {
        let mut store = Store::open(dir, passphrase)?;
        let new = NewEntry {
            kind: Some(EntryKind::Note),
            body: body.clone(),
            ..Default::default()
        };
        let t = Instant::now();
        let entry = store.create(Timestamp::new(now_ms + rep as i64 * 1000, 60), new)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(entry.body.len() == body.len(), "the body came back cut");
    }
    print_figure(&format!("write_{mib}mib_body"), median(&mut times), "ms");
    Ok(())
}
