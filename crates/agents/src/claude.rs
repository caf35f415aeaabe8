//! The `claude` backend's protocol layer for Claude Code 2.1.197 in stream-json mode: raw
//! stdout wire types (`types`), stdin line builders (`stdin`) and the pure normalization into
//! [`NormalizedEvent`](isomux_core::backend::NormalizedEvent)s (`normalize`), and the
//! [`ClaudeBackend`] that spawns the CLI and drives a session with them (`backend`).

pub mod backend;
pub mod normalize;
pub mod stdin;
pub mod types;

pub use backend::ClaudeBackend;
pub use normalize::{ControlKind, ControlRequestIn, Normalizer, Output};

#[cfg(test)]
mod test_fixtures;
