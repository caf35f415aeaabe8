//! An office with the real pinned `codex` (plus the demo backend) on 127.0.0.1:0, pointed at a
//! scripted OpenAI Responses server. Everything lives under `<repo>/target/test-codex-homes/`
//! because codex's sandbox refuses a `CODEX_HOME` under /tmp.

use crate::Client;
use crate::model_server::{OpenAiServer, Script};
use crate::process::{cli_bin, repo_root};
use isomux_agents::codex::CodexBackend;
use isomux_agents::demo::DemoBackend;
use isomux_core::backend::Backend;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The model server, the office's data dir and the dirs the CLI runs with.
pub struct CodexOffice {
    pub server: OpenAiServer,
    pub dir: tempfile::TempDir,
    pub cli_home: PathBuf,
    pub codex_home: PathBuf,
}

impl CodexOffice {
    pub fn new(script: Script) -> anyhow::Result<Self> {
        let parent = repo_root().join("target/test-codex-homes");
        std::fs::create_dir_all(&parent)?;
        // Canonical (`repo_root()` holds a `..`): paths are compared with what the CLI reports.
        let parent = parent.canonicalize()?;
        let dir = tempfile::Builder::new()
            .prefix("office-")
            .tempdir_in(parent)?;
        let cli_home = dir.path().join("home");
        let codex_home = dir.path().join("codex-home");
        for d in [&cli_home, &codex_home] {
            std::fs::create_dir_all(d)?;
        }
        let server = OpenAiServer::start(script);
        std::fs::write(codex_home.join("config.toml"), server.codex_config_toml())?;
        Ok(Self {
            server,
            dir,
            cli_home,
            codex_home,
        })
    }

    /// A fresh directory for an agent to work in.
    pub fn work(&self, name: &str) -> anyhow::Result<PathBuf> {
        let work = self.dir.path().join(name);
        std::fs::create_dir_all(&work)?;
        Ok(work)
    }

    /// Starts (or restarts) the office on this data dir.
    pub async fn start(&self) -> anyhow::Result<isomux::app::Running> {
        let codex: Arc<dyn Backend> = Arc::new(CodexBackend::with_bin(cli_bin("codex")?));
        isomux::app::start(isomux::app::ServeOptions {
            listen: "127.0.0.1:0".parse()?,
            data_dir: Some(self.dir.path().join("office")),
            ui: Some(isomux_server::UiSource::Placeholder),
            backends: Some(vec![codex, Arc::new(DemoBackend::default())]),
            ..Default::default()
        })
        .await
    }

    /// Signs in as the owner of a fresh office and points codex at the model server.
    pub async fn owner(&self, running: &isomux::app::Running) -> anyhow::Result<Client> {
        let link = running.owner_link.clone().expect("owner link");
        let c = Client::accept(&running.url, &link, "Nil").await?;
        let mut env = serde_json::Map::new();
        env.insert("HOME".into(), json!(self.cli_home.to_string_lossy()));
        env.insert(
            "CODEX_HOME".into(),
            json!(self.codex_home.to_string_lossy()),
        );
        env.insert(
            OpenAiServer::API_KEY_ENV.into(),
            Value::String("sk-mock".into()),
        );
        c.request("PUT", "/api/office/settings", Some(json!({"env": env})))
            .await?
            .ok()?;
        Ok(c)
    }

    /// Hires a codex agent working in `work`; returns its id.
    pub async fn hire(&self, c: &Client, name: &str, work: &Path) -> anyhow::Result<String> {
        c.hire(name, "codex", work).await
    }

    /// Turns a failed wait into an error carrying the agent's log and the model server's.
    pub async fn explain<T>(
        &self,
        c: &Client,
        id: &str,
        r: anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                let logs = match c.logs(id).await {
                    Ok(logs) => format!("{logs:#?}"),
                    Err(e) => format!("(could not read it: {e:#})"),
                };
                anyhow::bail!(
                    "{e:#}\nlog: {logs}\nmodel server:\n{}",
                    self.server.summary()
                )
            }
        }
    }
}
