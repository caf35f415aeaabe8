//! The one place where errors become HTTP: status from the protocol's `ErrorCode`, body
//! `{"error": {"code", "message"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use isomux_core::CoreError;
use isomux_protocol::{ErrorBody, ErrorCode};

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError(pub ErrorBody);

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ErrorBody::new(code, message))
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "sign in first: open an invite link (the owner link is printed when the server starts, \
             or run `isomux invite --owner`)",
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.error.code.status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        if e.code() == ErrorCode::Internal {
            tracing::error!(error = %e, "internal error");
        }
        Self(e.to_body())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.0)).into_response()
    }
}
