//! The local web UI of Attune: pages embedded in the binary and one JSON API
//! (docs/UI_API.md) over `attune-client`, served on 127.0.0.1 only.
//!
//! ```no_run
//! # async fn run(identity: attune_crypto::DeviceIdentity) -> Result<(), attune_ui::UiError> {
//! let options = attune_ui::UiOptions::new("/home/me/.local/share/attune".into(), identity);
//! let ui = attune_ui::Ui::bind(options).await?;
//! println!("open {}", ui.opening_url());
//! ui.run(std::future::pending()).await
//! # }
//! ```
//!
//! Code map: [`guard`] keeps other users and sites out and adds the security
//! headers; `api` answers the calls, one module per page; `journal` opens
//! the journal per call; `live` syncs while the server runs; `state` holds
//! sessions, the idle lock and events; `assets` serves the embedded pages.

mod api;
mod assets;
mod error;
pub mod guard;
mod journal;
mod live;
mod pairing;
mod state;

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attune_crypto::DeviceIdentity;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

pub use error::{ApiError, UiError};
use journal::Journal;
use state::{AppState, IdleLock, Shared};

/// How `attune ui` runs.
pub struct UiOptions {
    /// The journal's directory.
    pub dir: PathBuf,
    /// This device's identity, opened once (passphrase or unlock agent).
    pub identity: DeviceIdentity,
    /// The port on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// After how long without activity the content hides.
    pub idle_lock: Duration,
    /// Whether the device key has a passphrase (asked to unlock the idle lock).
    pub passphrase_protected: bool,
    /// Sync live with the relay while the server runs.
    pub live_sync: bool,
}

impl UiOptions {
    /// Defaults: any port, a 10-minute idle lock, live sync on.
    pub fn new(dir: PathBuf, identity: DeviceIdentity) -> UiOptions {
        let passphrase_protected = attune_client::store::identity_is_protected(&dir);
        UiOptions {
            dir,
            identity,
            port: 0,
            idle_lock: Duration::from_secs(600),
            passphrase_protected,
            live_sync: true,
        }
    }
}

/// A bound, not yet serving, UI server.
pub struct Ui {
    listener: TcpListener,
    shared: AppState,
    token: String,
    live_sync: bool,
}

impl Ui {
    /// Listen on 127.0.0.1 and make the one-time opening token.
    pub async fn bind(options: UiOptions) -> Result<Ui, UiError> {
        // The journal opens now, so that a wrong identity fails before any page does.
        let journal = Journal::new(options.dir, options.identity);
        drop(journal.open()?);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|source| UiError::Bind {
                port: options.port,
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| UiError::Bind {
                port: options.port,
                source,
            })?
            .port();
        let token = hex::encode(attune_crypto::random_bytes::<32>());
        let shared = Arc::new(Shared {
            journal,
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            origins: [
                format!("http://127.0.0.1:{port}"),
                format!("http://localhost:{port}"),
            ],
            token: Mutex::new(Some(token.clone())),
            sessions: Mutex::new(HashSet::new()),
            idle_after: options.idle_lock,
            passphrase_protected: options.passphrase_protected,
            lock: Mutex::new(IdleLock {
                locked: false,
                last_activity: Instant::now(),
            }),
            live: Mutex::new(state::LiveStatus::default()),
            pairing: Mutex::new(pairing::Pairing::default()),
            jobs: Mutex::new(HashMap::new()),
            plots: Mutex::new(HashMap::new()),
            events: broadcast::channel(64).0,
        });
        Ok(Ui {
            listener,
            shared,
            token,
            live_sync: options.live_sync,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The link that opens a session, once: give it only to the browser.
    pub fn opening_url(&self) -> String {
        let port = self.address().map_or(0, |a| a.port());
        format!("http://127.0.0.1:{port}/open?token={}", self.token)
    }

    /// Serve until `stop` resolves.
    pub async fn run(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), UiError> {
        let (stop_live, live_stopped) = tokio::sync::oneshot::channel();
        if self.live_sync {
            live::start(self.shared.clone(), live_stopped);
        }
        let idle = self.shared.clone();
        let ticker = tokio::spawn(async move {
            // The lock comes on by itself even when no page asks anything.
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                idle.is_locked();
            }
        });
        let app = router(self.shared.clone());
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(stop)
            .await
            .map_err(UiError::Serve);
        ticker.abort();
        let _ = stop_live.send(());
        result
    }
}

fn router(shared: AppState) -> Router {
    use api::{crisis, data, devices, entries, insights, pairing, session, timeline};
    let api = Router::new()
        .route("/session", get(session::session))
        .route("/activity", post(session::activity))
        .route("/lock", post(session::lock))
        .route("/unlock", post(session::unlock))
        .route("/events", get(session::events))
        .route(
            "/draft",
            get(session::get_draft)
                .put(session::put_draft)
                .delete(session::delete_draft),
        )
        .route("/kinds", get(entries::kinds))
        .route("/entries", post(entries::create))
        .route("/entries/list", post(timeline::list))
        .route("/entries/search", post(timeline::search))
        .route(
            "/entries/{id}",
            get(entries::get)
                .patch(entries::edit)
                .delete(entries::delete),
        )
        .route("/entries/{id}/restore", post(entries::restore))
        .route("/insights", get(insights::insights))
        .route("/insights/plots/{file}", get(insights::plot))
        .route("/crisis", get(crisis::crisis).put(crisis::save))
        .route("/status", get(devices::status))
        .route("/device/rename", post(devices::rename))
        .route("/devices/{id}/revoke", post(devices::revoke))
        .route(
            "/pairing",
            get(pairing::get)
                .post(pairing::start)
                .delete(pairing::cancel),
        )
        .route("/pairing/confirm", post(pairing::confirm))
        .route("/export", get(data::export))
        .route("/backup", get(data::backup))
        .route("/jobs/{id}", get(data::job))
        .layer(DefaultBodyLimit::max(api::JSON_LIMIT))
        .route(
            "/import",
            post(data::import).layer(DefaultBodyLimit::max(data::IMPORT_LIMIT)),
        )
        .fallback(|| async { ApiError::not_found("there is no such call") });
    Router::new()
        .route("/", get(assets::index))
        .route("/open", get(guard::open))
        .route("/favicon.svg", get(assets::favicon))
        .route("/assets/{*path}", get(assets::asset))
        .nest("/api", api)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            guard::check,
        ))
        .with_state(shared)
}
