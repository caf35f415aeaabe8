//! The `codex` backend for `codex app-server` (JSON-RPC over stdio): raw wire types, request
//! builders, the pure per-thread normalizer and the process driver ([`CodexBackend`]) that feeds
//! stdout lines to [`normalize::Normalizer`] and writes [`rpc`] lines.

pub mod backend;
pub mod normalize;
pub mod rpc;
pub mod types;

pub use backend::CodexBackend;

#[cfg(test)]
mod fixtures;
