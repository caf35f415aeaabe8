//! The office core: domain types, pure state machines (queue, turn, attention), the Office
//! actor that owns all state, persistence in SQLite, and auth tokens.
//!
//! Architecture invariant: this crate never imports axum, tauri, leptos or `isomux-agents`.
//! Backends are injected through the [`backend::Backend`] trait; transports talk to the
//! [`office::OfficeHandle`] and receive [`office::OfficeEvent`]s.

pub mod affordances;
pub mod attention;
pub mod auth;
pub mod backend;
pub mod datadir;
pub mod discovery;
pub mod domain;
pub mod error;
pub mod files;
pub mod ids;
pub mod look;
pub mod office;
pub mod permission;
pub mod prompt;
pub mod queue;
pub mod redact;
pub mod safety;
pub mod skills;
pub mod spawn_env;
pub mod store;
pub mod tasks;
pub mod time;
pub mod to_proto;
pub mod turn;
pub mod visibility;

pub use error::CoreError;
pub use office::{Caller, OfficeConfig, OfficeEvent, OfficeHandle};
