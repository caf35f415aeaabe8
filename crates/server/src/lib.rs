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
pub mod tls;
mod ui;
mod ws;

use axum::Router;
use axum::http::HeaderValue;
use isomux_core::OfficeHandle;
use isomux_core::auth::AuthStore;
use std::future::{Future, IntoFuture};
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
        self.serve_all(vec![Bound::Plain(listener)], shutdown).await
    }

    /// Serves the same router on every listener (the TLS one and the plain loopback one for
    /// agents) until `shutdown` resolves or one of them fails; then closes WebSockets and
    /// drains all of them.
    pub async fn serve_all(
        self,
        listeners: Vec<Bound>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use axum::serve::ListenerExt;
        let stop = self.stop;
        let (quit_tx, quit_rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for bound in listeners {
            let service = self
                .router
                .clone()
                .into_make_service_with_connect_info::<SocketAddr>();
            let mut quit = quit_rx.clone();
            let grace = async move {
                let _ = quit.wait_for(|q| *q).await;
            };
            match bound {
                Bound::Plain(tcp) => {
                    tasks.spawn(
                        axum::serve(tcp, service)
                            .with_graceful_shutdown(grace)
                            .into_future(),
                    );
                }
                Bound::Tls(tcp, config) => {
                    // `tap_io` gives the listener axum's `ConnectInfo<SocketAddr>` support.
                    let listener = tls::TlsListener::new(tcp, config)?.tap_io(|_| {});
                    tasks.spawn(
                        axum::serve(listener, service)
                            .with_graceful_shutdown(grace)
                            .into_future(),
                    );
                }
            }
        }
        let quit_all = move || {
            let _ = stop.send(true);
            let _ = quit_tx.send(true);
        };
        let mut quit_all = Some(quit_all);
        let shutdown = std::pin::pin!(shutdown);
        let mut shutdown = shutdown;
        let mut result = Ok(());
        loop {
            tokio::select! {
                () = &mut shutdown, if quit_all.is_some() => {
                    if let Some(q) = quit_all.take() { q(); }
                }
                done = tasks.join_next() => match done {
                    None => break,
                    Some(Ok(Ok(()))) => {}
                    Some(Ok(Err(e))) => {
                        result = Err(e);
                        if let Some(q) = quit_all.take() { q(); }
                    }
                    Some(Err(e)) => {
                        result = Err(std::io::Error::other(e));
                        if let Some(q) = quit_all.take() { q(); }
                    }
                },
            }
        }
        result
    }
}

/// A listener for [`App::serve_all`].
#[derive(Debug)]
pub enum Bound {
    /// Plain HTTP (loopback, or non-loopback when the owner opted in).
    Plain(tokio::net::TcpListener),
    /// HTTPS with this configuration.
    Tls(tokio::net::TcpListener, Arc<rustls::ServerConfig>),
}

async fn nosniff(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}
