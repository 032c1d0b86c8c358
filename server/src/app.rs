//! The relay assembled: state, routes, middleware, and an orderly shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use attune_proto::routes as paths;
use attune_proto::{ErrorBody, ErrorCode};
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::{field, Span};

use crate::auth::{AuthLimits, Authenticator};
use crate::config::Config;
use crate::fanout::Hub;
use crate::routes::{envelopes, keys, live, pairing, recovery, reseed, roster, session, snapshots};
use crate::state::{AppState, Shared};
use crate::storage::Storage;
use crate::writer::{Writer, WriterTask};

/// Batches buffered per journal for live listeners before one lags (and catches up from storage).
const FANOUT_CAPACITY: usize = 256;
/// How long shutdown waits for live connections to close.
const LIVE_CLOSE_GRACE: Duration = Duration::from_secs(10);

/// A relay ready to serve: its router and the tasks it owns.
pub struct Relay {
    state: AppState,
    writer: WriterTask,
    /// The backend's cross-instance fan-out listener (PostgreSQL), aborted at shutdown.
    remote_fanout: Option<JoinHandle<()>>,
    /// Drops idle rate-limit entries now and then; aborted at shutdown.
    limits_sweeper: JoinHandle<()>,
}

impl Relay {
    /// Builds the relay on a storage backend and starts its group-commit writer.
    pub fn new(config: Config, storage: Arc<dyn Storage>) -> Self {
        let hub = Arc::new(Hub::new(FANOUT_CAPACITY));
        let (writer, writer_task) = Writer::start(storage.clone(), hub.clone());
        let remote_fanout = storage.start_remote_fanout(hub.clone());
        let auth = Authenticator::new(AuthLimits {
            challenge_ttl: config.challenge_ttl,
            session_ttl: config.session_ttl,
            max_challenges: config.max_challenges,
            max_sessions: config.max_sessions,
        });
        let pairing = crate::pairing::Pairing::new(config.pairing_ttl, config.max_pairings_per_ip);
        let limits = crate::limits::Limits::new(&config);
        let limits_sweeper = limits.spawn_sweeper();
        let state = AppState::new(Shared {
            pairing,
            limits,
            config,
            storage,
            auth,
            hub,
            writer,
            shutdown: CancellationToken::new(),
            sessions: TaskTracker::new(),
        });
        Relay {
            state,
            writer: writer_task,
            remote_fanout,
            limits_sweeper,
        }
    }

    /// The HTTP router with all middleware.
    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    /// Serves on `listener` until `signal` resolves, then shuts down in order:
    /// stop accepting, finish in-flight requests, close live connections,
    /// commit every queued push, close storage.
    pub async fn serve(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let shutdown = self.state.shutdown.clone();
        let header_timeout = self.state.config.request_timeout;
        crate::connections::serve(listener, self.router(), header_timeout, async move {
            signal.await;
            tracing::info!("shutting down: finishing in-flight requests");
            shutdown.cancel();
        })
        .await;
        self.finish().await;
        Ok(())
    }

    /// Closes live connections, commits what is queued and closes storage.
    pub async fn finish(self) {
        let Relay {
            state,
            writer,
            remote_fanout,
            limits_sweeper,
        } = self;
        limits_sweeper.abort();
        state.shutdown.cancel();
        state.sessions.close();
        if tokio::time::timeout(LIVE_CLOSE_GRACE, state.sessions.wait())
            .await
            .is_err()
        {
            tracing::warn!("live connections did not close in time");
        }
        writer.finish().await;
        if let Some(task) = remote_fanout {
            task.abort();
            // Cancelled is the expected end; anything else is logged.
            if let Err(e) = task.await {
                if !e.is_cancelled() {
                    tracing::error!(error = %e, "the cross-instance fan-out task failed");
                }
            }
        }
        state.storage.close().await;
        tracing::info!("shut down cleanly");
    }
}

/// `GET /readyz`: the storage answers a query (503 with the reason otherwise).
async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, crate::error::ApiError> {
    state
        .storage
        .journal_stats(attune_proto::JournalId([0; 16]))
        .await
        .map(|_| "ready")
        .map_err(|e| {
            crate::error::ApiError::unavailable(
                ErrorCode::StorageUnavailable,
                format!("the database does not answer: {e}"),
            )
        })
}

/// The routes (their paths are [`attune_proto::routes`]) and middleware around the shared state.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let max_snapshot = state.config.max_snapshot_bytes;
    let timeout = state.config.request_timeout;
    // Unauthenticated endpoints also count against a stricter per-client rate.
    let auth_rate = state.limits.auth_rate_limit();
    Router::new()
        .route(
            paths::CHALLENGE,
            post(session::challenge).layer(auth_rate.clone()),
        )
        .route(
            paths::SESSION,
            post(session::session).layer(auth_rate.clone()),
        )
        .route(
            paths::RECOVERY,
            get(recovery::journal_of_kit).layer(auth_rate.clone()),
        )
        .route(paths::RESEED, post(reseed::reseed).layer(auth_rate.clone()))
        .route(
            paths::ROSTER,
            get(roster::get_roster).put(roster::put_roster),
        )
        .route(paths::KEYS, get(keys::get_keys).put(keys::put_keys))
        .route(paths::ENVELOPES, get(envelopes::pull).post(envelopes::push))
        .route(paths::LIVE, get(live::live))
        .route(paths::PAIRING_OPEN, post(pairing::open))
        .route(
            paths::PAIRING,
            axum::routing::delete(pairing::close).layer(auth_rate.clone()),
        )
        .route(
            paths::PAIRING_MESSAGES,
            // Reads are polled (every 150 ms by the client): the general rate only.
            get(pairing::read).merge(post(pairing::post).layer(auth_rate)),
        )
        // Bodies of every route above are bounded by max_body; a snapshot
        // upload (the whole sealed journal) by its own, larger limit.
        .route_layer(RequestBodyLimitLayer::new(max_body))
        .route(
            paths::SNAPSHOT,
            get(snapshots::get_snapshot)
                .put(snapshots::put_snapshot)
                .layer(RequestBodyLimitLayer::new(max_snapshot)),
        )
        .route(
            paths::COMPACT,
            post(snapshots::compact).layer(RequestBodyLimitLayer::new(max_body)),
        )
        // Every API route is above this line: the per-client rate limit covers
        // them; operations endpoints below are exempt (monitoring is never refused).
        .route_layer(state.limits.rate_limit())
        .route(paths::HEALTH, get(|| async { "ok" }))
        .route(paths::READY, get(ready))
        .route(
            paths::METRICS,
            get(|| async {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    crate::metrics::render(),
                )
            }),
        )
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::disable())
        // Innermost first: body limit and timeout, then their refusals made JSON,
        // then request ids and the one log line per request outside them all.
        .layer(RequestBodyLimitLayer::new(max_body.max(max_snapshot)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // A panic is a bug; it must cost one request a 500, not the connection.
        .layer(CatchPanicLayer::new())
        .layer(middleware::map_response(json_refusals))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The span of one request: ids and sizes, never payloads, never the query (it may hold a token).
fn request_span(request: &Request<Body>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
        journal_id = field::Empty,
        device_id = field::Empty,
        // Recorded by the body extractor once the body is read.
        request_bytes = field::Empty,
    )
}

/// The one info line per request.
fn log_response(response: &Response, latency: Duration, _span: &Span) {
    use http_body::Body as _;
    let response_bytes = response.body().size_hint().exact();
    tracing::info!(
        status = response.status().as_u16(),
        response_bytes,
        latency_us = latency.as_micros() as u64,
        "request served"
    );
}

/// Gives every refusal made by middleware (body limit, timeout, 405, …) the JSON error body, and counts it.
async fn json_refusals(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::BodyTooLarge,
            "the request body is larger than this relay accepts",
        ),
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::Timeout, "the request took too long"),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "this method is not allowed on this path",
        ),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such endpoint"),
        s if s.is_client_error() => (ErrorCode::BadRequest, "the request was refused"),
        _ => (
            ErrorCode::InternalError,
            "the relay failed to answer; try again",
        ),
    };
    // Refusals made by handlers (ApiError, JSON) are counted where they are made.
    crate::metrics::refused(code);
    (status, Json(ErrorBody::new(code, message))).into_response()
}

async fn not_found() -> Response {
    crate::metrics::refused(ErrorCode::NotFound);
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody::new(ErrorCode::NotFound, "no such endpoint")),
    )
        .into_response()
}
