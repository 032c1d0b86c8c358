//! `attune import`: entries from Attune's own JSON, jrnl, Day One, Daylio or Markdown.

use std::path::PathBuf;

use anyhow::{bail, Result};
use attune_client::portable::import::daylio::{missing_moods, MoodMap};
use attune_client::portable::import::{self, detect, ImportOptions, LocalZone, Source};
use clap::Args;

use crate::cli::safe;
use crate::{interactive, Ctx};

#[derive(Args)]
pub struct ImportArgs {
    /// The file (or, for Markdown, the folder) to import.
    pub path: PathBuf,
    /// Where it comes from: attune, jrnl, dayone, daylio or markdown (recognised when left out).
    #[arg(long, value_name = "SOURCE")]
    pub from: Option<Source>,
    /// How Daylio's moods map to steadiness: "rad=5,good=4,meh=3,bad=2,awful=1" (none leaves it empty).
    #[arg(long, value_name = "MAP")]
    pub mood_map: Option<MoodMap>,
    /// Tags starting with this become people (jrnl: --people-from @).
    #[arg(long, value_name = "PREFIX")]
    pub people_from: Option<String>,
    /// The time zone for times that carry none (default: this computer's), e.g. Europe/Berlin.
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Ask, at a terminal, how each Daylio mood the map lacks reads as steadiness.
fn ask_moods(args: &ImportArgs, options: &mut ImportOptions) -> Result<()> {
    let file = args.path.display().to_string();
    let bytes = std::fs::read(&args.path)?;
    let missing = missing_moods(&file, &bytes, options.mood_map.as_ref())?;
    if missing.is_empty() || !interactive() {
        return Ok(());
    }
    eprintln!("Daylio's moods are your own names. How steady (1 = overwhelmed … 5 = steady) does each mean?");
    let mut map = options.mood_map.clone().unwrap_or_default();
    for mood in missing {
        loop {
            eprint!("  {} (1-5, or none): ", safe::line(&mood));
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            match format!("{mood}={}", line.trim()).parse::<MoodMap>() {
                Ok(one) => {
                    map.0.extend(one.0);
                    break;
                }
                Err(why) => eprintln!("  {why}"),
            }
        }
    }
    options.mood_map = Some(map);
    Ok(())
}

/// Run `attune import`.
pub fn import(ctx: &Ctx, args: ImportArgs) -> Result<()> {
    let zone = match &args.zone {
        Some(name) => match LocalZone::named(name) {
            Some(z) => z,
            None => bail!("{name:?} is not a time zone name such as Europe/Berlin"),
        },
        None => LocalZone::system(),
    };
    let mut options = ImportOptions {
        zone,
        people_from: args.people_from.clone(),
        mood_map: args.mood_map.clone(),
    };
    let source = match args.from {
        Some(s) => s,
        None => {
            let bytes = (!args.path.is_dir())
                .then(|| std::fs::read(&args.path))
                .transpose()?;
            detect(&args.path, bytes.as_deref())?
        }
    };
    if source == Source::Daylio {
        ask_moods(&args, &mut options)?;
    }
    let (source, parsed) = import::detect::read(&args.path, Some(source), &options)?;
    let mut store = ctx.open()?;
    let total = parsed.entries.len() as u64;
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(total)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("Importing {}", source.name()));
    let file = args.path.display().to_string();
    let summary = import::apply(&mut store, &file, parsed, &mut |n| {
        if n % 64 == 0 || n as u64 == total {
            bar.set_position(n as u64);
        }
    })?;
    bar.finish_and_clear();
    if args.json {
        let skipped: Vec<_> = summary
            .skipped
            .iter()
            .map(|s| serde_json::json!({"what": s.what, "why": s.why}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "source": source.name(),
                "new": summary.new,
                "already": summary.already,
                "skipped": skipped,
                "notes": summary.notes,
            })
        );
        return Ok(());
    }
    for note in &summary.notes {
        println!("Note: {}.", safe::line(note));
    }
    println!(
        "Imported from {}: {} new, {} already there.",
        source.name(),
        summary.new,
        summary.already
    );
    for s in &summary.skipped {
        println!("Skipped {}: {}.", safe::line(&s.what), safe::line(&s.why));
    }
    Ok(())
}
