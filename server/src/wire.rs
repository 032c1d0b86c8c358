//! Postcard bodies: the `Wire<T>` extractor and response.

use attune_proto::{ErrorCode, WireMessage};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// A postcard-encoded body (request or response) of a wire message.
pub struct Wire<T>(pub T);

impl<S, T> FromRequest<S> for Wire<T>
where
    S: Send + Sync,
    T: WireMessage,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::BodyTooLarge,
                    "the request body is larger than this relay accepts",
                )
            } else {
                ApiError::bad_request(ErrorCode::UnreadableBody, rejection.body_text())
            }
        })?;
        tracing::Span::current().record("request_bytes", bytes.len());
        attune_proto::decode_message::<T>(&bytes)
            .map(Wire)
            .map_err(ApiError::from_proto)
    }
}

impl<T: WireMessage> IntoResponse for Wire<T> {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            attune_proto::encode_message(&self.0),
        )
            .into_response()
    }
}
