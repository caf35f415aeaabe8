//! The HTTP face of the office: REST under `/api` built from the protocol's route table, the
//! `/ws` push channel, invite/accept/logout, and the static UI. Knows JSON and HTTP; knows
//! nothing about backends (the binaries inject a ready `OfficeHandle`).
//!
//! Architecture invariant: every JSON `/api` route comes from `isomux_protocol::ROUTES` through
//! one generic handler, so auth, Origin, role and body checks are the same for all of them. The
//! only exceptions are the multipart upload and the file download (`files.rs`), which apply the
//! same checks in the same order.

mod api;
mod auth;
mod error;
mod files;
mod limits;
mod ui;
mod ws;

use axum::Router;
use axum::http::HeaderValue;
use isomux_core::OfficeHandle;
use isomux_core::auth::AuthStore;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

pub use error::ApiError;
pub use limits::RateLimit;
pub use ui::UiSource;

/// Largest accepted JSON body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Server settings the binaries decide.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The office's own origins (`scheme://host:port`), the only ones allowed to change state
    /// with a cookie or open a WebSocket. Never derived from `Host` or `X-Forwarded-*`.
    pub origins: Vec<String>,
    /// Where the UI comes from.
    pub ui: UiSource,
    /// `Secure` + `__Host-` cookie (HTTPS).
    pub secure_cookies: bool,
    /// The office's data dir; uploads go to `<data_dir>/files/<agent_id>/`. `None`: no file
    /// routes (they answer 404).
    pub data_dir: Option<std::path::PathBuf>,
    /// Failed `/auth/accept` attempts allowed per peer IP (then 429).
    pub accept_limit: RateLimit,
}

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub office: OfficeHandle,
    pub auth: Arc<AuthStore>,
    pub config: Arc<ServerConfig>,
    shutdown: watch::Receiver<bool>,
    accept_limiter: Arc<limits::Limiter>,
}

/// The origins of a listener bound at `addr` (plus `localhost` for loopback).
pub fn origins_for(addr: SocketAddr, https: bool) -> Vec<String> {
    let scheme = if https { "https" } else { "http" };
    let mut out = vec![format!("{scheme}://{addr}")];
    if addr.ip().is_loopback() {
        out.push(format!("{scheme}://localhost:{}", addr.port()));
    }
    out
}

/// A running router plus the switch that closes its long-lived connections.
#[derive(Debug)]
pub struct App {
    pub router: Router,
    stop: watch::Sender<bool>,
}

impl App {
    /// Builds the router.
    pub fn new(office: OfficeHandle, auth: Arc<AuthStore>, config: ServerConfig) -> Self {
        let (stop, shutdown) = watch::channel(false);
        let state = AppState {
            office,
            auth,
            accept_limiter: Arc::new(limits::Limiter::new(config.accept_limit)),
            config: Arc::new(config),
            shutdown,
        };
        let router = Router::new()
            .merge(files::router())
            .merge(api::router())
            .merge(auth::router())
            .route("/ws", axum::routing::get(ws::upgrade))
            .route(
                "/readyz",
                axum::routing::get(|| async { axum::Json(serde_json::json!({"ok": true})) }),
            )
            .fallback(ui::serve)
            .layer(axum::middleware::map_response(nosniff))
            .with_state(state);
        Self { router, stop }
    }

    /// Serves until `shutdown` resolves; then closes WebSockets and drains.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = self.stop;
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await
    }
}

async fn nosniff(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}
