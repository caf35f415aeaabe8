//! Errors as the webview sees them: the same `{"error": {"code", "message"}}` body REST answers,
//! so the UI's transport has one error path for IPC and HTTP.

use isomux_core::CoreError;
use isomux_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;

/// The wire body as JSON (what `invoke` rejects with).
pub fn body(body: &ErrorBody) -> Value {
    serde_json::to_value(body).unwrap_or_else(|e| {
        serde_json::json!({"error": {"code": "internal", "message": format!("could not encode an error: {e}")}})
    })
}

/// A core error, mapped exactly as the REST handler maps it.
pub fn core(e: &CoreError) -> Value {
    body(&e.to_body())
}

/// A malformed op: `invalid_body`, as REST answers a malformed request.
pub fn invalid_body(message: impl Into<String>) -> Value {
    body(&ErrorBody::new(ErrorCode::InvalidBody, message))
}

/// Anything else that went wrong on this side of the bridge.
pub fn internal(message: impl Into<String>) -> Value {
    body(&ErrorBody::new(ErrorCode::Internal, message))
}
