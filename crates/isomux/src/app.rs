//! Starting an office: data dir (created 0700, locked), SQLite, the Office actor with every
//! backend, the HTTP listener, and the owner link while nobody owns the office yet.

use anyhow::{Context, Result, bail};
use isomux_core::auth::AuthStore;
use isomux_core::backend::Backend;
use isomux_core::datadir;
use isomux_core::store::Store;
use isomux_core::{OfficeConfig, OfficeHandle};
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
    /// HTTPS on the main listener (then agents get a separate plain loopback listener).
    pub tls: Option<TlsMode>,
    /// Variables added to every agent at spawn (the desktop's keyring keys; `isomux serve` has
    /// none: agents inherit the process environment).
    pub spawn_env: isomux_core::spawn_env::SpawnEnv,
}

/// Where the main listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// `--tls-cert F --tls-key F`: PEM files the owner provides.
    Files { cert: PathBuf, key: PathBuf },
    /// `--tls self-signed`: generated on the first start into `<data_dir>/tls/`, then reused.
    SelfSigned,
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
            tls: None,
            spawn_env: Default::default(),
        }
    }
}

/// A running office.
#[derive(Debug)]
pub struct Running {
    /// The URL the listener answers on (real port; `https://` with TLS).
    pub url: String,
    /// The plain-HTTP loopback URL agents use (`ISOMUX_URL`); `url` itself when that is
    /// plain loopback already.
    pub agent_url: String,
    /// The certificate the main listener serves, when it serves TLS.
    pub tls_cert: Option<PathBuf>,
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

/// Failed sign-ins allowed per address per minute (`ISOMUX_SIGNIN_FAILURES_PER_MINUTE`,
/// default 10).
fn accept_limit() -> isomux_server::RateLimit {
    match std::env::var("ISOMUX_SIGNIN_FAILURES_PER_MINUTE")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        Some(n) if n > 0 => isomux_server::RateLimit {
            burst: n,
            refill: std::time::Duration::from_secs(60) / n,
        },
        _ => isomux_server::RateLimit::default(),
    }
}

/// The names a self-signed certificate covers: loopback, the listen address when it is a
/// specific one, and the public URL's host.
fn self_signed_names(opts: &ServeOptions) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let ip = opts.listen.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        names.push(ip.to_string());
    }
    if let Some(host) = opts.public_url.as_deref().and_then(url_host)
        && !names.contains(&host)
    {
        names.push(host);
    }
    names
}

/// The host of `scheme://host[:port][/…]` (IPv6 brackets removed).
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// Mints an owner invite URL (revoking earlier unclaimed ones).
pub fn mint_owner_link(auth: &AuthStore, public_url: &str) -> Result<String> {
    let token = auth.mint_owner_link()?;
    Ok(format!("{}/i/{token}", public_url.trim_end_matches('/')))
}

/// Starts an office and its HTTP server on the current runtime.
pub async fn start(opts: ServeOptions) -> Result<Running> {
    if !opts.listen.ip().is_loopback() && !opts.allow_plain_http && opts.tls.is_none() {
        bail!(
            "refusing to serve plain HTTP on the non-loopback address {}: use TLS \
             (--tls-cert F --tls-key F, or --tls self-signed), or pass --allow-plain-http",
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
    let (tls, tls_cert) = match &opts.tls {
        None => (None, None),
        Some(TlsMode::Files { cert, key }) => (
            Some(isomux_server::tls::server_config(cert, key)?),
            Some(cert.clone()),
        ),
        Some(TlsMode::SelfSigned) => {
            let (cert, key) = isomux_server::tls::self_signed(&dir, &self_signed_names(&opts))?;
            (
                Some(isomux_server::tls::server_config(&cert, &key)?),
                Some(cert),
            )
        }
    };
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding {}", opts.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("{}://{addr}", if tls.is_some() { "https" } else { "http" });
    // Agents always reach the office over plain HTTP on loopback (design §10): a second
    // listener when the main one is TLS or not on loopback.
    let agent_listener = if tls.is_some() || !addr.ip().is_loopback() {
        Some(
            tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                .await
                .context("binding the loopback listener for agents")?,
        )
    } else {
        None
    };
    let agent_url = match &agent_listener {
        Some(l) => format!("http://{}", l.local_addr()?),
        None => url.clone(),
    };
    let public_url = opts
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| url.clone());
    store.meta_set(PUBLIC_URL_KEY, &public_url)?;
    let mut origins = isomux_server::origins_for(addr, tls.is_some());
    if let Some(l) = &agent_listener {
        origins.extend(isomux_server::origins_for(l.local_addr()?, false));
    }
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
            office_url: agent_url.clone(),
            max_live_sessions: opts.max_live_sessions.unwrap_or_else(|| {
                std::env::var("ISOMUX_MAX_LIVE_CLIS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(DEFAULT_MAX_LIVE_SESSIONS)
            }),
            auth: Some(auth.clone()),
            public_url: Some(public_url.clone()),
            spawn_env: opts.spawn_env.clone(),
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
            secure_cookies: tls.is_some(),
            data_dir: Some(dir.clone()),
            accept_limit: accept_limit(),
        },
    );
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let mut listeners = vec![match tls {
        Some(config) => isomux_server::Bound::Tls(listener, config),
        None => isomux_server::Bound::Plain(listener),
    }];
    listeners.extend(agent_listener.map(isomux_server::Bound::Plain));
    let task = tokio::spawn(app.serve_all(listeners, async move {
        let _ = stop_rx.await;
    }));
    Ok(Running {
        url,
        agent_url,
        tls_cert,
        public_url,
        owner_link,
        data_dir: dir,
        office,
        stop: Some(stop_tx),
        task,
        _lock: lock,
    })
}
