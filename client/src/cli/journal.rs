//! The journal verbs: write, edit, and the parsing they share.

use std::io::Read;

use anyhow::{bail, Context, Result};
use attune_client::safety::CRISIS_HINT;
use attune_client::Store;
use attune_core::{Edit, Entry, EntryKind, FieldValue, NewEntry, Query};

use crate::cli::args::{EditArgs, FilterArgs, WriteArgs};
use crate::cli::output::entry_json;
use crate::cli::prompt::Prompter;
use crate::{cli, interactive, Ctx};

pub(crate) fn parse_kind(s: &str) -> Result<EntryKind> {
    EntryKind::parse(s).ok_or_else(|| attune_core::CoreError::UnknownKind(s.to_string()).into())
}

pub(crate) fn build_query(f: &FilterArgs) -> Result<Query> {
    let mut q = Query {
        kind: f.kind.as_deref().map(parse_kind).transpose()?,
        tag: f.tag.clone(),
        person: f.person.clone(),
        deleted: f.deleted,
        limit: f.limit,
        ..Default::default()
    };
    if let Some(days) = f.days {
        q.from_ms = Some(attune_client::store::now_ms() - i64::from(days) * 86_400_000);
    }
    if let Some(since) = &f.since {
        q.from_ms = Some(cli::time::parse_local(since)?.unix_ms);
    }
    if let Some(until) = &f.until {
        q.until_ms = Some(cli::time::parse_local(until)?.unix_ms);
    }
    Ok(q)
}

pub(crate) fn parse_fields(kind: EntryKind, raw: &[String]) -> Result<Vec<(String, FieldValue)>> {
    raw.iter()
        .map(|kv| {
            let Some((key, value)) = kv.split_once('=') else {
                bail!("--field {kv:?}: write it as key=value (see `attune kinds`)");
            };
            let spec = kind.field(key.trim())?;
            Ok((spec.key.to_string(), FieldValue::parse(spec, value)?))
        })
        .collect()
}

pub(crate) fn edit_in_editor(initial: &str) -> Result<String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    // The temporary file is private (0600) and removed as soon as the editor closes.
    let file = tempfile::Builder::new()
        .prefix("attune-")
        .suffix(".md")
        .tempfile()?;
    std::fs::write(file.path(), initial)?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .with_context(|| format!("starting your editor ({editor})"))?;
    if !status.success() {
        bail!("your editor ({editor}) exited with {status}; nothing was saved");
    }
    Ok(std::fs::read_to_string(file.path())?)
}

pub(crate) fn write(ctx: &Ctx, args: WriteArgs) -> Result<()> {
    let mut store = if Store::exists(&ctx.dir) {
        ctx.open()?
    } else {
        println!("There is no journal here yet; creating one.");
        let no_pass = !interactive() && ctx.passphrase_file.is_none();
        ctx.init(None, no_pass)?
    };
    let guided =
        interactive() && !args.no_prompt && args.body.is_none() && args.body_file.is_none();
    let mut prompter = Prompter::new(std::io::stdin().lock(), std::io::stdout());
    let kind = match &args.kind {
        Some(k) => parse_kind(k)?,
        None if guided => {
            let options: Vec<String> = EntryKind::ALL
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{}) {}", i + 1, k.label()))
                .collect();
            println!("What would you like to write?\n  {}", options.join("  "));
            match prompter.ask("Pick a number or a name (Enter for a note):")? {
                Some(a) => match a.parse::<usize>() {
                    Ok(n) if n >= 1 && n <= EntryKind::ALL.len() => EntryKind::ALL[n - 1],
                    _ => parse_kind(&a)?,
                },
                None => EntryKind::Note,
            }
        }
        None => EntryKind::Note,
    };
    let mut new = NewEntry {
        kind: Some(kind),
        notes: args.notes.unwrap_or_default(),
        tags: args.tags.into_iter().collect(),
        people: args.people.into_iter().collect(),
        steadiness: args.steadiness,
        fields: parse_fields(kind, &args.fields)?.into_iter().collect(),
        ..Default::default()
    };
    if let Some(body) = args.body {
        new.body = body;
    } else if let Some(path) = args.body_file {
        new.body = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        } else {
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
        };
    }
    if guided {
        prompter.guide(&mut new)?;
        if !args.editor {
            if let Some(line) = prompter.ask(&format!(
                "{} (type it here, or `e` to open your editor)",
                kind.body_prompt()
            ))? {
                new.body = if line == "e" {
                    edit_in_editor("")?
                } else {
                    line
                };
            }
        }
    }
    if args.editor {
        new.body = edit_in_editor(&new.body)?;
    }
    let empty = new.body.trim().is_empty()
        && new.notes.trim().is_empty()
        && new.fields.is_empty()
        && new.tags.is_empty()
        && new.people.is_empty()
        && new.steadiness.is_none();
    if empty {
        println!("Nothing was written, so nothing was saved. That's fine too.");
        return Ok(());
    }
    let when = match &args.at {
        Some(at) => cli::time::parse_local(at)?,
        None => cli::time::now(),
    };
    let entry = store.create(when, new)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entry_json(&entry))?);
    } else {
        println!("Saved {} entry {}.", entry.kind.label(), entry.id);
    }
    after_write_hint(&entry);
    Ok(())
}

pub(crate) fn after_write_hint(entry: &Entry) {
    if entry.is_heavy() {
        eprintln!("{CRISIS_HINT}");
    }
}

pub(crate) fn edit(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let id = store.resolve(&args.id)?;
    let current = store.get(id)?;
    let kind = match &args.kind {
        Some(k) => parse_kind(k)?,
        None => current.kind,
    };
    let mut edits = Vec::new();
    if kind != current.kind {
        edits.push(Edit::SetKind(kind));
    }
    if let Some(body) = args.body {
        edits.push(Edit::SetBody(body));
    }
    if let Some(more) = args.append {
        let pos = current.body.chars().count();
        let sep = if current.body.is_empty() || current.body.ends_with(char::is_whitespace) {
            ""
        } else {
            " "
        };
        edits.push(Edit::SpliceBody {
            pos,
            delete: 0,
            insert: format!("{sep}{more}"),
        });
    }
    if let Some(notes) = args.notes {
        edits.push(Edit::SetNotes(notes));
    }
    for (key, value) in parse_fields(kind, &args.fields)? {
        edits.push(Edit::SetField(key, Some(value)));
    }
    for key in &args.clear {
        edits.push(Edit::SetField(kind.field(key)?.key.to_string(), None));
    }
    edits.extend(args.add_tag.into_iter().map(Edit::AddTag));
    edits.extend(args.remove_tag.into_iter().map(Edit::RemoveTag));
    edits.extend(args.add_person.into_iter().map(Edit::AddPerson));
    edits.extend(args.remove_person.into_iter().map(Edit::RemovePerson));
    if let Some(s) = args.steadiness {
        edits.push(Edit::SetSteadiness(Some(s)));
    }
    if args.editor || (edits.is_empty() && interactive()) {
        edits.push(Edit::SetBody(edit_in_editor(&current.body)?));
    }
    if edits.is_empty() {
        bail!("nothing to change: give --body, --append, --field, --add-tag… (see `attune edit --help`)");
    }
    let entry = store.edit(id, cli::time::now(), &edits)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entry_json(&entry))?);
    } else {
        println!("Saved changes to {}.", entry.id.short());
    }
    Ok(())
}
