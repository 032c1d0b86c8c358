//! Property test: replicas making random edits and exchanging changes in any
//! order, with duplicates, end identical, and no edit is lost.

use std::collections::BTreeSet;

use attune_core::{Edit, EntryChange, EntryDoc, EntryId, NewEntry, Timestamp};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert { pos_pct: u8, word: u8 },
    AddTag(u8),
    RemoveTag(u8),
    AddPerson(u8),
    Delete,
    Restore,
    Steadiness(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>()).prop_map(|(pos_pct, word)| Op::Insert { pos_pct, word }),
        2 => (0u8..6).prop_map(Op::AddTag),
        1 => (0u8..6).prop_map(Op::RemoveTag),
        1 => (0u8..4).prop_map(Op::AddPerson),
        1 => Just(Op::Delete),
        1 => Just(Op::Restore),
        1 => (1u8..=5).prop_map(Op::Steadiness),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn replicas_converge_whatever_the_delivery_order(
        replicas in 2usize..=3,
        steps in prop::collection::vec((0usize..3, op()), 1..40),
        shuffle_seed in any::<u64>(),
        dup_every in 1usize..5,
    ) {
        let t = Timestamp::new(1_700_000_000_000, 0);
        let id = EntryId([42; 16]);
        let actors: Vec<Vec<u8>> = (0..replicas).map(|i| format!("replica-actor-{i:03}").into_bytes()).collect();
        let (first, c0) = EntryDoc::create(id, &actors[0], t, NewEntry { body: "seed".into(), ..Default::default() }).unwrap();
        drop(first);
        let mut docs: Vec<EntryDoc> = actors.iter().map(|a| {
            let mut d = EntryDoc::empty(id, a);
            d.apply_changes([c0.bytes.as_slice()]).unwrap();
            d
        }).collect();

        let mut log: Vec<EntryChange> = vec![c0];
        let mut inserted_words = BTreeSet::new();
        for (n, (who, op)) in steps.iter().enumerate() {
            let doc = &mut docs[who % replicas];
            let body: Vec<char> = doc.entry().unwrap().body.chars().collect();
            // Insert at word boundaries so that checking "no word lost" is meaningful.
            let boundaries: Vec<usize> = (0..=body.len()).filter(|&i| i == 0 || i == body.len() || body[i - 1] == ' ').collect();
            let edit = match op {
                Op::Insert { pos_pct, word } => {
                    let w = format!(" w{n}x{word} ");
                    inserted_words.insert(w.trim().to_string());
                    Edit::SpliceBody { pos: boundaries[(boundaries.len() - 1) * (*pos_pct as usize) / 255], delete: 0, insert: w }
                }
                Op::AddTag(t) => Edit::AddTag(format!("tag{t}")),
                Op::RemoveTag(t) => Edit::RemoveTag(format!("tag{t}")),
                Op::AddPerson(p) => Edit::AddPerson(format!("person{p}")),
                Op::Delete => Edit::Delete,
                Op::Restore => Edit::Restore,
                Op::Steadiness(s) => Edit::SetSteadiness(Some(*s)),
            };
            if let Some(c) = doc.edit(Timestamp::new(t.unix_ms + n as i64, 0), &[edit]).unwrap() {
                log.push(c);
            }
            // Occasionally a partial exchange happens mid-way.
            if n % 7 == 3 {
                let (a, b) = (n % replicas, (n + 1) % replicas);
                let changes: Vec<Vec<u8>> = docs[a].all_changes();
                docs[b].apply_changes(changes.iter().map(Vec::as_slice)).unwrap();
            }
        }

        // Deliver every change to every replica, shuffled, with duplicates.
        for (r, doc) in docs.iter_mut().enumerate() {
            let mut order: Vec<usize> = (0..log.len()).collect();
            let mut state = shuffle_seed ^ (r as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for i in (1..order.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut delivery: Vec<&[u8]> = Vec::new();
            for (k, i) in order.iter().enumerate() {
                delivery.push(&log[*i].bytes);
                if k % dup_every == 0 { delivery.push(&log[*i].bytes); }
            }
            // One at a time, as a network would.
            for bytes in delivery {
                doc.apply_changes([bytes]).unwrap();
            }
            prop_assert_eq!(doc.waiting(), 0);
        }

        let first = docs[0].entry().unwrap();
        for doc in &docs[1..] {
            prop_assert_eq!(&doc.entry().unwrap(), &first);
            prop_assert_eq!(doc.heads(), docs[0].heads());
        }
        for w in &inserted_words {
            prop_assert!(first.body.contains(w.as_str()), "lost insertion {} in {:?}", w, first.body);
        }
    }
}
