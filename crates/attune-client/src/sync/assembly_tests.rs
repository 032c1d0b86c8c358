use super::*;
use crate::sync::parts::{decode_plaintext, split, tests::big_batch, Plaintext, PART_VERSION};

const A: DeviceId = DeviceId([0xa1; 16]);
const B: DeviceId = DeviceId([0xb2; 16]);

/// The parts of an encoded batch of about `len` bytes, and the batch.
fn parts_of(len: usize) -> (Vec<BatchPart>, Vec<u8>) {
    let encoded = big_batch(len);
    let parts = split(encoded.clone())
        .iter()
        .map(|plain| match decode_plaintext(plain) {
            Ok(Plaintext::Part(part)) => part,
            other => panic!("not a part: {other:?}"),
        })
        .collect();
    (parts, encoded)
}

/// Adds `parts` as envelopes `first_seq`, `first_seq + 1`, … of `device`.
fn add_all(
    assemblies: &mut Assemblies,
    device: DeviceId,
    first_seq: u64,
    parts: &[BatchPart],
    problems: &mut Vec<String>,
) -> Vec<Result<Added, String>> {
    parts
        .iter()
        .zip(first_seq..)
        .map(|(part, seq)| assemblies.add(device, seq, part.clone(), problems))
        .collect()
}

#[test]
fn parts_in_order_give_back_the_batch_once() {
    let (parts, encoded) = parts_of(600 * 1024);
    assert_eq!(parts.len(), 4);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    let added = add_all(&mut assemblies, A, 5, &parts, &mut problems);
    assert_eq!(
        added[..3],
        [Ok(Added::Kept), Ok(Added::Kept), Ok(Added::Kept)]
    );
    assert_eq!(added[3], Ok(Added::Complete(encoded)));
    assert!(problems.is_empty(), "{problems:?}");
    assert!(!assemblies.unfinished());
}

#[test]
fn two_devices_are_put_together_apart() {
    let (parts, encoded) = parts_of(300 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    assert_eq!(
        assemblies.add(A, 1, parts[0].clone(), &mut problems),
        Ok(Added::Kept)
    );
    assert_eq!(
        assemblies.add(B, 9, parts[0].clone(), &mut problems),
        Ok(Added::Kept)
    );
    assert_eq!(
        assemblies.add(A, 2, parts[1].clone(), &mut problems),
        Ok(Added::Complete(encoded.clone()))
    );
    assert!(assemblies.unfinished(), "B's batch is still open");
    assert_eq!(
        assemblies.add(B, 10, parts[1].clone(), &mut problems),
        Ok(Added::Complete(encoded))
    );
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_part_added_again_is_a_replay_even_after_the_batch_completed() {
    let (parts, encoded) = parts_of(300 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    assemblies
        .add(A, 3, parts[0].clone(), &mut problems)
        .unwrap();
    // A crash after the file was saved: the same page is processed again.
    let mut replayed = assemblies.clone();
    assert_eq!(
        replayed.add(A, 3, parts[0].clone(), &mut problems),
        Ok(Added::Replay)
    );
    assert_eq!(
        replayed.add(A, 4, parts[1].clone(), &mut problems),
        Ok(Added::Complete(encoded))
    );
    assert_eq!(
        replayed.add(A, 3, parts[0].clone(), &mut problems),
        Ok(Added::Replay)
    );
    assert_eq!(
        replayed.add(A, 4, parts[1].clone(), &mut problems),
        Ok(Added::Replay)
    );
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_part_out_of_order_is_refused_and_drops_the_unfinished_batch() {
    let (parts, _) = parts_of(600 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    assemblies
        .add(A, 1, parts[0].clone(), &mut problems)
        .unwrap();
    // Part 3 where part 2 was due.
    let refused = assemblies.add(A, 2, parts[2].clone(), &mut problems);
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(!assemblies.unfinished());
    // The rest can never complete it.
    assert!(assemblies
        .add(A, 3, parts[3].clone(), &mut problems)
        .is_err());
}

#[test]
fn a_part_after_a_hole_in_the_chain_is_refused() {
    let (parts, _) = parts_of(600 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    assemblies
        .add(A, 1, parts[0].clone(), &mut problems)
        .unwrap();
    // The next index, but envelope #2 (unreadable, skipped) is missing.
    assert!(assemblies
        .add(A, 3, parts[1].clone(), &mut problems)
        .is_err());
    assert!(!assemblies.unfinished());
}

#[test]
fn a_part_without_its_start_is_refused() {
    let (parts, _) = parts_of(300 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    assert!(assemblies
        .add(A, 7, parts[1].clone(), &mut problems)
        .is_err());
    assert!(problems.is_empty(), "nothing was dropped: {problems:?}");
}

#[test]
fn an_unfinished_batch_is_dropped_when_its_sender_starts_again() {
    let (parts, encoded) = parts_of(600 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    // The sender crashed after sealing two parts, then sealed all four again.
    add_all(&mut assemblies, A, 1, &parts[..2], &mut problems);
    assert!(problems.is_empty());
    let added = add_all(&mut assemblies, A, 3, &parts, &mut problems);
    assert_eq!(added[3], Ok(Added::Complete(encoded)));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("stopped after 2 of its 4 parts"),
        "{problems:?}"
    );
    assert!(problems[0].contains("#1–#2"), "{problems:?}");
}

#[test]
fn a_whole_batch_after_an_unfinished_one_drops_it() {
    let (parts, _) = parts_of(300 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    assemblies
        .add(A, 1, parts[0].clone(), &mut problems)
        .unwrap();
    assemblies.whole_batch(A, 2, &mut problems);
    assert_eq!(problems.len(), 1);
    assert!(!assemblies.unfinished());
}

#[test]
fn oversized_or_misnumbered_parts_are_refused() {
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    let part = |index, count, total_len, len: usize| BatchPart {
        v: PART_VERSION,
        index,
        count,
        total_len,
        bytes: vec![1; len],
    };
    let huge = part(0, 400, MAX_ASSEMBLED + 1, 1000);
    assert!(assemblies.add(A, 1, huge, &mut problems).is_err());
    assert!(assemblies
        .add(A, 2, part(0, 1, 10, 10), &mut problems)
        .is_err());
    assert!(assemblies
        .add(A, 3, part(2, 2, 10, 5), &mut problems)
        .is_err());
    assert!(assemblies
        .add(A, 4, part(0, 20, 10, 5), &mut problems)
        .is_err());
    assert!(assemblies
        .add(A, 5, part(0, 2, 10, 0), &mut problems)
        .is_err());
    // Parts longer than announced, or shorter at the end.
    assert_eq!(
        assemblies.add(A, 6, part(0, 2, 10, 6), &mut problems),
        Ok(Added::Kept)
    );
    assert!(assemblies
        .add(A, 7, part(1, 2, 10, 6), &mut problems)
        .is_err());
    assert_eq!(
        assemblies.add(A, 8, part(0, 2, 10, 6), &mut problems),
        Ok(Added::Kept)
    );
    assert!(assemblies
        .add(A, 9, part(1, 2, 10, 3), &mut problems)
        .is_err());
    assert_eq!(
        assemblies.add(A, 10, part(0, 2, 10, 6), &mut problems),
        Ok(Added::Kept)
    );
    assert_eq!(
        assemblies.add(A, 11, part(1, 2, 10, 4), &mut problems),
        Ok(Added::Complete(vec![1; 10]))
    );
}

#[test]
fn a_snapshot_covering_an_unfinished_batch_ends_it() {
    let (parts, _) = parts_of(300 * 1024);
    let mut assemblies = Assemblies::default();
    let mut problems = Vec::new();
    assemblies
        .add(A, 4, parts[0].clone(), &mut problems)
        .unwrap();
    assemblies.covered(A, 3);
    assert!(assemblies.unfinished(), "not covered yet");
    assemblies.covered(A, 5);
    assert!(!assemblies.unfinished());
}

#[test]
fn the_kept_parts_survive_a_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::Store::init(&dir.path().join("j"), crate::InitOptions::default()).unwrap();
    let (parts, encoded) = parts_of(300 * 1024);
    let mut assemblies = Assemblies::load(&store).unwrap();
    let mut problems = Vec::new();
    assemblies
        .add(A, 1, parts[0].clone(), &mut problems)
        .unwrap();
    assemblies.save(&store).unwrap();
    let mut loaded = Assemblies::load(&store).unwrap();
    assert_eq!(loaded, assemblies);
    assert_eq!(
        loaded.add(A, 2, parts[1].clone(), &mut problems),
        Ok(Added::Complete(encoded))
    );
}

mod arbitrary_input {
    use proptest::prelude::*;

    use super::*;

    fn any_part() -> impl Strategy<Value = BatchPart> {
        (
            prop_oneof![Just(0u32), Just(1), Just(2), Just(u32::MAX), any::<u32>()],
            prop_oneof![Just(0u32), Just(2), Just(3), Just(u32::MAX), any::<u32>()],
            prop_oneof![
                Just(0u64),
                Just(5),
                Just(MAX_ASSEMBLED),
                Just(u64::MAX),
                any::<u64>()
            ],
            proptest::collection::vec(any::<u8>(), 0..8),
        )
            .prop_map(|(index, count, total_len, bytes)| BatchPart {
                v: PART_VERSION,
                index,
                count,
                total_len,
                bytes,
            })
    }

    proptest! {
        /// A hostile member's plaintexts never panic the decoder.
        #[test]
        fn any_plaintext_decodes_or_is_refused(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_plaintext(&bytes);
            let mut tagged = bytes.clone();
            tagged.insert(0, PART_VERSION);
            let _ = decode_plaintext(&tagged);
        }

        /// Any sequence of parts, in any order, never panics, and a batch put
        /// back together is exactly as long as it announced, within the cap.
        #[test]
        fn any_parts_in_any_order_are_bounded(
            steps in proptest::collection::vec((0u8..2, prop_oneof![0u64..12, Just(u64::MAX - 1), Just(u64::MAX)], any_part()), 0..40)
        ) {
            let mut assemblies = Assemblies::default();
            let mut problems = Vec::new();
            for (device, seq, part) in steps {
                let device = if device == 0 { A } else { B };
                let announced = part.total_len;
                if let Ok(Added::Complete(bytes)) = assemblies.add(device, seq, part, &mut problems) {
                    prop_assert_eq!(bytes.len() as u64, announced);
                    prop_assert!(announced <= MAX_ASSEMBLED);
                }
            }
        }
    }
}
