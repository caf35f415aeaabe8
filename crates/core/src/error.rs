//! The core's error type. Each variant maps to one wire error code in [`CoreError::code`];
//! the HTTP status mapping itself lives in the protocol's `ErrorCode::status`.

use isomux_protocol::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    InvalidBody(String),
    #[error("{0}")]
    InvalidCwd(String),
    #[error("{message}")]
    Conflict {
        message: String,
        details: Option<serde_json::Value>,
    },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    InviteInvalid(String),
    #[error("{0}")]
    BackendUnavailable(String),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("the office is shutting down")]
    ShuttingDown,
}

impl CoreError {
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            details: None,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// The wire error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::InvalidBody(_) => ErrorCode::InvalidBody,
            Self::InvalidCwd(_) => ErrorCode::InvalidCwd,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::InviteInvalid(_) => ErrorCode::InviteInvalid,
            Self::BackendUnavailable(_) => ErrorCode::BackendUnavailable,
            Self::Storage(_) | Self::Io(_) | Self::ShuttingDown => ErrorCode::Internal,
        }
    }

    /// The wire error body.
    pub fn to_body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.to_string());
        if let Self::Conflict {
            details: Some(d), ..
        } = self
        {
            body.error.details = Some(d.clone());
        }
        body
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
