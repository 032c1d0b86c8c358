//! `attune export`: the writer's entries as plaintext files they asked for.

use std::path::PathBuf;

use anyhow::{bail, Result};
use attune_client::portable::export::{json_document, select, write_json, Selection};
use attune_client::portable::html::{self, Sharing};
use attune_client::portable::{automerge, markdown, plaintext, table};
use attune_core::{EntryKind, Query};
use clap::{Args, ValueEnum};

use crate::Ctx;

/// The formats `attune export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Versioned, lossless, re-importable by `attune import`.
    Json,
    /// One .md per entry with YAML front matter, in a folder or a .zip.
    Markdown,
    /// One .csv per kind in a folder, a column per field.
    Csv,
    /// One printable page for someone else (with --for-someone).
    Html,
    /// Each entry's Automerge document and a manifest, in a folder.
    Automerge,
}

#[derive(Args)]
pub struct ExportArgs {
    /// json, markdown, csv, html (with --for-someone) or automerge.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Where: a file (json, html; standard output when left out), a folder or .zip
    /// (markdown), a folder (csv, automerge).
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Only these kinds (comma-separated: session,setback).
    #[arg(long, value_delimiter = ',')]
    pub kind: Vec<String>,
    /// Only entries with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only entries with this person.
    #[arg(long)]
    pub person: Option<String>,
    /// Only the last N days.
    #[arg(long, value_name = "N", conflicts_with = "since")]
    pub days: Option<u32>,
    /// From this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Deleted entries too (marked `deleted: true`).
    #[arg(long)]
    pub include_deleted: bool,
    /// A page for someone else (a therapist, a group): only kinds, dates, steadiness,
    /// text and fields; no notes, tags or names (with --format html).
    #[arg(long)]
    pub for_someone: bool,
    /// Keep people's names in a page for someone else.
    #[arg(long, requires = "for_someone")]
    pub keep_people: bool,
}

fn selection(args: &ExportArgs) -> Result<Selection> {
    let mut query = Query {
        tag: args.tag.clone(),
        person: args.person.clone(),
        ..Query::default()
    };
    if let Some(days) = args.days {
        query.from_ms = Some(attune_client::store::now_ms() - i64::from(days) * 86_400_000);
    }
    if let Some(since) = &args.since {
        query.from_ms = Some(crate::cli::time::parse_local(since)?.unix_ms);
    }
    if let Some(until) = &args.until {
        query.until_ms = Some(crate::cli::time::parse_local(until)?.unix_ms);
    }
    let kinds = args
        .kind
        .iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            EntryKind::parse(k.trim())
                .ok_or_else(|| anyhow::anyhow!("{k:?} is not a kind; `attune kinds` lists them"))
        })
        .collect::<Result<Vec<EntryKind>>>()?;
    Ok(Selection {
        query,
        kinds,
        include_deleted: args.include_deleted,
    })
}

/// Run `attune export`.
pub fn export(ctx: &Ctx, args: ExportArgs) -> Result<()> {
    if args.for_someone != (args.format == Format::Html) {
        bail!(
            "a page for someone else is --for-someone --format html; the other formats are for you"
        );
    }
    if args.for_someone && args.include_deleted {
        bail!("deleted entries never go in a page for someone else");
    }
    let selection = selection(&args)?;
    if let Some(path) = &args.output {
        plaintext::check_destination(&ctx.dir, path)?;
    }
    let mut store = ctx.open()?;
    let entries = select(&mut store, &selection)?;
    // The safety plan goes with an export of every kind, tag and person.
    let with_plan = selection.kinds.is_empty() && args.tag.is_none() && args.person.is_none();
    let now = crate::cli::time::now();
    let warn = |path: &str| {
        eprintln!(
            "Note: this export is plaintext, not encrypted: anyone who can read {path} can read these entries."
        )
    };
    match (args.format, &args.output) {
        (Format::Json, None) => {
            warn("it");
            let document = json_document(&store, now, &entries, with_plan)?;
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
        (Format::Json, Some(path)) => {
            warn(&path.display().to_string());
            let document = json_document(&store, now, &entries, with_plan)?;
            write_json(&store, path, &document)?;
            eprintln!("Exported {} entries to {}.", entries.len(), path.display());
        }
        (Format::Markdown, Some(path)) => {
            warn(&path.display().to_string());
            let n = markdown::write(store.dir(), path, &entries)?;
            eprintln!("Exported {n} entries to {}.", path.display());
        }
        (Format::Csv, Some(path)) => {
            warn(&path.display().to_string());
            let files = table::write(store.dir(), path, &entries)?;
            eprintln!(
                "Exported {} entries to {} ({}).",
                entries.len(),
                path.display(),
                files.join(", ")
            );
        }
        (Format::Html, output) => {
            let sharing = Sharing {
                keep_people: args.keep_people,
                kinds: selection.kinds.clone(),
                since: args.since.clone(),
                until: args.until.clone(),
            };
            let page = html::page(&entries, &sharing, now);
            match output {
                Some(path) => {
                    warn(&path.display().to_string());
                    plaintext::write_file(store.dir(), path, page.as_bytes())?;
                    eprintln!(
                        "Wrote a page of {} entries for someone else to {}; nothing else leaves this device.",
                        entries.len(),
                        path.display()
                    );
                }
                None => {
                    warn("it");
                    print!("{page}");
                }
            }
        }
        (Format::Automerge, Some(path)) => {
            warn(&path.display().to_string());
            let n = automerge::write(&store, path, &entries)?;
            eprintln!("Exported {n} Automerge documents to {}.", path.display());
        }
        (format, None) => bail!(
            "--format {} writes several files: give a folder with -o PATH",
            format
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default()
        ),
    }
    Ok(())
}
