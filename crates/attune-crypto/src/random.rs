//! Randomness from the operating system.

/// Returns `N` bytes from the operating system's secure random number generator.
///
/// Handy for identifiers and nonces.
///
/// # Panics
///
/// Panics if the operating system cannot provide randomness, which leaves no safe
/// way to continue (the `age` crate behaves the same).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    fill_random(&mut bytes);
    bytes
}

/// Fills `buf` from the operating system's secure random number generator.
pub(crate) fn fill_random(buf: &mut [u8]) {
    if let Err(err) = getrandom::fill(buf) {
        panic!("the operating system's random number generator failed: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_differ() {
        let a: [u8; 16] = random_bytes();
        let b: [u8; 16] = random_bytes();
        assert_ne!(a, b);
    }
}
