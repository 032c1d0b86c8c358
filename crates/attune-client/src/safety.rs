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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyPlan {
    /// Warning signs that a crisis may be developing.
    #[serde(default)]
    pub warning_signs: Vec<String>,
    /// Things I can do on my own to cope.
    #[serde(default)]
    pub coping_steps: Vec<String>,
    /// People I can call.
    #[serde(default)]
    pub people: Vec<String>,
    /// Professionals and services I can contact.
    #[serde(default)]
    pub professionals: Vec<String>,
}

/// The plan's sections: title, and how to get at the list.
pub const SECTIONS: [(&str, &str); 4] = [
    ("Warning signs", "warning-signs"),
    ("Coping steps", "coping-steps"),
    ("People I can call", "people"),
    ("Professionals and services", "professionals"),
];

impl SafetyPlan {
    /// The list of the section with `key`.
    pub fn section_mut(&mut self, key: &str) -> Option<&mut Vec<String>> {
        match key {
            "warning-signs" => Some(&mut self.warning_signs),
            "coping-steps" => Some(&mut self.coping_steps),
            "people" => Some(&mut self.people),
            "professionals" => Some(&mut self.professionals),
            _ => None,
        }
    }

    /// The list of the section with `key`.
    pub fn section(&self, key: &str) -> &[String] {
        match key {
            "warning-signs" => &self.warning_signs,
            "coping-steps" => &self.coping_steps,
            "people" => &self.people,
            _ => &self.professionals,
        }
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.warning_signs.is_empty()
            && self.coping_steps.is_empty()
            && self.people.is_empty()
            && self.professionals.is_empty()
    }

    /// The plan as an editable text: one `# Section` heading, one `- item` per line.
    pub fn to_text(&self) -> String {
        let mut out = String::from("# Your safety plan. One item per line starting with '- '. Lines starting with '#' are headings.\n");
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
            } else if let (Some(item), Some(key)) = (line.strip_prefix('-'), current) {
                let item = item.trim();
                if !item.is_empty() {
                    if let Some(list) = plan.section_mut(key) {
                        list.push(item.to_string());
                    }
                }
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_text_round_trips() {
        let plan = SafetyPlan {
            warning_signs: vec!["not sleeping".into()],
            coping_steps: vec!["walk".into(), "5-4-3-2-1".into()],
            people: vec!["Ana 555-0100".into()],
            professionals: vec!["Dr. Lee".into()],
        };
        assert_eq!(SafetyPlan::from_text(&plan.to_text()), plan);
    }
}
