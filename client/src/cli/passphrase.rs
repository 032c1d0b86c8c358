//! Choosing a passphrase: how strong it must be, and how much scrypt work protects it.

use std::path::Path;

use anyhow::{bail, Result};
use attune_client::StoreError;
use secrecy::{ExposeSecret, SecretString};

/// The lowest zxcvbn score (0 to 4) a new passphrase may have.
///
/// 3 means zxcvbn estimates more than 10^8 guesses; with the identity file in
/// hand an attacker guesses offline, so anything easier falls in hours.
pub const MIN_SCORE: u8 = 3;

/// The lowest scrypt work factor (log2 N) a release build accepts from
/// `ATTUNE_SCRYPT_WORK_FACTOR`.
///
/// age 0.12 tunes its default to about one second of work on the machine and
/// falls back to 18 when it cannot measure; 18 is the floor for the same reason.
pub const RELEASE_MIN_WORK_FACTOR: u8 = 18;

/// Why `passphrase` is too easy to guess, or `None` when it is strong enough.
///
/// `device_name` and "attune" count as known words: a passphrase built from
/// them is as weak as one built from a dictionary.
pub fn weakness(passphrase: &str, device_name: &str) -> Option<String> {
    let mut known: Vec<&str> = vec!["attune", device_name];
    known.extend(device_name.split(|c: char| !c.is_alphanumeric()));
    known.retain(|w| !w.is_empty());
    let estimate = zxcvbn::zxcvbn(passphrase, &known);
    if u8::from(estimate.score()) >= MIN_SCORE {
        return None;
    }
    let why = estimate
        .feedback()
        .and_then(|f| f.warning().map(|w| w.to_string()))
        .unwrap_or_else(|| {
            format!(
                "it could be found in about 10^{:.0} guesses",
                estimate.guesses_log10().max(0.0)
            )
        });
    Some(format!(
        "too easy to guess: {}; a passphrase needs a score of at least {MIN_SCORE} of 4 on the \
         zxcvbn strength estimate (more than 10^8 guesses), because anyone who copies this \
         device's files can try guesses as fast as their computer allows; try four or more \
         unrelated words",
        why.trim_end_matches('.').to_lowercase()
    ))
}

/// Refuses a weak passphrase read from a file, where there is nobody to ask again.
pub fn require_strong(passphrase: &SecretString, device_name: &str, source: &Path) -> Result<()> {
    if let Some(why) = weakness(passphrase.expose_secret(), device_name) {
        bail!(
            "the passphrase in {} is {why}. Nothing was changed",
            source.display()
        );
    }
    Ok(())
}

/// Reads a passphrase from the first line of `path`.
pub fn read_passphrase_file(path: &Path) -> Result<SecretString, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(StoreError::io(
            path,
            std::io::Error::other("the passphrase file is empty"),
        ));
    }
    Ok(SecretString::from(line))
}

/// The scrypt work factor for a new passphrase: `ATTUNE_SCRYPT_WORK_FACTOR`, if allowed.
///
/// `None` lets age pick about one second of work. A release build ignores a
/// value below [`RELEASE_MIN_WORK_FACTOR`] and says so on stderr; debug builds
/// (tests) honour it so that setting a passphrase stays fast.
pub fn work_factor() -> Option<u8> {
    let raw = std::env::var("ATTUNE_SCRYPT_WORK_FACTOR").ok()?;
    let (factor, note) = resolve_work_factor(&raw, cfg!(debug_assertions));
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    factor
}

/// The work factor `raw` asks for, and a note when it is not honoured.
fn resolve_work_factor(raw: &str, debug_build: bool) -> (Option<u8>, Option<String>) {
    let Ok(log_n) = raw.trim().parse::<u8>() else {
        return (
            None,
            Some(format!(
                "ignoring ATTUNE_SCRYPT_WORK_FACTOR={raw:?}: not a number; using age's default"
            )),
        );
    };
    if log_n < RELEASE_MIN_WORK_FACTOR && !debug_build {
        return (
            None,
            Some(format!(
                "ignoring ATTUNE_SCRYPT_WORK_FACTOR={log_n}: release builds use at least \
                 {RELEASE_MIN_WORK_FACTOR}; using age's default (about one second of work)"
            )),
        );
    }
    (Some(log_n), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passphrases_are_weak() {
        for weak in [
            "password123",
            "hunter2",
            "letmein",
            "qwertyuiop",
            "12345678",
        ] {
            let why = weakness(weak, "laptop").expect(weak);
            assert!(why.contains("too easy to guess"), "{why}");
            assert!(why.contains("four or more unrelated words"), "{why}");
            assert!(why.contains("at least 3 of 4"), "{why}");
        }
    }

    #[test]
    fn unrelated_words_are_strong() {
        for strong in [
            "correct horse battery staple",
            "lantern orbit mossy caravan",
            "violet kettle jumps under seven bridges",
        ] {
            assert_eq!(weakness(strong, "laptop"), None, "{strong}");
        }
    }

    #[test]
    fn the_device_name_and_attune_count_as_known_words() {
        let pass = "zanzibarquokka";
        assert_eq!(weakness(pass, "laptop"), None, "strong on its own");
        assert!(weakness(pass, "zanzibarquokka").is_some(), "it is the name");
        assert!(
            weakness(pass, "Zanzibar Quokka").is_some(),
            "made of the name's words"
        );
        assert!(weakness("attune attune attune", "laptop").is_some());
    }

    #[test]
    fn a_weak_passphrase_from_a_file_is_refused() {
        let path = Path::new("pass.txt");
        let err = require_strong(&SecretString::from("password123"), "laptop", path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("pass.txt is too easy to guess"), "{err}");
        assert!(err.contains("Nothing was changed"), "{err}");
        require_strong(
            &SecretString::from("lantern orbit mossy caravan"),
            "laptop",
            path,
        )
        .unwrap();
    }

    #[test]
    fn release_builds_ignore_a_low_work_factor() {
        let (factor, note) = resolve_work_factor("10", false);
        assert_eq!(factor, None);
        assert!(note.unwrap().contains("release builds use at least 18"));
        assert_eq!(resolve_work_factor("18", false), (Some(18), None));
        assert_eq!(resolve_work_factor("20", false), (Some(20), None));
    }

    #[test]
    fn debug_builds_honour_a_low_work_factor() {
        assert_eq!(resolve_work_factor("10", true), (Some(10), None));
        let (factor, note) = resolve_work_factor("fast", true);
        assert_eq!(factor, None);
        assert!(note.unwrap().contains("not a number"));
    }
}
