//! What keeps other local users and other web pages out: the `Host` and
//! `Origin` checks, the one-time token exchanged for a session cookie, the
//! idle lock, and the security headers on every answer (docs/UI_API.md).

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::{guard, AppState};

/// The session cookie's name.
pub const COOKIE: &str = "attune_ui";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const PLOT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// Calls that answer while the idle lock is on.
const OPEN_WHILE_LOCKED: [&str; 4] = ["/api/session", "/api/unlock", "/api/events", "/api/crisis"];

/// Every request passes here first.
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = route_label(request.uri().path());
    let response = match refuse(&state, &request) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    };
    let mut response = response;
    add_headers(&route, response.headers_mut());
    // The route's shape only: never a query, a body or an entry id.
    tracing::info!(method = %method, route = %route, status = response.status().as_u16(), "ui request");
    response
}

fn refuse(state: &AppState, request: &Request) -> Option<Response> {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !state.hosts.iter().any(|h| h == host) {
        return Some(
            ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "wrong_host",
                "this server answers only at its own address (127.0.0.1)",
            )
            .into_response(),
        );
    }
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    let foreign = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "foreign_origin",
            "requests from other sites are refused",
        )
        .into_response()
    };
    if origin.is_some_and(|o| !state.origins.iter().any(|mine| mine == o)) {
        return Some(foreign());
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|s| s.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return Some(foreign());
        }
    }
    let path = request.uri().path();
    if path == "/open" || path.starts_with("/assets/") || path == "/favicon.svg" {
        return None;
    }
    if !has_session(state, headers) {
        if path == "/" {
            return Some(
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    crate::assets::NO_SESSION_PAGE,
                )
                    .into_response(),
            );
        }
        return Some(
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "no_session",
                "this page's session is not known here; open the link `attune ui` printed",
            )
            .into_response(),
        );
    }
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes && origin.is_none() {
        return Some(foreign());
    }
    if path.starts_with("/api/") && !OPEN_WHILE_LOCKED.contains(&path) && state.is_locked() {
        return Some(
            ApiError::new(
                StatusCode::LOCKED,
                "locked",
                "Attune is locked after a while without activity; unlock to go on",
            )
            .into_response(),
        );
    }
    if changes && path != "/api/activity" && path != "/api/lock" {
        state.touch();
    }
    None
}

fn has_session(state: &AppState, headers: &HeaderMap) -> bool {
    let sessions = guard(&state.sessions);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && sessions.contains(value))
}

fn add_headers(route: &str, headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    if route.starts_with("/api/insights/plots/") {
        // An SVG shown as an image runs no script; it may use its own <style>.
        set(headers, "content-security-policy", PLOT_CSP);
    } else {
        set(headers, "content-security-policy", CSP);
    }
    set(headers, "x-frame-options", "DENY");
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "cross-origin-resource-policy", "same-origin");
    if !route.starts_with("/assets/") {
        set(headers, "cache-control", "no-store");
    }
}

/// A path with anything that could identify an entry, a job or a device replaced.
pub fn route_label(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let id_like = segment.len() >= 8 && segment.chars().all(|c| c.is_ascii_hexdigit())
                || (!segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()));
            if id_like {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `?token=` of the opening link.
#[derive(Deserialize)]
pub struct Opening {
    token: Option<String>,
}

/// `GET /open?token=T`: a one-time token for a session cookie.
pub async fn open(State(state): State<AppState>, Query(opening): Query<Opening>) -> Response {
    let expected = guard(&state.token).take();
    let matches = match (&expected, &opening.token) {
        (Some(expected), Some(given)) => {
            // blake3's hashes compare in constant time.
            blake3::hash(expected.as_bytes()) == blake3::hash(given.as_bytes())
        }
        _ => false,
    };
    if !matches {
        // A wrong guess does not burn the token of the person who ran
        // `attune ui` (32 random bytes cannot be guessed); a used one stays used.
        if expected.is_some() {
            *guard(&state.token) = expected;
        }
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Body::from(crate::assets::REFUSED_PAGE),
        )
            .into_response();
    }
    let session = hex::encode(attune_crypto::random_bytes::<32>());
    guard(&state.sessions).insert(session.clone());
    state.touch();
    let cookie = format!("{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/");
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
