//! One backend session driven directly, without the office, for the suites that test a driver
//! (`claude_backend`, `codex_backend`, `codex_safety_coverage`, `fork`): throwaway homes for
//! each CLI ([`ClaudeDirs`], [`CodexDirs`]), the [`SessionSpec`] they run with, and a
//! [`Session`] that sends commands, reads `NormalizedEvent`s against a deadline, closes, and
//! explains a failure with the events, the CLI's stderr tail and the model server's log.

use crate::model_server::{AnthropicServer, ModelServer, OpenAiServer};
use crate::process::{cli_bin, repo_root};
use anyhow::{Context, Result, anyhow, bail, ensure};
use isomux_agents::claude::ClaudeBackend;
use isomux_agents::codex::CodexBackend;
use isomux_core::backend::{
    Backend, NormalizedEvent, SessionCommand, SessionHandle, SessionSpec, UserTurn,
};
use isomux_core::safety::SafetyContext;
use isomux_protocol::Effort;
use isomux_protocol::Usage;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::time::Instant;

/// The spec of a test agent "Ada" working in `work`, with `home/.isomux` as the data dir.
pub fn spec(
    model: &str,
    work: &Path,
    home: &Path,
    system_prompt: &str,
    env: Vec<(String, String)>,
) -> SessionSpec {
    SessionSpec {
        agent_id: "ag_test".into(),
        agent_name: "Ada".into(),
        conversation_id: "cv_test".into(),
        cwd: work.to_path_buf(),
        model: model.into(),
        effort: Effort::Medium,
        permission_mode: Default::default(),
        system_prompt: system_prompt.into(),
        resume: None,
        fork: None,
        session_id: None,
        data_dir: home.join(".isomux"),
        env,
    }
}

/// The safety context of an agent working in `work` with home `home` (what the drivers build).
pub fn safety(work: &Path, home: &Path) -> SafetyContext {
    SafetyContext {
        cwd: work.to_path_buf(),
        home: home.to_path_buf(),
        data_dir: home.join(".isomux"),
        temp_dirs: vec!["/tmp".into(), "/var/tmp".into()],
    }
}

/// A throwaway HOME and working directory for `claude` (under the system temp dir).
pub struct ClaudeDirs {
    pub home: PathBuf,
    pub work: PathBuf,
    _dir: tempfile::TempDir,
}

impl ClaudeDirs {
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let (home, work) = (dir.path().join("home"), dir.path().join("work"));
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&work)?;
        Ok(Self {
            home,
            work,
            _dir: dir,
        })
    }

    /// The spec of a session against `server` (no auto-updates, this HOME).
    pub fn spec(&self, server: &AnthropicServer, model: &str, system_prompt: &str) -> SessionSpec {
        let mut env = server.claude_env();
        env.push(("HOME".into(), self.home.display().to_string()));
        env.push(("DISABLE_AUTOUPDATER".into(), "1".into()));
        spec(model, &self.work, &self.home, system_prompt, env)
    }

    /// The pinned `claude` behind its driver.
    pub fn backend() -> Result<ClaudeBackend> {
        Ok(ClaudeBackend::with_bin(cli_bin("claude")?))
    }
}

/// A throwaway HOME, CODEX_HOME (configured for a model server) and working directory, under
/// `<target>/test-codex-homes/`: under a temporary directory codex refuses to create its
/// sandbox helpers and sandboxed commands fail.
pub struct CodexDirs {
    pub home: PathBuf,
    pub codex_home: PathBuf,
    pub work: PathBuf,
    _dir: tempfile::TempDir,
}

impl CodexDirs {
    /// Fresh dirs named `<prefix>…`, with a `config.toml` pointing codex at `server`.
    pub fn new(server: &OpenAiServer, prefix: &str) -> Result<Self> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| repo_root().join("target"), PathBuf::from);
        let parent = target.join("test-codex-homes");
        std::fs::create_dir_all(&parent)?;
        let dir = tempfile::Builder::new().prefix(prefix).tempdir_in(parent)?;
        let home = dir.path().join("home");
        let codex_home = dir.path().join("codex-home");
        let work = dir.path().join("work");
        for d in [&home, &codex_home, &work] {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(codex_home.join("config.toml"), server.codex_config_toml())?;
        Ok(Self {
            home,
            codex_home,
            work,
            _dir: dir,
        })
    }

    /// Makes the working directory a git repository.
    pub fn git_init(&self) -> Result<()> {
        let git = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(&self.work)
            .status()
            .context("git init")?;
        ensure!(git.success(), "git init failed");
        Ok(())
    }

    /// What the driver's safety rules know about an agent in these dirs.
    pub fn safety(&self) -> SafetyContext {
        safety(&self.work, &self.home)
    }

    /// The spec of a session with model `gpt-5.5` in these dirs.
    pub fn spec(&self, system_prompt: &str) -> SessionSpec {
        let env = vec![
            ("HOME".to_owned(), self.home.display().to_string()),
            (
                "CODEX_HOME".to_owned(),
                self.codex_home.display().to_string(),
            ),
            (OpenAiServer::API_KEY_ENV.to_owned(), "sk-mock".to_owned()),
        ];
        spec("gpt-5.5", &self.work, &self.home, system_prompt, env)
    }

    /// The pinned `codex` behind its driver.
    pub fn backend() -> Result<CodexBackend> {
        Ok(CodexBackend::with_bin(cli_bin("codex")?))
    }
}

/// A started session and every event read so far, with a deadline for the whole test.
pub struct Session {
    pub handle: SessionHandle,
    pub events: Vec<NormalizedEvent>,
    pub deadline: Instant,
    /// When the test asked for the session (its duration is printed by [`Session::check`]).
    started: Instant,
}

/// An approval request the driver passed to the office.
#[derive(Debug, Clone)]
pub struct Approval {
    pub request_id: String,
    pub tool: String,
    pub input: serde_json::Value,
    pub summary: String,
    pub unanalysable: Option<String>,
}

impl Session {
    /// Starts `spec` on `backend`; the start and everything after it must finish within
    /// `budget`.
    pub async fn start(backend: &dyn Backend, spec: SessionSpec, budget: Duration) -> Result<Self> {
        let started = Instant::now();
        let deadline = started + budget;
        let handle = tokio::time::timeout_at(deadline, backend.start(spec))
            .await
            .context("start timed out")?
            .context("start failed")?;
        Ok(Self {
            handle,
            events: Vec::new(),
            deadline,
            started,
        })
    }

    pub async fn send(&self, cmd: SessionCommand) -> Result<()> {
        self.handle
            .commands
            .send(cmd)
            .await
            .map_err(|_| anyhow!("the session task is gone"))
    }

    /// Sends a user turn of plain text.
    pub async fn user(&self, text: &str) -> Result<()> {
        self.send(SessionCommand::Send(UserTurn {
            lines: Vec::new(),
            text: text.into(),
            attachments: Vec::new(),
        }))
        .await
    }

    /// The next event, kept in `events`; `None` at the deadline or the end of the stream.
    async fn recv(&mut self) -> Option<Result<NormalizedEvent, &'static str>> {
        let ev = match tokio::time::timeout_at(self.deadline, self.handle.events.recv()).await {
            Err(_) => return Some(Err("no matching event before the deadline")),
            Ok(None) => return None,
            Ok(Some(ev)) => ev,
        };
        self.events.push(ev.clone());
        Some(Ok(ev))
    }

    /// Reads one event; an error at the deadline, the end of the stream or the CLI's exit.
    pub async fn next(&mut self) -> Result<NormalizedEvent> {
        match self.recv().await {
            None => bail!("the event stream ended"),
            Some(Err(why)) => bail!("{why}"),
            Some(Ok(NormalizedEvent::Exited { .. })) => bail!("the CLI exited"),
            Some(Ok(ev)) => Ok(ev),
        }
    }

    /// Reads events until `stop` holds; returns the events read (the last one included).
    pub async fn until(
        &mut self,
        mut stop: impl FnMut(&NormalizedEvent) -> bool,
    ) -> Result<Vec<NormalizedEvent>> {
        let mut read = Vec::new();
        loop {
            let ev = match self.recv().await {
                None => bail!("the event stream ended; read {read:#?}"),
                Some(Err(why)) => bail!("{why}; read {read:#?}"),
                Some(Ok(ev)) => ev,
            };
            let done = stop(&ev);
            let exited = matches!(ev, NormalizedEvent::Exited { .. });
            read.push(ev);
            if done {
                return Ok(read);
            }
            if exited {
                bail!("the CLI exited; read {read:#?}");
            }
        }
    }

    /// The session id, the first event of every session.
    pub async fn session_id(&mut self) -> Result<String> {
        let first = self.until(|_| true).await?;
        match first.first() {
            Some(NormalizedEvent::SessionId(id)) => Ok(id.clone()),
            other => bail!("first event is not the session id: {other:?}"),
        }
    }

    /// Reads the rest of a turn, through its `TurnCompleted` or `TurnFailed`.
    pub async fn turn(&mut self) -> Result<Vec<NormalizedEvent>> {
        self.until(|e| {
            matches!(
                e,
                NormalizedEvent::TurnCompleted { .. } | NormalizedEvent::TurnFailed { .. }
            )
        })
        .await
    }

    /// Reads until `n` text deltas have streamed.
    pub async fn deltas(&mut self, n: usize) -> Result<()> {
        let mut seen = 0;
        self.until(|e| {
            seen += usize::from(matches!(e, NormalizedEvent::TextDelta(_)));
            seen >= n
        })
        .await
        .map(drop)
    }

    /// Reads until the driver asks the office to approve a tool call.
    pub async fn approval(&mut self) -> Result<Approval> {
        let events = self
            .until(|e| matches!(e, NormalizedEvent::ApprovalRequest { .. }))
            .await?;
        match events.last().cloned() {
            Some(NormalizedEvent::ApprovalRequest {
                request_id,
                tool,
                input,
                summary,
                unanalysable,
            }) => Ok(Approval {
                request_id,
                tool,
                input,
                summary,
                unanalysable,
            }),
            other => bail!("no approval request: {other:?}"),
        }
    }

    /// Allows the tool call `request_id`.
    pub async fn allow(&self, request_id: String) -> Result<()> {
        self.send(SessionCommand::AnswerApproval {
            request_id,
            allow: true,
            reason: None,
        })
        .await
    }

    /// Fails unless the session id was reported once only (the CLI's own report of the same
    /// id is not repeated).
    pub fn one_session_id(&self) -> Result<()> {
        let ids = self
            .events
            .iter()
            .filter(|e| matches!(e, NormalizedEvent::SessionId(_)))
            .count();
        ensure!(ids == 1, "one SessionId only: {:?}", self.events);
        Ok(())
    }

    /// Closes the session and returns the exit event's code and stderr tail.
    pub async fn close(&mut self) -> Result<(Option<i32>, String)> {
        let _ = self.send(SessionCommand::Close).await;
        self.deadline = Instant::now() + Duration::from_secs(8);
        match self
            .until(|e| matches!(e, NormalizedEvent::Exited { .. }))
            .await?
            .pop()
        {
            Some(NormalizedEvent::Exited { code, stderr_tail }) => Ok((code, stderr_tail)),
            other => bail!("expected Exited, got {other:?}"),
        }
    }

    /// Ends a test whose `body` ran: closes the session (a clean exit is code 0); on error
    /// appends the stderr tail, the events and the model server's log.
    pub async fn check(mut self, server: &ModelServer, body: Result<()>) -> Result<()> {
        let test = std::thread::current()
            .name()
            .unwrap_or("session")
            .to_owned();
        eprintln!("{test}: {:?}", self.started.elapsed());
        match body {
            Ok(()) => {
                let (code, tail) = self.close().await?;
                ensure!(code == Some(0), "exit code {code:?}; stderr:\n{tail}");
                Ok(())
            }
            Err(e) => {
                let tail = match self.close().await {
                    Ok((code, tail)) => format!("exit {code:?}; stderr tail:\n{tail}"),
                    Err(e) => format!("(no exit event: {e:#})"),
                };
                bail!(
                    "{e:#}\n--- {tail}\n--- events ---\n{:#?}\n--- model server ---\n{}",
                    self.events,
                    server.summary()
                )
            }
        }
    }
}

/// The streamed text (the deltas) and the full text (the `AssistantText`s) of `events`.
pub fn text_of(events: &[NormalizedEvent]) -> (String, String) {
    let mut deltas = String::new();
    let mut full = String::new();
    for e in events {
        match e {
            NormalizedEvent::TextDelta(t) => deltas.push_str(t),
            NormalizedEvent::AssistantText(t) => full.push_str(t),
            _ => {}
        }
    }
    (deltas, full)
}

/// Whether the turn ended with `TurnCompleted` (interrupted or not, as `interrupted` says).
pub fn completed(events: &[NormalizedEvent], interrupted: bool) -> bool {
    matches!(events.last(), Some(NormalizedEvent::TurnCompleted { interrupted: i, .. }) if *i == interrupted)
}

/// Whether a tool call in `events` finished (`ok` or failed) with `needle` in its output.
pub fn tool_finished(events: &[NormalizedEvent], ok: bool, needle: &str) -> bool {
    events.iter().any(|e| {
        matches!(e, NormalizedEvent::ToolFinished { ok: o, output, .. }
            if *o == ok && output.contains(needle))
    })
}

/// Whether the driver asked the office about any tool call in `events`.
pub fn asked(events: &[NormalizedEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, NormalizedEvent::ApprovalRequest { .. }))
}

/// Checks a streamed text turn: `TurnStarted` first, `text` in several deltas and then in
/// full, `TurnCompleted` (not interrupted) last; returns its usage.
pub fn streamed_text_turn(events: &[NormalizedEvent], text: &str) -> Result<Usage> {
    ensure!(
        matches!(events.first(), Some(NormalizedEvent::TurnStarted)),
        "{events:?}"
    );
    let deltas = events
        .iter()
        .filter(|e| matches!(e, NormalizedEvent::TextDelta(_)))
        .count();
    ensure!(deltas > 1, "several deltas: {events:?}");
    let (streamed, full) = text_of(events);
    ensure!(streamed == text, "streamed {streamed:?}, expected {text:?}");
    ensure!(full == text, "full text {full:?}, expected {text:?}");
    let last_delta = events
        .iter()
        .rposition(|e| matches!(e, NormalizedEvent::TextDelta(_)));
    let text_at = events
        .iter()
        .position(|e| matches!(e, NormalizedEvent::AssistantText(_)));
    ensure!(last_delta < text_at, "deltas before the full text");
    match events.last() {
        Some(NormalizedEvent::TurnCompleted {
            usage,
            interrupted: false,
        }) => Ok(*usage),
        _ => bail!("no uninterrupted TurnCompleted: {events:?}"),
    }
}
