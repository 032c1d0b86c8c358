//! Guided, skippable prompts for writing an entry at a terminal.

use std::io::{BufRead, Write};

use anyhow::{Context, Result};
use attune_core::{FieldType, FieldValue, NewEntry};

/// Reads answers from stdin; an empty answer skips the question.
pub struct Prompter<R: BufRead, W: Write> {
    input: R,
    output: W,
}

impl<R: BufRead, W: Write> Prompter<R, W> {
    /// A prompter over any reader and writer (stdin/stdout in the CLI).
    pub fn new(input: R, output: W) -> Self {
        Prompter { input, output }
    }

    /// Ask one question; `None` when skipped (empty line or end of input).
    pub fn ask(&mut self, question: &str) -> Result<Option<String>> {
        write!(self.output, "{question} ")?;
        self.output.flush()?;
        let mut line = String::new();
        if self
            .input
            .read_line(&mut line)
            .context("reading your answer")?
            == 0
        {
            return Ok(None);
        }
        let answer = line.trim().to_string();
        Ok((!answer.is_empty()).then_some(answer))
    }

    /// Say something without asking.
    pub fn say(&mut self, text: &str) -> Result<()> {
        writeln!(self.output, "{text}")?;
        Ok(())
    }

    /// Walk through the kind's questions, filling `new`. Every question can be skipped.
    pub fn guide(&mut self, new: &mut NewEntry) -> Result<()> {
        let kind = new.kind.unwrap_or(attune_core::EntryKind::Note);
        self.say(&format!(
            "{} (Press Enter to skip any question.)",
            kind.intro()
        ))?;
        if new.people.is_empty()
            && matches!(
                kind,
                attune_core::EntryKind::Conversation | attune_core::EntryKind::Listening
            )
        {
            if let Some(p) = self.ask("Who was it with? (names or nicknames, comma separated)")? {
                new.people.extend(
                    p.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                );
            }
        }
        for spec in kind.fields() {
            if new.fields.contains_key(spec.key) {
                continue;
            }
            let mut question = spec.prompt.to_string();
            if let FieldType::Choice(set) = spec.ty {
                let options: Vec<String> = set
                    .options()
                    .iter()
                    .enumerate()
                    .map(|(i, (_, label))| format!("{}) {label}", i + 1))
                    .collect();
                question = format!("{question} [{}]", options.join("  "));
            }
            loop {
                let Some(answer) = self.ask(&question)? else {
                    break;
                };
                let answer = match spec.ty {
                    FieldType::Choice(set) => match answer.parse::<usize>() {
                        Ok(n) if n >= 1 && n <= set.options().len() => {
                            set.options()[n - 1].0.to_string()
                        }
                        _ => answer,
                    },
                    _ => answer,
                };
                match FieldValue::parse(spec, &answer) {
                    Ok(v) => {
                        new.fields.insert(spec.key.to_string(), v);
                        break;
                    }
                    Err(e) => self.say(&format!("  {e} (or press Enter to skip)"))?,
                }
            }
        }
        if new.steadiness.is_none() {
            loop {
                let Some(answer) = self.ask(attune_core::schema::STEADINESS_PROMPT)? else {
                    break;
                };
                match answer.parse::<u8>() {
                    Ok(n) if (1..=5).contains(&n) => {
                        new.steadiness = Some(n);
                        break;
                    }
                    _ => self.say("  a number from 1 to 5, please (or press Enter to skip)")?,
                }
            }
        }
        if new.tags.is_empty() {
            if let Some(t) = self.ask("Any tags? (comma separated)")? {
                new.tags.extend(
                    t.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attune_core::EntryKind;

    #[test]
    fn guided_flow_fills_answers_skips_blanks_and_re_asks_bad_ones() {
        let answers =
            "Ana\nsister\n1\n7\n4\nyes\n\n\nasked a question back\n\n3\nfamily, evening\n";
        let mut out = Vec::new();
        let mut new = NewEntry {
            kind: Some(EntryKind::Conversation),
            ..Default::default()
        };
        Prompter::new(answers.as_bytes(), &mut out)
            .guide(&mut new)
            .unwrap();
        assert!(new.people.contains("Ana"));
        assert_eq!(
            new.fields.get("setting"),
            Some(&FieldValue::Setting(attune_core::schema::Setting::OneOnOne))
        );
        assert_eq!(
            new.fields.get("connection"),
            Some(&FieldValue::Int(4)),
            "7 is re-asked, then 4"
        );
        assert_eq!(
            new.fields.get("felt-heard"),
            Some(&FieldValue::Answer(attune_core::schema::Answer::Yes))
        );
        assert!(!new.fields.contains_key("showed-interest"), "skipped");
        assert_eq!(
            new.fields.get("did-differently"),
            Some(&FieldValue::Text("asked a question back".into()))
        );
        assert_eq!(new.steadiness, Some(3));
        assert!(new.tags.contains("evening"));
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains("Did you feel heard?"));
        assert!(shown.contains("from 1 to 5"));
    }
}
