//! The `codex` backend's protocol layer for `codex app-server` (JSON-RPC over stdio): raw wire
//! types, request builders and the pure per-thread normalizer. It spawns nothing yet; the
//! process driver will feed stdout lines to [`normalize::Normalizer`] and write [`rpc`] lines.

pub mod normalize;
pub mod rpc;
pub mod types;

#[cfg(test)]
mod fixtures;
