//! `attune insights`: patterns in the journal, in words and plots, gently.
//!
//! Everything is computed on this device by `attune-insights`; this module
//! only reads the entries, picks the terminal's width and colour, prints, and
//! writes SVG files when asked. Every page ends with the crisis pointer.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use attune_core::Query;
use attune_insights::plot::data::PlotData;
use attune_insights::plot::svg::SvgOptions;
use attune_insights::plot::terminal::Style;
use attune_insights::plot::{svg, terminal, Plot};
use attune_insights::{insights as compute, Area, Journal, Options};

use crate::cli::args::InsightsArgs;
use crate::cli::crisis::CRISIS_POINTER;
use crate::cli::safe;
use crate::Ctx;

/// Width when the terminal does not say (output to a file or a pipe).
const DEFAULT_WIDTH: usize = 80;

pub(crate) fn insights(ctx: &Ctx, args: InsightsArgs) -> Result<()> {
    let area = match args.area.as_deref() {
        None => None,
        Some(key) => Some(Area::parse(key).with_context(|| {
            let keys: Vec<&str> = Area::ALL.iter().map(|a| a.key()).collect();
            format!(
                "{key:?} is not an area of insight; use one of: {}",
                keys.join(", ")
            )
        })?),
    };
    let mut store = ctx.open()?;
    let entries = store.list(&Query::default())?;
    let now = crate::cli::time::now();
    let options = Options {
        include_hard: args.include_hard,
    };
    let all = compute(&entries, now, &options);
    let data = PlotData::new(&Journal::new(&entries, now), &all);

    if let Some(dir) = &args.svg {
        write_svgs(dir, &data, area)?;
    }
    if args.json {
        let mut value = serde_json::to_value(&all)?;
        if let Some(area) = area {
            let key = area.key().replace('-', "_");
            let part = value.get(&key).cloned().unwrap_or_default();
            value = serde_json::json!({ "version": all.version, "today": all.today, key: part });
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let style = Style {
        width: width(),
        color: color(),
    };
    let areas: Vec<Area> = area.map_or_else(|| Area::ALL.to_vec(), |a| vec![a]);
    let mut page = String::new();
    for (i, area) in areas.iter().enumerate() {
        if i > 0 {
            page.push('\n');
        }
        for line in all.lines(*area) {
            page.push_str(&safe::line(&line));
            page.push('\n');
        }
        for plot in area.plots() {
            // Names inside plots went through `plot::clean`; colour codes are ours.
            page.push('\n');
            page.push_str(&terminal::render(*plot, &data, &style));
        }
    }
    page.push_str(&format!("\n{CRISIS_POINTER}\n"));
    print_page(&page)
}

/// Print a page; a reader that stopped early (`| head`) is not an error.
fn print_page(page: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(page.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn write_svgs(dir: &Path, data: &PlotData, area: Option<Area>) -> Result<()> {
    let plots: Vec<Plot> = match area {
        Some(a) => a.plots().to_vec(),
        None => Plot::ALL.to_vec(),
    };
    if plots.is_empty() {
        bail!("this area has no plots; `attune insights --svg DIR` writes them all");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let options = SvgOptions {
        footer: Some(CRISIS_POINTER.to_string()),
    };
    for plot in &plots {
        let path = dir.join(format!("{}.svg", plot.key()));
        std::fs::write(&path, svg::render(*plot, data, &options))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!(
        "Wrote {} {} to {} (these files are not encrypted).",
        plots.len(),
        if plots.len() == 1 { "plot" } else { "plots" },
        safe::line(&dir.display().to_string())
    );
    Ok(())
}

/// The terminal's width, or `COLUMNS`, or 80.
fn width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return usize::from(w);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_WIDTH)
}

/// Colour only on a terminal, never under `NO_COLOR` or a dumb terminal.
fn color() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}
