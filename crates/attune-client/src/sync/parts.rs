//! Batches too large for one envelope travel in parts.
//!
//! A relay refuses envelopes over its limit (256 KiB by default), so an
//! encoded [`ChangeBatch`] longer than [`PART_BYTES`] is cut into
//! [`BatchPart`]s, each sealed as its own envelope with consecutive sequence
//! numbers on the sender's chain. The first byte of an envelope's plaintext
//! says which it holds: a whole batch (2) or a part (3). Receivers put the
//! parts back together in `sync/assembly.rs`.

use serde::{Deserialize, Serialize};

use crate::sync::state::ChangeBatch;

/// Format of [`BatchPart`]; its leading byte tells it from a whole batch (2).
pub(crate) const PART_VERSION: u8 = 3;

/// The longest plaintext sealed whole, and the bytes each part carries.
///
/// Framed and padded (PADMÉ rounds 192 KiB up by at most 4 KiB), with the
/// part's header, the AEAD tag, the envelope header and its signature, a
/// part's envelope stays under 200 KiB: inside the relay's default 256 KiB,
/// and three of them fit one push request (the body limit is 1 MiB).
pub(crate) const PART_BYTES: usize = 192 * 1024;

/// The longest batch a receiver puts back together (an entry of tens of MB).
pub(crate) const MAX_ASSEMBLED: u64 = 64 * 1024 * 1024;

/// One piece of an encoded [`ChangeBatch`] too long for one envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPart {
    /// Format version ([`PART_VERSION`]).
    pub v: u8,
    /// Which part this is, from 0.
    pub index: u32,
    /// How many parts the batch was cut into.
    pub count: u32,
    /// The length of the whole encoded batch.
    pub total_len: u64,
    /// This part's bytes of the encoded batch.
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

impl BatchPart {
    /// Encode for sealing.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }
}

/// What an opened envelope holds.
#[derive(Debug)]
pub(crate) enum Plaintext {
    /// A whole batch.
    Whole(ChangeBatch),
    /// One part of a batch too large for one envelope.
    Part(BatchPart),
}

/// Decode an opened envelope's plaintext: a whole batch or a part of one.
pub(crate) fn decode_plaintext(bytes: &[u8]) -> Result<Plaintext, String> {
    if bytes.first() != Some(&PART_VERSION) {
        return ChangeBatch::decode(bytes).map(Plaintext::Whole);
    }
    let part: BatchPart = postcard::from_bytes(bytes).map_err(|e| e.to_string())?;
    Ok(Plaintext::Part(part))
}

/// The plaintexts to seal for an encoded batch: itself when it fits one
/// envelope, else its parts, in order.
pub(crate) fn split(encoded: Vec<u8>) -> Vec<Vec<u8>> {
    split_at(encoded, PART_BYTES)
}

fn split_at(encoded: Vec<u8>, part_bytes: usize) -> Vec<Vec<u8>> {
    if encoded.len() <= part_bytes {
        return vec![encoded];
    }
    let chunks: Vec<&[u8]> = encoded.chunks(part_bytes).collect();
    let count = u32::try_from(chunks.len()).unwrap_or(u32::MAX);
    chunks
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            BatchPart {
                v: PART_VERSION,
                index: u32::try_from(index).unwrap_or(u32::MAX),
                count,
                total_len: encoded.len() as u64,
                bytes: bytes.to_vec(),
            }
            .encode()
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An encoded batch of about `len` bytes.
    pub(crate) fn big_batch(len: usize) -> Vec<u8> {
        let body: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let change = attune_core::EntryChange {
            entry: attune_core::EntryId([1; 16]),
            bytes: body,
        };
        ChangeBatch::of(vec![change], "laptop").encode()
    }

    #[test]
    fn a_batch_that_fits_is_sealed_whole() {
        let encoded = big_batch(1000);
        let plains = split(encoded.clone());
        assert_eq!(plains, vec![encoded.clone()]);
        assert!(matches!(
            decode_plaintext(&plains[0]),
            Ok(Plaintext::Whole(b)) if b.encode() == encoded
        ));
    }

    #[test]
    fn a_long_batch_is_cut_into_numbered_parts_that_join_back() {
        let encoded = big_batch(5 * 1024 * 1024);
        let plains = split(encoded.clone());
        assert_eq!(plains.len(), encoded.len().div_ceil(PART_BYTES));
        let mut joined = Vec::new();
        for (i, plain) in plains.iter().enumerate() {
            assert_eq!(plain.first(), Some(&PART_VERSION));
            assert!(
                plain.len() <= PART_BYTES + 32,
                "part {i} is {}",
                plain.len()
            );
            let Ok(Plaintext::Part(part)) = decode_plaintext(plain) else {
                panic!("part {i} does not decode as a part");
            };
            assert_eq!(part.index as usize, i);
            assert_eq!(part.count as usize, plains.len());
            assert_eq!(part.total_len as usize, encoded.len());
            joined.extend_from_slice(&part.bytes);
        }
        assert_eq!(joined, encoded);
    }

    #[test]
    fn a_part_has_golden_bytes() {
        let part = BatchPart {
            v: PART_VERSION,
            index: 1,
            count: 2,
            total_len: 300,
            bytes: vec![0xaa, 0xbb],
        };
        // v, index, count, total_len (varint), length of bytes, bytes.
        let golden = [3, 1, 2, 0xac, 0x02, 2, 0xaa, 0xbb];
        assert_eq!(part.encode(), golden);
        assert!(matches!(decode_plaintext(&golden), Ok(Plaintext::Part(p)) if p == part));
    }

    #[test]
    fn an_unknown_version_is_refused() {
        assert!(decode_plaintext(&[4, 0, 0]).is_err());
        assert!(decode_plaintext(&[PART_VERSION, 0xff]).is_err());
        assert!(decode_plaintext(&[]).is_err());
    }
}
