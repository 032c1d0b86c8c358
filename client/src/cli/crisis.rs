//! `attune crisis`: the crisis note and the writer's safety plan, offline, in one step.

use anyhow::{bail, Result};
use attune_client::safety::{CRISIS_NOTE, SECTIONS};
use attune_client::{SafetyPlan, Store};

use crate::cli::args::CrisisAction;
use crate::cli::journal::edit_in_editor;
use crate::cli::safe;
use crate::Ctx;

/// The one line every insights screen ends with.
pub const CRISIS_POINTER: &str =
    "If today is heavy: `attune crisis` shows crisis lines and your safety plan, offline.";

pub(crate) fn crisis(ctx: &Ctx, action: Option<CrisisAction>, json: bool) -> Result<()> {
    match action {
        None => show(ctx, json)?,
        Some(CrisisAction::Edit { section: None }) => {
            let mut store = ctx.open()?;
            let text = edit_in_editor(&store.safety_plan()?.to_text())?;
            store.set_safety_plan(&SafetyPlan::from_text(&text))?;
            println!("Your safety plan is saved.");
        }
        Some(CrisisAction::Edit {
            section: Some(section),
        }) => {
            let mut store = ctx.open()?;
            let mut plan = store.safety_plan()?;
            let Some(text) = plan.section_text(&section) else {
                bail!("{section:?} is not a section; use one of: {}", keys());
            };
            let edited = edit_in_editor(&text)?;
            plan.set_section_from_text(&section, &edited);
            store.set_safety_plan(&plan)?;
            println!(
                "“{}” in your safety plan is saved.",
                SafetyPlan::title(&section).unwrap_or_default()
            );
        }
        Some(CrisisAction::Add { section, item }) => {
            let mut store = ctx.open()?;
            let mut plan = store.safety_plan()?;
            let Some(list) = plan.section_mut(&section) else {
                bail!("{section:?} is not a section; use one of: {}", keys());
            };
            list.push(item);
            store.set_safety_plan(&plan)?;
            println!("Added to your safety plan.");
        }
    }
    Ok(())
}

fn keys() -> String {
    SECTIONS
        .iter()
        .map(|(_, k)| *k)
        .collect::<Vec<_>>()
        .join(", ")
}

fn show(ctx: &Ctx, json: bool) -> Result<()> {
    // The general note comes first and needs nothing unlocked.
    if !json {
        println!("{CRISIS_NOTE}\n");
    }
    let plan = if Store::exists(&ctx.dir) {
        match ctx.open().and_then(|s| Ok(s.safety_plan()?)) {
            Ok(plan) => Some(plan),
            Err(e) => {
                eprintln!(
                    "(Your own safety plan could not be opened: {})",
                    safe::line(&e.to_string())
                );
                None
            }
        }
    } else {
        None
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "note": CRISIS_NOTE, "plan": plan })
            )?
        );
        return Ok(());
    }
    match plan {
        Some(plan) if !plan.is_empty() => {
            println!("Your safety plan");
            for (title, key) in SECTIONS {
                let items = plan.section(key);
                if !items.is_empty() {
                    println!("  {title}:");
                    for item in items {
                        println!("    • {}", safe::line(item));
                    }
                }
            }
            let empty: Vec<&str> = SECTIONS
                .iter()
                .filter(|(_, k)| plan.section(k).is_empty())
                .map(|(_, k)| *k)
                .collect();
            if !empty.is_empty() {
                println!(
                    "\nStill open, whenever you like: {} (`attune crisis edit SECTION`).",
                    empty.join(", ")
                );
            }
        }
        _ => println!(
            "You can write your own safety plan (warning signs, coping steps, people and places that\n\
             help you take your mind off things, people to call, professionals, making your surroundings\n\
             safer, reasons to keep going) with `attune crisis edit`. It stays encrypted on your devices."
        ),
    }
    Ok(())
}
