//! Your data: exports and backups as downloads, imports as jobs with progress.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use attune_client::portable::export::{json_document, select, Selection};
use attune_client::portable::html::{self, Sharing};
use attune_client::portable::import::{self, ImportOptions, Source};
use attune_client::portable::{automerge, backup, markdown, table};
use attune_core::{EntryKind, Query};
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query as UrlQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::journal::{day_end_ms, day_start_ms, now};
use crate::state::{guard, AppState, Event, Job};

/// The largest file an import takes.
pub const IMPORT_LIMIT: usize = 512 * 1024 * 1024;

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

fn failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "journal", e.to_string())
}

/// What to export (only dates, a kind and the format travel in the URL).
#[derive(Deserialize)]
pub struct ExportQuery {
    format: String,
    #[serde(default)]
    for_someone: Option<String>,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A folder's files in one zip, named relative to it.
fn zip_folder(folder: &Path) -> Result<Vec<u8>, ApiError> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut names: Vec<_> = std::fs::read_dir(folder)
        .map_err(failed)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        zip.start_file(name, options).map_err(failed)?;
        zip.write_all(&std::fs::read(&path).map_err(failed)?)
            .map_err(failed)?;
    }
    zip.finish().map_err(failed)?;
    Ok(out.into_inner())
}

/// `GET /api/export`.
pub async fn export(
    State(state): State<AppState>,
    UrlQuery(q): UrlQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let since = nonempty(&q.since);
    let until = nonempty(&q.until);
    let mut query = Query::default();
    if let Some(d) = &since {
        query.from_ms = Some(day_start_ms(d, "since")?);
    }
    if let Some(d) = &until {
        query.until_ms = Some(day_end_ms(d, "until")?);
    }
    let kinds = match nonempty(&q.kind) {
        Some(k) => vec![EntryKind::parse(&k)
            .ok_or_else(|| ApiError::bad_request(format!("{k:?} is not a kind")))?],
        None => Vec::new(),
    };
    let for_someone = q
        .for_someone
        .as_deref()
        .is_some_and(|v| v == "1" || v == "true");
    let format = q.format.clone();
    if for_someone != (format == "html") {
        return Err(ApiError::bad_request(
            "a page for someone else is the printable page (html); the other formats are for you",
        ));
    }
    let day = jiff::Zoned::now().date().to_string();
    state
        .journal
        .with(move |store| {
            let with_plan = kinds.is_empty();
            let selection = Selection {
                query,
                kinds: kinds.clone(),
                include_deleted: false,
            };
            let entries = select(store, &selection)?;
            let temp = tempfile::tempdir().map_err(failed)?;
            Ok(match format.as_str() {
                "json" => {
                    let document = json_document(store, now(), &entries, with_plan)?;
                    let bytes = serde_json::to_vec_pretty(&document).map_err(failed)?;
                    download(bytes, "application/json", format!("attune-{day}.json"))
                }
                "markdown" => {
                    let path = temp.path().join("attune.zip");
                    markdown::write(store.dir(), &path, &entries)?;
                    let bytes = std::fs::read(&path).map_err(failed)?;
                    download(
                        bytes,
                        "application/zip",
                        format!("attune-markdown-{day}.zip"),
                    )
                }
                "csv" | "automerge" => {
                    let folder = temp.path().join("export");
                    if format == "csv" {
                        table::write(store.dir(), &folder, &entries)?;
                    } else {
                        automerge::write(store, &folder, &entries)?;
                    }
                    download(
                        zip_folder(&folder)?,
                        "application/zip",
                        format!("attune-{format}-{day}.zip"),
                    )
                }
                "html" => {
                    let sharing = Sharing {
                        keep_people: false,
                        kinds,
                        since,
                        until,
                    };
                    let page = html::page(&entries, &sharing, now());
                    download(
                        page.into_bytes(),
                        "text/html; charset=utf-8",
                        format!("attune-for-someone-{day}.html"),
                    )
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "{other:?}: use json, markdown, csv, html or automerge"
                    )))
                }
            })
        })
        .await
}

/// `GET /api/backup`: the whole journal in the age format (`attune backup create`).
pub async fn backup(State(state): State<AppState>) -> Result<Response, ApiError> {
    let day = jiff::Zoned::now().date().to_string();
    state
        .journal
        .with(move |store| {
            let recipients = backup::recipients(store)?;
            let (plain, _) = backup::archive(store, now())?;
            let sealed = backup::encrypt(&plain, &recipients)?;
            Ok(download(
                sealed,
                "application/octet-stream",
                format!("attune-{day}.age"),
            ))
        })
        .await
}

/// How to read an uploaded file.
#[derive(Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// `POST /api/import`: the file as the body; answers a job to poll.
pub async fn import(
    State(state): State<AppState>,
    UrlQuery(q): UrlQuery<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let octets = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/octet-stream"));
    if !octets {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "wrong_content_type",
            "send the file as application/octet-stream",
        ));
    }
    let source: Option<Source> = match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("auto") => None,
        Some(f) => Some(f.parse().map_err(ApiError::bad_request)?),
    };
    // Only the extension of the file's name is kept: it tells zip from JSON from CSV.
    let extension = q
        .name
        .as_deref()
        .and_then(|n| Path::new(n).extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()) && e.len() <= 8)
        .unwrap_or_else(|| "json".into());
    let id = NEXT_JOB.fetch_add(1, Ordering::Relaxed);
    guard(&state.jobs).insert(
        id,
        Job {
            state: "running",
            message: "Reading the file".into(),
            ..Job::default()
        },
    );
    let shared = state.clone();
    tokio::task::spawn_blocking(move || {
        let outcome = run_import(&shared, id, &body, &extension, source);
        let mut jobs = guard(&shared.jobs);
        if let Some(job) = jobs.get_mut(&id) {
            match outcome {
                Ok((message, result)) => {
                    job.state = "done";
                    job.done = job.total;
                    job.message = message;
                    job.result = Some(result);
                }
                Err(e) => {
                    job.state = "failed";
                    job.message = e.message;
                }
            }
        }
        drop(jobs);
        shared.notify(Event::Changed);
    });
    Ok(Json(json!({ "job": id.to_string() })))
}

fn run_import(
    shared: &AppState,
    id: u64,
    body: &[u8],
    extension: &str,
    source: Option<Source>,
) -> Result<(String, Value), ApiError> {
    let temp = tempfile::tempdir().map_err(failed)?;
    let path = temp.path().join(format!("import.{extension}"));
    std::fs::write(&path, body).map_err(failed)?;
    let options = ImportOptions::default();
    let (source, parsed) = import::detect::read(&path, source, &options)?;
    let total = parsed.entries.len();
    if let Some(job) = guard(&shared.jobs).get_mut(&id) {
        job.total = total;
        job.message = format!("Importing from {}", source.name());
    }
    let mut store = shared.journal.open()?;
    let summary = import::apply(&mut store, "the uploaded file", parsed, &mut |n| {
        if n % 64 == 0 || n == total {
            if let Some(job) = guard(&shared.jobs).get_mut(&id) {
                job.done = n;
            }
        }
    })?;
    let skipped: Vec<Value> = summary
        .skipped
        .iter()
        .map(|s| json!({ "what": s.what, "why": s.why }))
        .collect();
    let message = format!(
        "Imported from {}: {} new, {} already in your journal.",
        source.name(),
        summary.new,
        summary.already
    );
    Ok((
        message,
        json!({ "added": summary.new, "already": summary.already, "skipped": skipped, "notes": summary.notes }),
    ))
}

/// `GET /api/jobs/{id}`.
pub async fn job(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<u64>,
) -> Result<Json<Job>, ApiError> {
    guard(&state.jobs)
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("there is no such import"))
}
