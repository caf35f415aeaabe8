//! The one error body every REST route and Tauri command answers with:
//! `{"error": {"code": "...", "message": "..."}}`.

use serde::{Deserialize, Serialize};

/// Stable machine-readable error codes. The HTTP status for each lives in [`ErrorCode::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No or invalid credentials (401).
    Unauthorized,
    /// Authenticated, but not allowed (403): wrong role, bad `Origin`.
    Forbidden,
    /// Unknown or malformed id, unknown route (404).
    NotFound,
    /// Body syntax or shape is wrong (400).
    InvalidBody,
    /// `cwd` is not an absolute, existing directory (400).
    InvalidCwd,
    /// An invite that is unknown, expired, revoked or already consumed (400).
    InviteInvalid,
    /// The request conflicts with current state (409): duplicate name, full room, resolved twice.
    Conflict,
    /// Body larger than the route allows (413).
    PayloadTooLarge,
    /// Too many requests (429).
    RateLimited,
    /// The backend (CLI) is not usable (400/503 depending on context).
    BackendUnavailable,
    /// Anything else (500). The message says what to do.
    Internal,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::InvalidBody | Self::InvalidCwd | Self::InviteInvalid => 400,
            Self::BackendUnavailable => 400,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::RateLimited => 429,
            Self::Internal => 500,
        }
    }
}

/// `{"code", "message"}` inside the error wrapper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// Extra machine-readable details (e.g. `claimed_by` on a lost task claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The wire error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
                details: None,
            },
        }
    }
}
