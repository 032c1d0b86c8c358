//! Which importer reads a path: named with `--from`, or recognised from the file.

use std::path::Path;

use super::{attune, daylio, dayone, jrnl, markdown, ImportOptions, Parsed};
use crate::portable::document::FORMAT_NAME;
use crate::portable::PortableError;

/// The sources Attune imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Attune's own JSON export.
    Attune,
    /// jrnl's JSON export.
    Jrnl,
    /// Day One's JSON export (zip or JSON).
    DayOne,
    /// Daylio's CSV export.
    Daylio,
    /// Markdown files with front matter (folder, zip or one file).
    Markdown,
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "attune" | "json" => Source::Attune,
            "jrnl" => Source::Jrnl,
            "dayone" | "day-one" => Source::DayOne,
            "daylio" => Source::Daylio,
            "markdown" | "md" | "obsidian" => Source::Markdown,
            _ => {
                return Err(format!(
                    "{s:?}: use attune, jrnl, dayone, daylio or markdown"
                ))
            }
        })
    }
}

impl Source {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Source::Attune => "Attune JSON",
            Source::Jrnl => "jrnl JSON",
            Source::DayOne => "Day One",
            Source::Daylio => "Daylio CSV",
            Source::Markdown => "Markdown",
        }
    }
}

/// Recognise what `path` holds (its bytes, for a file, in `bytes`).
pub fn detect(path: &Path, bytes: Option<&[u8]>) -> Result<Source, PortableError> {
    let unknown = || {
        PortableError::Unrecognised(format!(
            "{} is not a file Attune recognises; name its source with --from attune|jrnl|dayone|daylio|markdown",
            path.display()
        ))
    };
    let Some(bytes) = bytes else {
        return Ok(Source::Markdown);
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if bytes.starts_with(b"PK") {
        let has_md = markdown::read_zip(&path.display().to_string(), bytes)
            .is_ok_and(|files| !files.is_empty());
        return Ok(if has_md {
            Source::Markdown
        } else {
            Source::DayOne
        });
    }
    match ext.as_str() {
        "csv" => return Ok(Source::Daylio),
        "md" => return Ok(Source::Markdown),
        _ => {}
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| unknown())?;
    if value["format"] == FORMAT_NAME || value.is_array() {
        Ok(Source::Attune)
    } else if dayone::looks_like(&value) {
        Ok(Source::DayOne)
    } else if jrnl::looks_like(&value) {
        Ok(Source::Jrnl)
    } else {
        Err(unknown())
    }
}

/// Read `path` with the importer for `source` (`None`: recognise it).
pub fn read(
    path: &Path,
    source: Option<Source>,
    options: &ImportOptions,
) -> Result<(Source, Parsed), PortableError> {
    let file = path.display().to_string();
    let bytes = if path.is_dir() {
        None
    } else {
        Some(std::fs::read(path).map_err(|e| crate::StoreError::io(path, e))?)
    };
    let source = match source {
        Some(s) => s,
        None => detect(path, bytes.as_deref())?,
    };
    let parsed = match (source, bytes) {
        (Source::Markdown, None) => markdown::parse(&file, markdown::read_folder(path)?, options)?,
        (Source::Markdown, Some(b)) if b.starts_with(b"PK") => {
            markdown::parse(&file, markdown::read_zip(&file, &b)?, options)?
        }
        (Source::Markdown, Some(b)) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let origin = path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            markdown::parse(&origin, vec![(name, b)], options)?
        }
        (_, None) => {
            return Err(PortableError::Unrecognised(format!(
                "{file} is a folder; only Markdown imports read folders"
            )))
        }
        (Source::Attune, Some(b)) => attune::parse(&file, &b)?,
        (Source::Jrnl, Some(b)) => jrnl::parse(&file, &b, options)?,
        (Source::DayOne, Some(b)) => dayone::parse(&file, &b, options)?,
        (Source::Daylio, Some(b)) => daylio::parse(&file, &b, options)?,
    };
    Ok((source, parsed))
}
