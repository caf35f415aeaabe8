//! Agent backends behind `isomux_core::backend::Backend`: `claude` (stream-json + control
//! protocol), `codex` (app-server JSON-RPC) and the built-in `demo`, with one parser per backend,
//! one spawn helper (`spawn`) and one driver skeleton for the CLIs (`driver`).

pub mod claude;
pub mod codex;
pub mod demo;
pub mod driver;
pub mod spawn;
#[cfg(test)]
mod test_support;

use isomux_core::backend::Backend;
use std::sync::Arc;

/// Every backend this build offers, for the binaries to inject into the office.
pub fn all() -> Vec<Arc<dyn Backend>> {
    vec![
        Arc::new(claude::ClaudeBackend::new()),
        Arc::new(codex::CodexBackend::new()),
        Arc::new(demo::DemoBackend::default()),
    ]
}
