//! Agent backends behind `isomux_core::backend::Backend`: the built-in `demo` backend today;
//! the `claude` (stream-json + control protocol) and `codex` (app-server JSON-RPC) drivers
//! join it with one parser per backend and one spawn helper.

pub mod claude;
pub mod codex;
pub mod demo;
pub mod spawn;

use isomux_core::backend::Backend;
use std::sync::Arc;

/// Every backend this build offers, for the binaries to inject into the office.
pub fn all() -> Vec<Arc<dyn Backend>> {
    vec![Arc::new(demo::DemoBackend::default())]
}
