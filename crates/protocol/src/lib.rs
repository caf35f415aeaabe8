//! Isomux wire types: everything that crosses a process or network boundary between the office
//! and its clients (browsers, phones, the desktop webview, agents' `curl`, scripts).
//!
//! This crate knows nothing of tokio, axum, rusqlite or tauri: serde only, so the UI can use it
//! from wasm32. Domain types live in `isomux-core` and are converted to these at one place.

pub mod cards;
pub mod error;
pub mod event;
pub mod ids;
pub mod members;
pub mod model;
pub mod op;
pub mod routes;

pub use cards::*;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use event::{ClientMessage, FullState, ServerMessage};
pub use ids::*;
pub use members::*;
pub use model::*;
pub use op::Op;
pub use routes::{Access, HttpMethod, ROUTES, Route};
