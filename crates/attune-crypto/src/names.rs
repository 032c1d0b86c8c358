//! Private file names: a label (such as a month) hidden behind a keyed hash.

use crate::JournalKey;

/// A 32-hex-character name for `label` that reveals nothing without the journal key.
///
/// Used for files whose natural name would leak a date or a kind, such as the
/// per-month views of the local store.
pub fn private_name(key: &JournalKey, purpose: &str, label: &str) -> String {
    let subkey = blake3::derive_key("attune private file names v1", key.expose_bytes());
    let mut hasher = blake3::Hasher::new_keyed(&subkey);
    hasher.update(&(purpose.len() as u64).to_be_bytes());
    hasher.update(purpose.as_bytes());
    hasher.update(label.as_bytes());
    hex::encode(&hasher.finalize().as_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_depend_on_key_purpose_and_label() {
        let k1 = JournalKey::from_bytes([1; 32]);
        let k2 = JournalKey::from_bytes([2; 32]);
        let n = private_name(&k1, "view", "2026-12");
        assert_eq!(n.len(), 32);
        assert_eq!(n, private_name(&k1, "view", "2026-12"));
        assert_ne!(n, private_name(&k2, "view", "2026-12"));
        assert_ne!(n, private_name(&k1, "view", "2026-11"));
        assert_ne!(n, private_name(&k1, "other", "2026-12"));
        assert!(!n.contains("2026"));
    }
}
