//! The pages, embedded in the binary: no CDN, nothing fetched, works offline.

use axum::extract::Path;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The files of `crates/attune-ui/assets/`.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// What `/open` answers to a wrong or used token.
pub const REFUSED_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Attune</title></head><body><main><h1>This link has been used</h1><p>Each link that <code>attune ui</code> prints opens one browser session. Run <code>attune ui</code> again for a new one.</p></main></body></html>";

/// What `/` answers without a session.
pub const NO_SESSION_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Attune</title></head><body><main><h1>Open Attune from its link</h1><p>Run <code>attune ui</code> and open the link it prints. Only that link starts a session, so other people on this computer and other web pages cannot read your journal.</p></main></body></html>";

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// One embedded file, with an ETag so that a reload asks "changed?" only.
pub fn file(name: &str, request: &HeaderMap) -> Response {
    let Some(file) = Assets::get(name) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..12]));
    if request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (
        [(header::CONTENT_TYPE, content_type(name))],
        file.data.into_owned(),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /assets/*path`.
pub async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file(&path, &headers)
}

/// `GET /favicon.svg`.
pub async fn favicon(headers: HeaderMap) -> Response {
    file("favicon.svg", &headers)
}

/// `GET /`: the single page (the guard has checked the session).
pub async fn index(headers: HeaderMap) -> Response {
    file("index.html", &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_preloads_every_module_and_has_no_inline_script_or_style() {
        let index = Assets::get("index.html").expect("index.html");
        let index = String::from_utf8_lossy(&index.data);
        for name in Assets::iter().filter(|n| n.ends_with(".js")) {
            let tag = format!("/assets/{name}\"");
            assert!(index.contains(&tag), "index.html does not load {name}");
        }
        for name in Assets::iter() {
            let file = Assets::get(&name).expect("asset");
            let text = String::from_utf8_lossy(&file.data);
            // The policy would block these; they must not be there at all.
            assert!(
                !text.contains("style=\""),
                "{name} has an inline style attribute"
            );
            assert!(!text.contains("innerHTML"), "{name} uses innerHTML");
            assert!(
                !text.contains("localStorage") && !text.contains("sessionStorage"),
                "{name} keeps data in the browser"
            );
            if name.ends_with(".html") {
                assert!(
                    !text.contains("<script>") && !text.contains(" onclick="),
                    "{name} has inline script"
                );
            }
        }
    }
}
