//! Length hiding for envelopes: PADMÉ size buckets with the true length inside.
//!
//! The framed plaintext is `u32-BE len || plaintext || zeros`, and its total
//! length is `max(MIN_PADDED_LEN, padmé(4 + len))`. PADMÉ (Nikitin et al.,
//! "Reducing Metadata Leakage from Encrypted Files and Communication with
//! PURBs", 2019) rounds a length `L` up so that only its top
//! `⌊log2 ⌊log2 L⌋⌋ + 1` bits vary: the relay learns O(log log L) bits about a
//! batch's size, at most about 12% overhead. The floor hides keystroke-sized
//! batches among each other.

use crate::error::CryptoError;

/// Bytes of the big-endian length prefix.
pub(crate) const LEN_PREFIX: usize = 4;
/// The smallest framed plaintext: every batch up to 252 bytes looks the same.
pub(crate) const MIN_PADDED_LEN: usize = 256;

/// PADMÉ: rounds `len` up so that its low `⌊log2 len⌋ - (⌊log2 ⌊log2 len⌋⌋ + 1)` bits are zero.
fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let exponent = u64::from(63 - len.leading_zeros()); // ⌊log2 len⌋ ≥ 1
    let bits_of_exponent = u64::from(64 - exponent.leading_zeros()); // ⌊log2 exponent⌋ + 1
    let low_bits = exponent - bits_of_exponent;
    let mask = (1u64 << low_bits) - 1;
    (len + mask) & !mask
}

/// The framed (padded) length for a plaintext of `plaintext_len` bytes.
pub(crate) fn padded_len(plaintext_len: usize) -> Result<usize, CryptoError> {
    let too_large = CryptoError::EnvelopeTooLarge { len: plaintext_len };
    let framed = u32::try_from(plaintext_len)
        .map(|len| u64::from(len) + LEN_PREFIX as u64)
        .map_err(|_| too_large.clone())?;
    let padded = usize::try_from(padme(framed)).map_err(|_| too_large)?;
    Ok(padded.max(MIN_PADDED_LEN))
}

/// Appends the framed, zero-padded plaintext to `out`.
pub(crate) fn pad_into(out: &mut Vec<u8>, plaintext: &[u8]) -> Result<(), CryptoError> {
    let total = padded_len(plaintext.len())?;
    // `padded_len` succeeded, so the length fits in 32 bits.
    let len = u32::try_from(plaintext.len()).map_err(|_| CryptoError::EnvelopeTooLarge {
        len: plaintext.len(),
    })?;
    let start = out.len();
    out.reserve(total);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(plaintext);
    out.resize(start + total, 0);
    Ok(())
}

/// Returns the plaintext inside a framed buffer, refusing any non-canonical framing.
pub(crate) fn unpad(framed: &[u8]) -> Result<&[u8], CryptoError> {
    let malformed = CryptoError::MalformedEnvelopePlaintext;
    let (len, rest) = framed
        .split_first_chunk::<LEN_PREFIX>()
        .ok_or(malformed.clone())?;
    let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| malformed.clone())?;
    if len > rest.len() || padded_len(len)? != framed.len() {
        return Err(malformed);
    }
    let (plaintext, padding) = rest.split_at(len);
    if padding.iter().any(|&b| b != 0) {
        return Err(malformed);
    }
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_matches_the_paper() {
        // Values from the PURBs paper's definition, computed by hand.
        assert_eq!(padme(0), 0);
        assert_eq!(padme(1), 1);
        assert_eq!(padme(7), 7);
        assert_eq!(padme(9), 10);
        assert_eq!(padme(100), 104);
        assert_eq!(padme(1000), 1024);
        assert_eq!(padme(1025), 1088);
        assert_eq!(padme(1 << 20), 1 << 20);
        assert_eq!(padme((1 << 20) + 1), (1 << 20) + (1 << 15));
    }

    #[test]
    fn padme_is_monotone_and_bounded() {
        let mut previous = 0;
        for len in 2..70_000u64 {
            let padded = padme(len);
            assert!(padded >= len && padded >= previous, "len {len}");
            // The PURBs bound: at most about 1/(2 log2 L) extra, never over 12% past tiny sizes.
            if len >= 64 {
                assert!(padded * 100 <= len * 112, "len {len} -> {padded}");
            }
            previous = padded;
        }
    }

    #[test]
    fn framing_round_trips_and_is_canonical() {
        for len in [0usize, 1, 252, 253, 900, 1024, 5000] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let mut framed = Vec::new();
            pad_into(&mut framed, &plaintext).unwrap();
            assert_eq!(framed.len(), padded_len(len).unwrap());
            assert!(framed.len() >= MIN_PADDED_LEN);
            assert_eq!(unpad(&framed).unwrap(), plaintext);

            if framed.len() > LEN_PREFIX + len {
                let mut dirty = framed.clone();
                *dirty.last_mut().unwrap() = 1;
                assert_eq!(unpad(&dirty), Err(CryptoError::MalformedEnvelopePlaintext));
            }
            let mut longer = framed.clone();
            longer.extend_from_slice(&[0; 16]);
            assert_eq!(unpad(&longer), Err(CryptoError::MalformedEnvelopePlaintext));
            let mut lying = framed.clone();
            lying[..4].copy_from_slice(&u32::MAX.to_be_bytes());
            assert_eq!(unpad(&lying), Err(CryptoError::MalformedEnvelopePlaintext));
        }
        assert_eq!(unpad(&[0, 0]), Err(CryptoError::MalformedEnvelopePlaintext));
    }
}
