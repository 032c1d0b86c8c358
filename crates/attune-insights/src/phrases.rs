//! The writer's own answers grouped: same words, case and plural folded.

use std::collections::BTreeMap;

use serde::Serialize;

/// One group of answers that say the same thing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Phrase {
    /// The words as the writer first wrote them.
    pub text: String,
    /// How many answers say it.
    pub count: usize,
}

/// The key answers are grouped by: lowercase words, punctuation and articles dropped, plurals folded.
pub fn fold(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty() && !matches!(w.as_str(), "a" | "an" | "the"))
        .map(|w| singular(&w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A plural folded to its singular: "questions" → "question", "walks" → "walk".
fn singular(word: &str) -> String {
    if word.chars().count() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        if let Some(stem) = word.strip_suffix("ies") {
            return format!("{stem}y");
        }
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

/// Group `answers`, most frequent first (then in the order first written).
pub fn group<'a>(answers: impl IntoIterator<Item = &'a str>) -> Vec<Phrase> {
    let mut groups: BTreeMap<String, (usize, Phrase)> = BTreeMap::new();
    for (order, answer) in answers.into_iter().enumerate() {
        let answer = answer.split_whitespace().collect::<Vec<_>>().join(" ");
        let key = fold(&answer);
        if key.is_empty() {
            continue;
        }
        groups
            .entry(key)
            .or_insert((
                order,
                Phrase {
                    text: answer,
                    count: 0,
                },
            ))
            .1
            .count += 1;
    }
    let mut out: Vec<(usize, Phrase)> = groups.into_values().collect();
    out.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
    out.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_punctuation_and_plurals_fold_together() {
        let got = group([
            "Asked questions back.",
            "asked a question",
            "asked question back",
            "took a walk",
            "Took walks",
        ]);
        assert_eq!(got[0].text, "Asked questions back.");
        assert_eq!(got[0].count, 2);
        assert_eq!(got[1].count, 2, "{got:?}");
        assert_eq!(got.len(), 3);
        assert_eq!(fold("Stories"), "story");
        assert_eq!(fold("less stress"), "less stress");
    }
}
