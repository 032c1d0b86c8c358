//! Refusals and failures as `{error, message}` with a status code (docs/UI_API.md).

use attune_client::portable::PortableError;
use attune_client::sync::SyncError;
use attune_client::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Why the UI server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// The address could not be bound.
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0: any).
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("the local server stopped: {0}")]
    Serve(std::io::Error),
    /// The journal could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One refusal or failure of an API call.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code for programs.
    pub code: &'static str,
    /// Words for the person.
    pub message: String,
}

impl ApiError {
    /// A refusal with a status, a code and words.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: a value is missing or has the wrong form.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.code, "message": self.message }));
        (self.status, body).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Busy { .. } => ApiError::new(StatusCode::CONFLICT, "busy", e.to_string()),
            StoreError::NoSuchEntry(_) | StoreError::AmbiguousId { .. } => {
                ApiError::not_found(e.to_string())
            }
            StoreError::Core(ref core) if is_bad_value(core) => {
                ApiError::bad_request(e.to_string())
            }
            _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "journal", e.to_string()),
        }
    }
}

fn is_bad_value(e: &attune_core::CoreError) -> bool {
    use attune_core::CoreError as C;
    matches!(
        e,
        C::InvalidValue { .. }
            | C::UnknownField { .. }
            | C::UnknownVersion
            | C::NewerKind { .. }
            | C::NewerField { .. }
            | C::SpliceOutOfRange { .. }
    )
}

impl From<attune_core::CoreError> for ApiError {
    fn from(e: attune_core::CoreError) -> ApiError {
        ApiError::from(StoreError::Core(e))
    }
}

impl From<PortableError> for ApiError {
    fn from(e: PortableError) -> ApiError {
        match e {
            PortableError::Store(inner) => ApiError::from(inner),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> ApiError {
        match e {
            SyncError::Store(inner) => ApiError::from(inner),
            other => ApiError::new(StatusCode::BAD_GATEWAY, "sync", other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "journal",
            format!("the journal task stopped: {e}"),
        )
    }
}
