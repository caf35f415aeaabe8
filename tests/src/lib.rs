//! Shared helpers for the end-to-end suites in `tests/tests/`: start an office (in-process on
//! port 0, or the real `isomux` binary), sign in as the owner, call REST with the cookie and
//! the office's Origin, and read WebSocket events with generous timeouts.

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

pub mod backend_session;
pub mod browser;
pub mod claude_office;
pub mod codex_office;
pub mod db_dump;
pub mod model_server;
pub mod netns;
pub mod process;
pub mod replay;

/// How long tests wait for something that should happen (never a performance assertion).
pub const WAIT: Duration = Duration::from_secs(10);

/// An office started in this process on 127.0.0.1:0 with a temporary data dir.
pub struct TestOffice {
    pub running: isomux::app::Running,
    pub dir: tempfile::TempDir,
}

impl TestOffice {
    pub async fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let running = Self::start_in(dir.path().join("home")).await?;
        Ok(Self { running, dir })
    }

    pub async fn start_in(data_dir: PathBuf) -> Result<isomux::app::Running> {
        isomux::app::start(isomux::app::ServeOptions {
            listen: "127.0.0.1:0".parse()?,
            data_dir: Some(data_dir),
            ui: Some(isomux_server::UiSource::Placeholder),
            ..Default::default()
        })
        .await
    }

    pub fn url(&self) -> &str {
        &self.running.url
    }

    /// Signs in with the owner link printed at start.
    pub async fn owner(&self) -> Result<Client> {
        let link = self
            .running
            .owner_link
            .clone()
            .context("a fresh office has an owner link")?;
        Client::accept(&self.running.url, &link, "Nil").await
    }
}

/// An HTTP client holding a session cookie.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
    pub origin: Option<String>,
}

/// A response: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// Asserts a 2xx and returns the body.
    pub fn ok(self) -> Result<Value> {
        if !(200..300).contains(&self.status) {
            bail!("expected success, got {}: {}", self.status, self.body);
        }
        Ok(self.body)
    }

    /// The wire error code.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Client {
    /// A client with no credentials.
    pub fn anonymous(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            cookie: None,
            origin: Some(base.trim_end_matches('/').to_owned()),
        }
    }

    /// Accepts an invite link and keeps the cookie it sets.
    pub async fn accept(base: &str, link: &str, name: &str) -> Result<Self> {
        let token = link.rsplit('/').next().context("link has a token")?;
        let mut c = Self::anonymous(base);
        let res = c
            .http
            .post(format!("{}/auth/accept", c.base))
            .json(&serde_json::json!({"token": token, "name": name}))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("accept failed: {} {}", res.status(), res.text().await?);
        }
        let set = res
            .headers()
            .get("set-cookie")
            .context("accept sets a cookie")?
            .to_str()?
            .to_owned();
        c.cookie = Some(set.split(';').next().unwrap_or_default().to_owned());
        Ok(c)
    }

    pub async fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Reply> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req, None).await
    }

    /// Sends `req` with this client's cookie and Origin (`origin`, if given, instead of its
    /// own) and reads the reply.
    pub async fn send(
        &self,
        mut req: reqwest::RequestBuilder,
        origin: Option<&str>,
    ) -> Result<Reply> {
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        if let Some(o) = origin.or(self.origin.as_deref()) {
            req = req.header("origin", o);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await?;
        Ok(Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Reply> {
        self.request("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Reply> {
        self.request("POST", path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Result<Reply> {
        self.request("PATCH", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<Reply> {
        self.request("DELETE", path, None).await
    }

    /// The id of the agent named `name`.
    pub async fn agent_id(&self, name: &str) -> Result<String> {
        let agents = self.get("/api/agents").await?.ok()?;
        agents["agents"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["name"] == name))
            .and_then(|a| a["id"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no agent named {name}"))
    }

    /// Hires agent `name` on `backend` working in `cwd`; returns its id.
    pub async fn hire(&self, name: &str, backend: &str, cwd: &std::path::Path) -> Result<String> {
        self.hire_with(
            serde_json::json!({"name": name, "backend": backend, "cwd": cwd.to_string_lossy()}),
        )
        .await
    }

    /// Hires an agent described by `body` (`POST /api/agents`); returns its id.
    pub async fn hire_with(&self, body: Value) -> Result<String> {
        let a = self.post("/api/agents", body).await?.ok()?;
        a["agent"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no agent id in {a}"))
    }

    /// Sends `text` to `agent` (`POST /api/agents/{id}/messages`); returns the answer.
    pub async fn say(&self, agent: &str, text: &str) -> Result<Value> {
        self.post(
            &format!("/api/agents/{agent}/messages"),
            serde_json::json!({ "text": text }),
        )
        .await?
        .ok()
    }

    /// Answers approval request `approval` of `agent`: allow, or decline (with a reason).
    pub async fn answer(&self, agent: &str, approval: &str, body: Value) -> Result<Value> {
        self.post(&format!("/api/agents/{agent}/approvals/{approval}"), body)
            .await?
            .ok()
    }

    /// The backend of `kind` (`claude`, `codex`, `demo`) as `/api/state` offers it.
    pub async fn backend(&self, kind: &str) -> Result<Value> {
        let state = self.get("/api/state").await?.ok()?;
        state["backends"]
            .as_array()
            .and_then(|b| b.iter().find(|b| b["kind"] == kind).cloned())
            .ok_or_else(|| anyhow!("the {kind} backend is not offered"))
    }

    /// The agent's record in `/api/state`.
    pub async fn agent_state(&self, agent: &str) -> Result<Value> {
        let state = self.get("/api/state").await?.ok()?;
        state["agents"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["id"] == agent).cloned())
            .ok_or_else(|| anyhow!("no agent {agent} in the state"))
    }

    /// All entries of an agent's current conversation.
    pub async fn logs(&self, agent: &str) -> Result<Vec<Value>> {
        let page = self
            .get(&format!("/api/agents/{agent}/logs?limit=500"))
            .await?
            .ok()?;
        Ok(page["entries"].as_array().cloned().unwrap_or_default())
    }

    /// Opens the WebSocket with this client's cookie and Origin.
    pub async fn ws(&self) -> Result<Ws> {
        let url = self.base.replacen("http", "ws", 1) + "/ws";
        let mut req = url.into_client_request()?;
        if let Some(c) = &self.cookie {
            req.headers_mut().insert("cookie", c.parse()?);
        }
        if let Some(o) = &self.origin {
            req.headers_mut().insert("origin", o.parse()?);
        }
        let (stream, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Ws { stream })
    }
}

/// A WebSocket client reading office events.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    /// The next event (JSON), waiting at most `WAIT`.
    pub async fn next(&mut self) -> Result<Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = tokio::time::timeout(left, self.stream.next())
                .await
                .map_err(|_| anyhow!("no WebSocket event within {WAIT:?}"))?
                .ok_or_else(|| anyhow!("WebSocket closed"))??;
            match msg {
                tungstenite::Message::Text(t) => return Ok(serde_json::from_str(&t)?),
                tungstenite::Message::Close(_) => bail!("WebSocket closed by server"),
                _ => {}
            }
        }
    }

    /// Skips events until `pred` matches (within `WAIT` overall); returns the match.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Result<Value> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let ev = self
                .next()
                .await
                .with_context(|| format!("waiting for {what}"))?;
            if pred(&ev) {
                return Ok(ev);
            }
        }
        bail!("timed out waiting for {what}")
    }

    /// Waits for an approval request of `agent`; returns its approval id.
    pub async fn approval(&mut self, agent: &str) -> Result<String> {
        let ev = self
            .until("an approval request", |ev| {
                is(ev, "approval_requested", agent)
            })
            .await?;
        ev["approval_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no approval_id in {ev}"))
    }

    pub async fn send(&mut self, v: Value) -> Result<()> {
        self.stream
            .send(tungstenite::Message::Text(v.to_string().into()))
            .await?;
        Ok(())
    }
}

/// Is this event of `type` about `agent`?
pub fn is(ev: &Value, ty: &str, agent: &str) -> bool {
    ev["type"] == ty && ev["agent_id"] == agent
}
