//! The crisis note and the writer's own safety plan.

use serde::{Deserialize, Serialize};

/// The general crisis note, shown offline, before anything else, in one step.
pub const CRISIS_NOTE: &str = "\
If you are in danger, or thinking about harming yourself, please reach out now.
  • Call your local emergency number (112 in Europe, 911 in the US and Canada,
    999 in the UK, 000 in Australia) or go to the nearest emergency department.
  • In the US you can call or text 988 (Suicide & Crisis Lifeline).
  • Elsewhere, findahelpline.com lists free, confidential crisis lines by country.
Attune is a self-help journal beside care, not treatment. You deserve support from people.";

/// A one-line pointer shown after heavy entries.
pub const CRISIS_HINT: &str =
    "If this is heavy right now: `attune crisis` shows crisis lines and your safety plan. A grounding exercise may help: `attune write --kind grounding`.";

/// The writer's personal safety plan: their own words, kept encrypted.
///
/// The sections of the Stanley–Brown safety plan, and reasons to keep going.
/// Saved as JSON with every section optional, so plans saved before a section
/// existed still load (the new sections start empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyPlan {
    /// Warning signs that a crisis may be developing.
    #[serde(default)]
    pub warning_signs: Vec<String>,
    /// Things I can do on my own to cope.
    #[serde(default)]
    pub coping_steps: Vec<String>,
    /// People and places that help me take my mind off things.
    #[serde(default)]
    pub distractions: Vec<String>,
    /// People I can call.
    #[serde(default)]
    pub people: Vec<String>,
    /// Professionals and services I can contact.
    #[serde(default)]
    pub professionals: Vec<String>,
    /// Making my surroundings safer.
    #[serde(default)]
    pub safer_surroundings: Vec<String>,
    /// Reasons to keep going.
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// The plan's sections, in the order of the Stanley–Brown plan: title, and the key to get at the list.
pub const SECTIONS: [(&str, &str); 7] = [
    ("Warning signs", "warning-signs"),
    ("Coping steps", "coping-steps"),
    (
        "People and places that help me take my mind off things",
        "distractions",
    ),
    ("People I can call", "people"),
    ("Professionals and services", "professionals"),
    ("Making my surroundings safer", "safer-surroundings"),
    ("Reasons to keep going", "reasons"),
];

/// The header of the editable text.
const TEXT_HEADER: &str = "# Your safety plan. One item per line starting with '- '. Lines starting with '#' are headings.\n";

impl SafetyPlan {
    /// The list of the section with `key`.
    pub fn section_mut(&mut self, key: &str) -> Option<&mut Vec<String>> {
        match key {
            "warning-signs" => Some(&mut self.warning_signs),
            "coping-steps" => Some(&mut self.coping_steps),
            "distractions" => Some(&mut self.distractions),
            "people" => Some(&mut self.people),
            "professionals" => Some(&mut self.professionals),
            "safer-surroundings" => Some(&mut self.safer_surroundings),
            "reasons" => Some(&mut self.reasons),
            _ => None,
        }
    }

    /// The list of the section with `key` (empty for a key that is not a section).
    pub fn section(&self, key: &str) -> &[String] {
        match key {
            "warning-signs" => &self.warning_signs,
            "coping-steps" => &self.coping_steps,
            "distractions" => &self.distractions,
            "people" => &self.people,
            "professionals" => &self.professionals,
            "safer-surroundings" => &self.safer_surroundings,
            "reasons" => &self.reasons,
            _ => &[],
        }
    }

    /// The title of the section with `key`, if it is one.
    pub fn title(key: &str) -> Option<&'static str> {
        SECTIONS.iter().find(|(_, k)| *k == key).map(|(t, _)| *t)
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        SECTIONS.iter().all(|(_, key)| self.section(key).is_empty())
    }

    /// The plan as an editable text: one `# Section` heading, one `- item` per line.
    pub fn to_text(&self) -> String {
        let mut out = String::from(TEXT_HEADER);
        for (title, key) in SECTIONS {
            out.push_str(&format!("\n# {title}\n"));
            for item in self.section(key) {
                out.push_str(&format!("- {item}\n"));
            }
        }
        out
    }

    /// Read the text written by [`SafetyPlan::to_text`] after the writer edited it.
    pub fn from_text(text: &str) -> SafetyPlan {
        let mut plan = SafetyPlan::default();
        let mut current: Option<&str> = None;
        for line in text.lines() {
            let line = line.trim();
            if let Some(heading) = line.strip_prefix('#') {
                let heading = heading.trim().to_lowercase();
                current = SECTIONS
                    .iter()
                    .find(|(title, _)| title.to_lowercase() == heading)
                    .map(|(_, key)| *key);
            } else if let (Some(item), Some(key)) = (item_of(line), current) {
                if let Some(list) = plan.section_mut(key) {
                    list.push(item);
                }
            }
        }
        plan
    }

    /// One section as an editable text (`None` if `key` is not a section).
    pub fn section_text(&self, key: &str) -> Option<String> {
        let title = SafetyPlan::title(key)?;
        let mut out = format!("# {title}. One item per line starting with '- '.\n");
        for item in self.section(key) {
            out.push_str(&format!("- {item}\n"));
        }
        Some(out)
    }

    /// Replace one section with the items of `text` (as [`SafetyPlan::section_text`] wrote it);
    /// the other sections stay as they are. `false` if `key` is not a section.
    pub fn set_section_from_text(&mut self, key: &str, text: &str) -> bool {
        let items: Vec<String> = text.lines().filter_map(|l| item_of(l.trim())).collect();
        match self.section_mut(key) {
            Some(list) => {
                *list = items;
                true
            }
            None => false,
        }
    }
}

/// The item of a `- item` line, if it has words.
fn item_of(line: &str) -> Option<String> {
    let item = line.strip_prefix('-')?.trim();
    (!item.is_empty()).then(|| item.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_text_round_trips() {
        let plan = SafetyPlan {
            warning_signs: vec!["not sleeping".into()],
            coping_steps: vec!["walk".into(), "5-4-3-2-1".into()],
            distractions: vec!["the library".into()],
            people: vec!["Ana 555-0100".into()],
            professionals: vec!["Dr. Lee".into()],
            safer_surroundings: vec!["pills at Ana's".into()],
            reasons: vec!["my cat".into()],
        };
        assert_eq!(SafetyPlan::from_text(&plan.to_text()), plan);
    }

    #[test]
    fn a_plan_saved_before_the_new_sections_still_loads() {
        let old = r#"{"warning_signs":["not sleeping"],"coping_steps":[],"people":["Ana"],"professionals":[]}"#;
        let plan: SafetyPlan = serde_json::from_str(old).unwrap();
        assert_eq!(plan.warning_signs, ["not sleeping"]);
        assert_eq!(plan.people, ["Ana"]);
        assert!(
            plan.distractions.is_empty()
                && plan.safer_surroundings.is_empty()
                && plan.reasons.is_empty()
        );
        // And an old editable text (four headings) reads the same way.
        let text = "# Warning signs\n- not sleeping\n\n# People I can call\n- Ana\n";
        assert_eq!(SafetyPlan::from_text(text), plan);
    }

    #[test]
    fn one_section_is_edited_alone() {
        let mut plan = SafetyPlan {
            people: vec!["Ana".into()],
            ..Default::default()
        };
        let text = plan.section_text("reasons").unwrap();
        assert!(text.starts_with("# Reasons to keep going"));
        assert!(plan.set_section_from_text("reasons", &format!("{text}- my cat\n-  \n- the sea\n")));
        assert_eq!(plan.reasons, ["my cat", "the sea"]);
        assert_eq!(plan.people, ["Ana"]);
        assert!(!plan.set_section_from_text("nope", "- x"));
        assert!(plan.section_text("nope").is_none());
    }
}
