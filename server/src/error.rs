//! Refusals: a status, a stable snake_case code and a sentence, sent as JSON `{error, message}`.

use attune_proto::{ErrorBody, ErrorCode, ProtoError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::storage::{PushRejection, StorageError};

/// An HTTP (or WebSocket) refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable snake_case code.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
}

impl ApiError {
    /// A refusal with any status.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request itself is wrong.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: authentication is missing or failed.
    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 409: conflicts with what is stored.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 503: the relay cannot take this now; try again later.
    pub fn unavailable(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    /// The body sent to the client (JSON over HTTP, postcard over WebSocket).
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone())
    }

    /// A refusal of bytes that do not decode as the expected message.
    pub fn from_proto(e: ProtoError) -> Self {
        match e {
            ProtoError::UnsupportedVersion(_) => {
                Self::bad_request(ErrorCode::UnsupportedVersion, e.to_string())
            }
            _ => Self::bad_request(ErrorCode::Malformed, e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::metrics::refused(self.code);
        (self.status, Json(self.body())).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::UnknownJournal(j) => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownJournal,
                format!("journal {j} does not exist"),
            ),
            StorageError::JournalExists(j) => Self::conflict(
                ErrorCode::JournalExists,
                format!("journal {j} already exists; authenticate as a member instead"),
            ),
            StorageError::RosterConflict { version, .. } => Self::conflict(
                ErrorCode::RosterConflict,
                format!(
                    "roster version {version} is not the next version; fetch the roster and retry"
                ),
            ),
            StorageError::QuotaExceeded {
                journal,
                quota_bytes,
            } => Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::QuotaExceeded,
                format!(
                    "journal {journal} would pass its quota of {quota_bytes} bytes \
                     (envelopes, roster versions and keys count); nothing was stored"
                ),
            ),
            StorageError::KeyExists { device, epoch } => Self::conflict(
                ErrorCode::KeyExists,
                format!(
                    "a different key of epoch {epoch} is already stored for device {device}; \
                     keys are never replaced, and nothing of this request was stored"
                ),
            ),
            other => {
                tracing::error!(error = %error_chain(&other), "storage failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::StorageError,
                    "the relay could not use its storage; nothing was changed, try again later",
                )
            }
        }
    }
}

impl From<PushRejection> for ApiError {
    fn from(r: PushRejection) -> Self {
        let message = r.to_string();
        match r {
            PushRejection::UnknownJournal => {
                Self::new(StatusCode::NOT_FOUND, ErrorCode::UnknownJournal, message)
            }
            PushRejection::NotInRoster => Self::forbidden(ErrorCode::NotInRoster, message),
            PushRejection::OutOfOrder { .. } => Self::conflict(ErrorCode::OutOfOrder, message),
            PushRejection::SeqConflict { .. } => Self::conflict(ErrorCode::SeqConflict, message),
            PushRejection::ChainMismatch { .. } => {
                Self::conflict(ErrorCode::ChainMismatch, message)
            }
            PushRejection::QuotaExceeded { .. } => Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::QuotaExceeded,
                message,
            ),
        }
    }
}

/// An error with its causes, for logs.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
