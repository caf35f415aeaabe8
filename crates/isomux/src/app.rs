//! Starting an office: data dir (created 0700, locked), SQLite, the Office actor with every
//! backend, the HTTP listener, and the owner link while nobody owns the office yet.

use anyhow::{Context, Result, bail};
use isomux_core::auth::AuthStore;
use isomux_core::backend::Backend;
use isomux_core::datadir;
use isomux_core::store::Store;
use isomux_core::{OfficeConfig, OfficeHandle};
use isomux_protocol::Role;
use isomux_server::{App, ServerConfig, UiSource};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Live CLI sessions kept at once unless configured (design §12: 200–700 MB each).
pub const DEFAULT_MAX_LIVE_SESSIONS: usize = 8;

/// Meta key where the server records the URL that invite links use.
pub const PUBLIC_URL_KEY: &str = "server.public_url";

/// `isomux serve` options.
#[derive(Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub data_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    pub allow_plain_http: bool,
    pub ui: Option<UiSource>,
    /// The backends to offer (default: every backend of this build, `isomux_agents::all()`).
    pub backends: Option<Vec<Arc<dyn Backend>>>,
    /// Cap on live CLI sessions (default `$ISOMUX_MAX_LIVE_CLIS`, else 8; 0: no cap).
    pub max_live_sessions: Option<usize>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:4000".parse().expect("static"),
            data_dir: None,
            public_url: None,
            allow_plain_http: false,
            ui: None,
            backends: None,
            max_live_sessions: None,
        }
    }
}

/// A running office.
#[derive(Debug)]
pub struct Running {
    /// The URL the listener answers on (real port).
    pub url: String,
    /// The public URL used in links.
    pub public_url: String,
    /// A fresh owner link when nobody owns the office yet.
    pub owner_link: Option<String>,
    pub data_dir: PathBuf,
    pub office: OfficeHandle,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _lock: datadir::DirLock,
}

impl Running {
    /// Stops serving, closes backend sessions and waits for the server to drain.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.office.shutdown().await;
        (&mut self.task).await??;
        Ok(())
    }

    /// Waits until the server ends (after `stop` or a fatal error).
    pub async fn wait(&mut self) -> Result<()> {
        (&mut self.task).await??;
        Ok(())
    }

    /// A handle that stops the server when fired.
    pub fn take_stop(&mut self) -> Option<oneshot::Sender<()>> {
        self.stop.take()
    }
}

/// Mints an owner invite URL (revoking earlier unclaimed ones).
pub fn mint_owner_link(auth: &AuthStore, public_url: &str) -> Result<String> {
    auth.revoke_unclaimed_owner_invites()?;
    let (token, _) = auth.mint_invite(Role::Owner, None)?;
    Ok(format!("{}/i/{token}", public_url.trim_end_matches('/')))
}

/// Starts an office and its HTTP server on the current runtime.
pub async fn start(opts: ServeOptions) -> Result<Running> {
    if !opts.listen.ip().is_loopback() && !opts.allow_plain_http {
        bail!(
            "refusing to serve plain HTTP on the non-loopback address {}: pass --allow-plain-http \
             (TLS support arrives with the security work)",
            opts.listen
        );
    }
    let dir = datadir::resolve(opts.data_dir.clone());
    let dir = datadir::ensure(&dir)
        .with_context(|| format!("creating the data dir {}", dir.display()))?;
    let lock = datadir::lock(&dir)?;
    // Holding the lock, no live server owns the pid registry: kill the agent CLIs (and their
    // subprocesses) an earlier, killed server left behind, before any session starts.
    let reaped = isomux_agents::spawn::reap(&dir);
    if !reaped.is_empty() {
        tracing::warn!(
            "killed {} process group(s) left by an earlier server: {reaped:?}",
            reaped.len()
        );
    }
    let db = datadir::db_path(&dir);
    let store = Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let auth = Arc::new(AuthStore::open(&db)?);
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding {}", opts.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let public_url = opts
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| url.clone());
    store.meta_set(PUBLIC_URL_KEY, &public_url)?;
    let mut origins = isomux_server::origins_for(addr, false);
    if !origins.contains(&public_url) {
        origins.push(public_url.clone());
    }
    let demo_cwd = std::env::home_dir()
        .filter(|h| h.is_dir())
        .unwrap_or_else(|| dir.clone())
        .to_string_lossy()
        .into_owned();
    let office = OfficeHandle::start(
        OfficeConfig {
            data_dir: dir.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
            seed_demo: true,
            demo_cwd,
            office_url: url.clone(),
            max_live_sessions: opts.max_live_sessions.unwrap_or_else(|| {
                std::env::var("ISOMUX_MAX_LIVE_CLIS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(DEFAULT_MAX_LIVE_SESSIONS)
            }),
            auth: Some(auth.clone()),
            public_url: Some(public_url.clone()),
        },
        store,
        opts.backends.clone().unwrap_or_else(isomux_agents::all),
    )?;
    let owner_link = if auth.owner_exists()? {
        None
    } else {
        Some(mint_owner_link(&auth, &public_url)?)
    };
    let app = App::new(
        office.clone(),
        auth,
        ServerConfig {
            origins,
            ui: opts.ui.clone().unwrap_or_else(UiSource::detect),
            secure_cookies: false,
            data_dir: Some(dir.clone()),
            accept_limit: isomux_server::RateLimit::default(),
        },
    );
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.serve(listener, async move {
        let _ = stop_rx.await;
    }));
    Ok(Running {
        url,
        public_url,
        owner_link,
        data_dir: dir,
        office,
        stop: Some(stop_tx),
        task,
        _lock: lock,
    })
}
