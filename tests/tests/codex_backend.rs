//! `CodexBackend` end to end, without the office: the real pinned `codex app-server` started
//! through `Backend::start` against the scripted OpenAI Responses server, checked through the
//! `NormalizedEvent`s it yields. Fails with the `cargo xtask setup` hint when the CLI is missing.

use anyhow::{Context, Result, bail, ensure};
use isomux_agents::codex::CodexBackend;
use isomux_core::backend::{
    Backend, NormalizedEvent, SessionCommand, SessionHandle, SessionSpec, UserTurn,
};
use isomux_core::safety::{SafetyContext, Verdict, check_codex_exec};
use isomux_protocol::Effort;
use isomux_tests::model_server::{OpenAiServer, Reply, Script};
use isomux_tests::process::repo_root;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

/// The budget of one test.
const TEST_BUDGET: Duration = Duration::from_secs(30);
const SYSTEM_PROMPT: &str = "You are Ada, a test agent of the isomux office (marker SP-4412).";

/// The pinned CLI: `$ISOMUX_CODEX_BIN`, else `<repo>/.tools/npm/node_modules/.bin/codex`.
fn codex_bin() -> Result<PathBuf> {
    let path = std::env::var_os("ISOMUX_CODEX_BIN").map_or_else(
        || repo_root().join(".tools/npm/node_modules/.bin/codex"),
        PathBuf::from,
    );
    if !path.exists() {
        bail!(
            "the pinned `codex` CLI is not installed (looked for {}; set $ISOMUX_CODEX_BIN or \
             run `cargo xtask setup`)",
            path.display()
        );
    }
    Ok(path)
}

/// A throwaway HOME, CODEX_HOME and working directory, outside /tmp: under a temporary
/// directory codex refuses to create its sandbox helpers and sandboxed commands fail.
struct Dirs {
    home: PathBuf,
    codex_home: PathBuf,
    work: PathBuf,
    _dir: tempfile::TempDir,
}

impl Dirs {
    fn new(server: &OpenAiServer) -> Result<Self> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| repo_root().join("target"), PathBuf::from);
        let parent = target.join("test-codex-homes");
        std::fs::create_dir_all(&parent)?;
        let dir = tempfile::Builder::new()
            .prefix("backend-")
            .tempdir_in(parent)?;
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

    fn safety(&self) -> SafetyContext {
        SafetyContext {
            cwd: self.work.clone(),
            home: self.home.clone(),
            data_dir: self.home.join(".isomux"),
            temp_dirs: vec!["/tmp".into(), "/var/tmp".into()],
        }
    }
}

/// A started session and every event so far.
struct Agent {
    handle: SessionHandle,
    events: Vec<NormalizedEvent>,
    deadline: Instant,
}

impl Agent {
    async fn start(dirs: &Dirs, resume: Option<String>) -> Result<Self> {
        let deadline = Instant::now() + TEST_BUDGET;
        let env = vec![
            ("HOME".to_owned(), dirs.home.display().to_string()),
            (
                "CODEX_HOME".to_owned(),
                dirs.codex_home.display().to_string(),
            ),
            (OpenAiServer::API_KEY_ENV.to_owned(), "sk-mock".to_owned()),
        ];
        let spec = SessionSpec {
            agent_id: "ag_test".into(),
            agent_name: "Ada".into(),
            conversation_id: "cv_test".into(),
            cwd: dirs.work.clone(),
            model: "gpt-5.5".into(),
            effort: Effort::Medium,
            permission_mode: Default::default(),
            system_prompt: SYSTEM_PROMPT.into(),
            resume,
            fork: None,
            session_id: None,
            data_dir: dirs.home.join(".isomux"),
            env,
        };
        let backend = CodexBackend::with_bin(codex_bin()?);
        let handle = tokio::time::timeout_at(deadline, backend.start(spec))
            .await
            .context("start timed out")?
            .context("start failed")?;
        Ok(Self {
            handle,
            events: Vec::new(),
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

    /// The thread id, the first event of every session.
    async fn session_id(&mut self) -> Result<String> {
        let first = self.until(|_| true).await?;
        match first.first() {
            Some(NormalizedEvent::SessionId(id)) => Ok(id.clone()),
            other => bail!("first event is not the session id: {other:?}"),
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
    async fn check(mut self, server: &OpenAiServer, body: Result<()>) -> Result<()> {
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

fn completed(events: &[NormalizedEvent], interrupted: bool) -> bool {
    matches!(events.last(), Some(NormalizedEvent::TurnCompleted { interrupted: i, .. }) if *i == interrupted)
}

#[tokio::test]
async fn codex_backend_streams_a_text_turn() -> Result<()> {
    const TEXT: &str = "Hello from the scripted Responses server, nice to meet you.";
    let started = std::time::Instant::now();
    let server = OpenAiServer::start(Script::new().then(Reply::text(TEXT)));
    let dirs = Dirs::new(&server)?;
    let mut agent = Agent::start(&dirs, None).await?;
    let body = async {
        // The thread id comes first, before any turn (the office persists it).
        let id = agent.session_id().await?;
        ensure!(id.len() >= 32, "a UUID thread id: {id}");
        ensure!(server.model_requests().is_empty(), "no model call yet");
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
        // The mock reports 100 input tokens of which 20 cached, and 10 output tokens.
        assert_eq!(usage.output_tokens, 10, "{usage:?}");
        assert_eq!(usage.input_tokens, 80, "{usage:?}");
        assert_eq!(usage.cache_read_tokens, 20, "{usage:?}");
        assert_eq!(usage.turns, 1);
        ensure!(
            !agent
                .events
                .iter()
                .skip(1)
                .any(|e| matches!(e, NormalizedEvent::SessionId(_))),
            "one SessionId only: {:?}",
            agent.events
        );
        let requests = server.model_requests();
        ensure!(requests.len() == 1, "{}", server.summary());
        assert_eq!(requests[0].last_user_text().as_deref(), Some("hello"));
        assert_eq!(requests[0].body["model"], "gpt-5.5");
        assert_eq!(requests[0].header("originator"), Some("isomux"));
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!("codex_backend_streams_a_text_turn: {:?}", started.elapsed());
    r
}

#[tokio::test]
async fn codex_backend_appends_the_system_prompt() -> Result<()> {
    let started = std::time::Instant::now();
    let server = OpenAiServer::start(Script::new());
    let dirs = Dirs::new(&server)?;
    let mut agent = Agent::start(&dirs, None).await?;
    let body = async {
        agent.user("who are you?").await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        let requests = server.model_requests();
        let req = requests.first().context("a model request")?;
        // `developerInstructions` arrives as a developer message next to codex's own ones.
        let system = req.system_text().unwrap_or_default();
        ensure!(system.contains(SYSTEM_PROMPT), "system: {system}");
        ensure!(req.occurrences(SYSTEM_PROMPT) == 1, "sent once");
        // Appended to codex's own prompt, not replacing it.
        ensure!(system.len() > SYSTEM_PROMPT.len() + 100, "system: {system}");
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "codex_backend_appends_the_system_prompt: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn codex_backend_asks_before_running_a_command() -> Result<()> {
    let started = std::time::Instant::now();
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::shell("touch marker_ok && echo made-it"))
            .on_tool_result(Reply::text("Done.")),
    );
    let dirs = Dirs::new(&server)?;
    let mut agent = Agent::start(&dirs, None).await?;
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
        assert_eq!(tool, "shell");
        let command = input["command"].as_str().unwrap_or_default();
        ensure!(command.contains("touch marker_ok"), "{input}");
        ensure!(summary.contains("touch marker_ok"), "{summary}");
        ensure!(
            !dirs.work.join("marker_ok").exists(),
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
        ensure!(completed(&events, false), "{events:?}");
        ensure!(
            events.iter().any(|e| matches!(
                e,
                NormalizedEvent::ToolFinished { ok: true, output, .. } if output.contains("made-it")
            )),
            "{events:?}"
        );
        ensure!(dirs.work.join("marker_ok").exists(), "the command ran");
        assert_eq!(text_of(&events).1, "Done.");
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "codex_backend_asks_before_running_a_command: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn codex_backend_declines_destructive_commands_without_asking() -> Result<()> {
    const COMMAND: &str = "git reset --hard && touch executed_marker";
    let started = std::time::Instant::now();
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::shell(COMMAND))
            .on_tool_result(Reply::text("Understood.")),
    );
    let dirs = Dirs::new(&server)?;
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&dirs.work)
        .status()
        .context("git init")?;
    ensure!(git.success(), "git init failed");
    // What codex asks about: its shell wrapper around the model's command.
    let wrapped = format!("/bin/bash -lc '{COMMAND}'");
    ensure!(
        matches!(
            check_codex_exec(&json!(wrapped), &dirs.safety()),
            Verdict::Deny(_)
        ),
        "the rules should deny {wrapped}"
    );
    let mut agent = Agent::start(&dirs, None).await?;
    let body = async {
        agent.user("clean up").await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        ensure!(
            !events
                .iter()
                .any(|e| matches!(e, NormalizedEvent::ApprovalRequest { .. })),
            "no approval asked: {events:?}"
        );
        ensure!(
            events
                .iter()
                .any(|e| matches!(e, NormalizedEvent::ToolFinished { ok: false, .. })),
            "the declined call is reported: {events:?}"
        );
        ensure!(
            !dirs.work.join("executed_marker").exists(),
            "the command did not run"
        );
        let requests = server.model_requests();
        ensure!(requests.len() == 2, "{}", server.summary());
        // codex's own output says "rejected"; the driver's note after it says why
        // (tests/tests/codex_decline.rs checks the note in the office).
        let content = requests[1].last_tool_result().unwrap_or_default();
        ensure!(content.contains("rejected"), "{content}");
        ensure!(
            requests[1]
                .last_user_text()
                .is_some_and(|t| t.contains("git_reset_hard")),
            "the reason follows the output: {}",
            requests[1].body
        );
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "codex_backend_declines_destructive_commands_without_asking: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn codex_backend_interrupts_a_slow_stream() -> Result<()> {
    let started = std::time::Instant::now();
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::slow_chunks(100, Duration::from_millis(100)))
            .then(Reply::text("Back after the interrupt.")),
    );
    let dirs = Dirs::new(&server)?;
    let mut agent = Agent::start(&dirs, None).await?;
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
        ensure!(completed(&events, true), "{events:?}");
        agent.user("continue").await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        assert_eq!(text_of(&events).1, "Back after the interrupt.");
        let requests = server.model_requests();
        ensure!(requests.len() == 2, "{}", server.summary());
        assert_eq!(requests[1].last_user_text().as_deref(), Some("continue"));
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "codex_backend_interrupts_a_slow_stream: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn codex_backend_resumes_a_thread_in_a_new_process() -> Result<()> {
    const FIRST: &str = "Remember the word PELICAN-5521.";
    let started = std::time::Instant::now();
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::text("Noted."))
            .then(Reply::text("It was PELICAN-5521.")),
    );
    let dirs = Dirs::new(&server)?;
    let mut agent = Agent::start(&dirs, None).await?;
    let mut thread = String::new();
    let body = async {
        thread = agent.session_id().await?;
        agent.user(FIRST).await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        Ok(())
    }
    .await;
    agent.check(&server, body).await?;

    let mut agent = Agent::start(&dirs, Some(thread.clone())).await?;
    let body = async {
        let id = agent.session_id().await?;
        ensure!(id == thread, "the same thread: {id} vs {thread}");
        agent.user("Which word?").await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        assert_eq!(text_of(&events).1, "It was PELICAN-5521.");
        let requests = server.model_requests();
        ensure!(requests.len() == 2, "{}", server.summary());
        ensure!(requests[1].contains(FIRST), "the history is replayed");
        assert_eq!(requests[1].last_user_text().as_deref(), Some("Which word?"));
        Ok(())
    }
    .await;
    let r = agent.check(&server, body).await;
    eprintln!(
        "codex_backend_resumes_a_thread_in_a_new_process: {:?}",
        started.elapsed()
    );
    r
}

#[tokio::test]
async fn codex_backend_fails_to_resume_an_unknown_thread() -> Result<()> {
    let server = OpenAiServer::start(Script::new());
    let dirs = Dirs::new(&server)?;
    let unknown = "01a21499-dbff-7140-8234-da589e2ad194".to_owned();
    let err = match Agent::start(&dirs, Some(unknown)).await {
        Ok(_) => bail!("resuming an unknown thread started"),
        Err(e) => format!("{e:#}"),
    };
    ensure!(err.contains("could not resume"), "{err}");
    Ok(())
}
