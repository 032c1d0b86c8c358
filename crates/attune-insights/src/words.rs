//! The one list of words of blame or scoring that no insight, plot or note may contain.
//!
//! Healing is not linear: Attune never counts streaks, never grades, never
//! says a day was missed or failed. Tests scan every output for these words
//! (the writer's own quoted words are theirs, and are left alone).

/// Words of blame or scoring, lowercase; matched as whole words, plurals included.
pub const BLAME_WORDS: &[&str] = &[
    "streak", "streaks", "failed", "failure", "fail", "missed", "miss", "grade", "graded", "score",
    "scored", "scores", "worse", "worst", "bad", "should", "causes", "caused", "lazy", "behind",
];

/// The first blame word found in `text` as a whole word (case-insensitive), if any.
pub fn find_blame(text: &str) -> Option<&'static str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .find_map(|w| {
            let w = w.to_lowercase();
            BLAME_WORDS.iter().copied().find(|b| *b == w)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_words_only() {
        assert_eq!(find_blame("You Missed a day"), Some("missed"));
        assert_eq!(find_blame("a 3-day streak!"), Some("streak"));
        assert_eq!(find_blame("scoreboard mission badge"), None);
        assert_eq!(find_blame("felt more connected (3.9 vs 3.1)"), None);
    }
}
