//! `ClaudeBackend` end to end, without the office: the real pinned `claude` CLI started through
//! `Backend::start` against the scripted Anthropic server, checked through the
//! `NormalizedEvent`s it yields. Fails with the `cargo xtask setup` hint when the CLI is missing.

use anyhow::{Context, Result, bail, ensure};
use isomux_agents::claude::ClaudeBackend;
use isomux_core::backend::{
    Backend, NormalizedEvent, SessionCommand, SessionHandle, SessionSpec, UserTurn,
};
use isomux_core::safety::{SafetyContext, Verdict, check_claude_tool};
use isomux_protocol::Effort;
use isomux_tests::model_server::{AnthropicServer, LastInput, Reply, Script};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

/// The budget of one test.
const TEST_BUDGET: Duration = Duration::from_secs(30);

fn claude_bin() -> Result<PathBuf> {
    isomux_tests::process::cli_bin("claude")
}

/// A started session with its throwaway HOME and working directory, and every event so far.
struct Agent {
    handle: SessionHandle,
    events: Vec<NormalizedEvent>,
    work: PathBuf,
    home: PathBuf,
    _dir: tempfile::TempDir,
    deadline: Instant,
}

/// The session id the office chose (and persisted) before spawning.
const OFFICE_SESSION_ID: &str = "5f0c3a52-9d1e-4b7a-8c2f-1e2d3c4b5a69";
const SYSTEM_PROMPT: &str = "You are Ada, a test agent of the isomux office (marker SP-7731).";

impl Agent {
    async fn start(server: &AnthropicServer) -> Result<Self> {
        let deadline = Instant::now() + TEST_BUDGET;
        let dir = tempfile::tempdir()?;
        let (home, work) = (dir.path().join("home"), dir.path().join("work"));
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&work)?;
        let mut env = server.claude_env();
        env.push(("HOME".into(), home.display().to_string()));
        env.push(("DISABLE_AUTOUPDATER".into(), "1".into()));
        let spec = SessionSpec {
            agent_id: "ag_test".into(),
            agent_name: "Ada".into(),
            conversation_id: "cv_test".into(),
            cwd: work.clone(),
            model: "claude-sonnet-4-5".into(),
            effort: Effort::Medium,
            permission_mode: Default::default(),
            system_prompt: SYSTEM_PROMPT.into(),
            resume: None,
            fork: None,
            session_id: Some(OFFICE_SESSION_ID.into()),
            data_dir: home.join(".isomux"),
            env,
        };
        let backend = ClaudeBackend::with_bin(claude_bin()?);
        let handle = tokio::time::timeout_at(deadline, backend.start(spec))
            .await
            .context("start timed out")?
            .context("start failed")?;
        Ok(Self {
            handle,
            events: Vec::new(),
            work,
            home,
            _dir: dir,
            deadline,
        })
    }

    async fn send(&self, cmd: SessionCommand) -> Result<()> {
        self.handle
            .commands
            .send(cmd)
            .await
            .map_err(|_| anyhow::anyhow!("the session task is gone"))
    }

    async fn user(&self, text: &str) -> Result<()> {
        self.send(SessionCommand::Send(UserTurn {
            lines: Vec::new(),
            text: text.into(),
            attachments: Vec::new(),
        }))
        .await
    }

    /// Reads events until `stop` holds; returns the events read (the last one included).
    async fn until(
        &mut self,
        mut stop: impl FnMut(&NormalizedEvent) -> bool,
    ) -> Result<Vec<NormalizedEvent>> {
        let mut read = Vec::new();
        loop {
            let ev = match tokio::time::timeout_at(self.deadline, self.handle.events.recv()).await {
                Err(_) => bail!("no matching event before the deadline; read {read:#?}"),
                Ok(None) => bail!("the event stream ended; read {read:#?}"),
                Ok(Some(ev)) => ev,
            };
            self.events.push(ev.clone());
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

    async fn turn(&mut self) -> Result<Vec<NormalizedEvent>> {
        self.until(|e| {
            matches!(
                e,
                NormalizedEvent::TurnCompleted { .. } | NormalizedEvent::TurnFailed { .. }
            )
        })
        .await
    }

    /// Closes the session and returns the exit event's code and stderr tail.
    async fn close(&mut self) -> Result<(Option<i32>, String)> {
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

    /// Runs `body`; on error closes the session and appends its stderr tail and events.
    async fn check(mut self, server: &AnthropicServer, body: Result<()>) -> Result<()> {
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

fn text_of(events: &[NormalizedEvent]) -> (String, String) {
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

#[tokio::test]
async fn claude_backend_streams_a_text_turn() -> Result<()> {
    const TEXT: &str = "Hello from the scripted Anthropic server, nice to meet you.";
    let started = std::time::Instant::now();
    let server = AnthropicServer::start(Script::new().then(Reply::text(TEXT)));
    let mut agent = Agent::start(&server).await?;
    let body = async {
        // The office-chosen session id comes first, before any turn.
        let first = agent.until(|_| true).await?;
        let Some(NormalizedEvent::SessionId(id)) = first.first() else {
            bail!("first event is not the session id: {first:?}");
        };
        ensure!(
            id == OFFICE_SESSION_ID,
            "the office-chosen id is used: {id}"
        );
        let id = id.clone();
        agent.user("hello").await?;
        let events = agent.turn().await?;
        ensure!(
            matches!(events.first(), Some(NormalizedEvent::TurnStarted)),
            "{events:?}"
        );
        let deltas = events
            .iter()
            .filter(|e| matches!(e, NormalizedEvent::TextDelta(_)))
            .count();
        ensure!(deltas > 1, "several deltas: {events:?}");
        let (streamed, full) = text_of(&events);
        assert_eq!(streamed, TEXT);
        assert_eq!(full, TEXT);
        let last_delta = events
            .iter()
            .rposition(|e| matches!(e, NormalizedEvent::TextDelta(_)));
        let text_at = events
            .iter()
            .position(|e| matches!(e, NormalizedEvent::AssistantText(_)));
        ensure!(last_delta < text_at, "deltas before the full text");
        let Some(NormalizedEvent::TurnCompleted { usage, interrupted }) = events.last() else {
            bail!("no TurnCompleted: {events:?}");
        };
        ensure!(!interrupted);
        assert_eq!(usage.output_tokens, 10);
        ensure!(usage.input_tokens > 0, "{usage:?}");
        // Only one SessionId: the CLI's own report of the same id is not repeated.
        ensure!(
            !agent
                .events
                .iter()
                .skip(1)
                .any(|e| matches!(e, NormalizedEvent::SessionId(_))),
            "{:?}",
            agent.events
        );
        // The CLI writes its transcript under the id the office chose (flushed lazily).
        let sessions = agent.home.join(".claude/projects");
        let file = format!("{id}.jsonl");
        let mut stored = false;
        for _ in 0..100 {
            stored = walk_contains(&sessions, &file);
            if stored {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        ensure!(stored, "the CLI stored the session under the office's id");
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "claude_backend_streams_a_text_turn: {:?}",
        started.elapsed()
    );
    r
}

fn walk_contains(dir: &std::path::Path, name: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        p.file_name().is_some_and(|n| n == name) || (p.is_dir() && walk_contains(&p, name))
    })
}

#[tokio::test]
async fn claude_backend_appends_the_system_prompt() -> Result<()> {
    let started = std::time::Instant::now();
    let server = AnthropicServer::start(Script::new());
    let mut agent = Agent::start(&server).await?;
    let body = async {
        agent.user("who are you?").await?;
        let events = agent.turn().await?;
        ensure!(
            matches!(events.last(), Some(NormalizedEvent::TurnCompleted { .. })),
            "{events:?}"
        );
        let requests = server.model_requests();
        let system = requests[0].system_text().unwrap_or_default();
        ensure!(system.contains(SYSTEM_PROMPT), "system: {system}");
        // Appended to Claude Code's own prompt, not replacing it.
        ensure!(system.len() > SYSTEM_PROMPT.len() + 100, "system: {system}");
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "claude_backend_appends_the_system_prompt: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn claude_backend_asks_before_running_a_tool() -> Result<()> {
    let started = std::time::Instant::now();
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::shell("touch marker_ok && echo made-it"))
            .on_tool_result(Reply::Echo),
    );
    let mut agent = Agent::start(&server).await?;
    let body = async {
        agent.user("make a marker").await?;
        let events = agent
            .until(|e| matches!(e, NormalizedEvent::ApprovalRequest { .. }))
            .await?;
        let Some(NormalizedEvent::ApprovalRequest {
            request_id,
            tool,
            input,
            summary,
            unanalysable,
        }) = events.last().cloned()
        else {
            bail!("no approval request");
        };
        ensure!(
            unanalysable.is_none(),
            "a plain command is analysable: {unanalysable:?}"
        );
        assert_eq!(tool, "Bash");
        assert_eq!(input["command"], "touch marker_ok && echo made-it");
        ensure!(summary.contains("touch marker_ok"), "{summary}");
        ensure!(
            !agent.work.join("marker_ok").exists(),
            "not before the answer"
        );
        agent
            .send(SessionCommand::AnswerApproval {
                request_id,
                allow: true,
                reason: None,
            })
            .await?;
        let events = agent.turn().await?;
        ensure!(
            events.iter().any(|e| matches!(
                e,
                NormalizedEvent::ToolFinished { ok: true, output, .. } if output.contains("made-it")
            )),
            "{events:?}"
        );
        ensure!(agent.work.join("marker_ok").exists(), "the command ran");
        let (_, full) = text_of(&events);
        assert_eq!(full, "Tool result (is_error=false): made-it");
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "claude_backend_asks_before_running_a_tool: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn claude_backend_denies_destructive_commands_without_asking() -> Result<()> {
    const COMMAND: &str = "git reset --hard && touch executed_marker";
    let started = std::time::Instant::now();
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::shell(COMMAND))
            .on_tool_result(Reply::Echo),
    );
    let mut agent = Agent::start(&server).await?;
    let body = async {
        let ctx = SafetyContext {
            cwd: agent.work.clone(),
            home: agent.home.clone(),
            data_dir: agent.home.join(".isomux"),
            temp_dirs: vec!["/tmp".into(), "/var/tmp".into()],
        };
        let Verdict::Deny(denial) = check_claude_tool("Bash", &json!({"command": COMMAND}), &ctx)
        else {
            bail!("the rules should deny {COMMAND}");
        };
        agent.user("clean up").await?;
        let events = agent.turn().await?;
        ensure!(
            !events
                .iter()
                .any(|e| matches!(e, NormalizedEvent::ApprovalRequest { .. })),
            "no approval asked: {events:?}"
        );
        ensure!(
            events.iter().any(|e| matches!(
                e,
                NormalizedEvent::ToolFinished { ok: false, output, .. }
                    if output.contains(&denial.reason)
            )),
            "{events:?}"
        );
        ensure!(
            !agent.work.join("executed_marker").exists(),
            "the command did not run"
        );
        let requests = server.model_requests();
        ensure!(requests.len() == 2, "{}", server.summary());
        let LastInput::ToolResult { content, is_error } = requests[1].last_input() else {
            bail!("the second request does not end with a tool result");
        };
        ensure!(is_error);
        ensure!(content.contains(&denial.reason), "{content}");
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "claude_backend_denies_destructive_commands_without_asking: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn claude_backend_interrupts_a_slow_stream() -> Result<()> {
    let started = std::time::Instant::now();
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::slow_chunks(100, Duration::from_millis(100)))
            .then(Reply::text("Back after the interrupt.")),
    );
    let mut agent = Agent::start(&server).await?;
    let body = async {
        agent.user("SLOW please").await?;
        let mut deltas = 0;
        agent
            .until(|e| {
                if matches!(e, NormalizedEvent::TextDelta(_)) {
                    deltas += 1;
                }
                deltas >= 3
            })
            .await?;
        agent.send(SessionCommand::Interrupt).await?;
        let events = agent.turn().await?;
        ensure!(
            matches!(
                events.last(),
                Some(NormalizedEvent::TurnCompleted {
                    interrupted: true,
                    ..
                })
            ),
            "{events:?}"
        );
        agent.user("continue").await?;
        let events = agent.turn().await?;
        ensure!(
            matches!(
                events.last(),
                Some(NormalizedEvent::TurnCompleted {
                    interrupted: false,
                    ..
                })
            ),
            "{events:?}"
        );
        let (_, full) = text_of(&events);
        assert_eq!(full, "Back after the interrupt.");
        let requests = server.model_requests();
        ensure!(requests.len() == 2, "{}", server.summary());
        ensure!(
            requests[1]
                .last_user_text()
                .unwrap_or_default()
                .contains("continue")
        );
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "claude_backend_interrupts_a_slow_stream: {:?}",
        started.elapsed()
    );
    r
}
