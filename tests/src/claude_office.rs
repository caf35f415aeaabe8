//! An office with the real pinned `claude` (plus the demo backend) on 127.0.0.1:0, and the
//! office environment layer that points every agent's CLI at a scripted Anthropic server;
//! [`ClaudeOffice`] bundles both with the model server and the throwaway dirs.

use crate::Client;
use crate::model_server::{AnthropicServer, Script};
use crate::process::cli_bin;
use isomux_agents::claude::ClaudeBackend;
use isomux_agents::demo::DemoBackend;
use isomux_core::backend::Backend;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Starts an office in `home` offering the pinned claude CLI and the demo backend.
pub async fn start_office(home: &Path) -> anyhow::Result<isomux::app::Running> {
    let claude: Arc<dyn Backend> = Arc::new(ClaudeBackend::with_bin(cli_bin("claude")?));
    isomux::app::start(isomux::app::ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        data_dir: Some(home.to_path_buf()),
        ui: Some(isomux_server::UiSource::Placeholder),
        backends: Some(vec![claude, Arc::new(DemoBackend::default())]),
        ..Default::default()
    })
    .await
}

/// Points every agent's CLI at `server` through the office environment layer (with a
/// throwaway CLI home), and sets an office prompt carrying the marker `OR-5512`.
pub async fn office_env(
    c: &Client,
    server: &AnthropicServer,
    cli_home: &Path,
) -> anyhow::Result<()> {
    let mut env = serde_json::Map::new();
    for (k, v) in server.claude_env() {
        env.insert(k, Value::String(v));
    }
    env.insert("HOME".into(), json!(cli_home.to_string_lossy()));
    env.insert("DISABLE_AUTOUPDATER".into(), json!("1"));
    c.request(
        "PUT",
        "/api/office/settings",
        Some(json!({"prompt": "Office rule: marker OR-5512.", "env": env})),
    )
    .await?
    .ok()?;
    Ok(())
}

/// A claude office in a temporary directory: the model server, the office's data dir
/// (`home/`) and the CLI's throwaway HOME (`cli-home/`).
pub struct ClaudeOffice {
    pub server: AnthropicServer,
    pub dir: tempfile::TempDir,
    pub cli_home: PathBuf,
}

impl ClaudeOffice {
    pub fn new(script: Script) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let cli_home = dir.path().join("cli-home");
        std::fs::create_dir_all(&cli_home)?;
        Ok(Self {
            server: AnthropicServer::start(script),
            dir,
            cli_home,
        })
    }

    /// The office's data dir.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A fresh directory for an agent to work in.
    pub fn work(&self, name: &str) -> anyhow::Result<PathBuf> {
        let work = self.dir.path().join(name);
        std::fs::create_dir_all(&work)?;
        Ok(work)
    }

    /// Starts (or restarts) the office on this data dir.
    pub async fn start(&self) -> anyhow::Result<isomux::app::Running> {
        start_office(&self.home()).await
    }

    /// Signs in as the owner of a fresh office and points claude at the model server.
    pub async fn owner(&self, running: &isomux::app::Running) -> anyhow::Result<Client> {
        let link = running.owner_link.clone().expect("owner link");
        let c = Client::accept(&running.url, &link, "Nil").await?;
        office_env(&c, &self.server, &self.cli_home).await?;
        Ok(c)
    }
}
