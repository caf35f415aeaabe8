//! `ClaudeBackend` end to end, without the office: the real pinned `claude` CLI started through
//! `Backend::start` against the scripted Anthropic server, checked through the
//! `NormalizedEvent`s it yields. Fails with the `cargo xtask setup` hint when the CLI is missing.

use anyhow::{Result, bail, ensure};
use isomux_core::backend::{NormalizedEvent, SessionCommand};
use isomux_core::safety::{Verdict, check_claude_tool};
use isomux_tests::backend_session::{
    Approval, ClaudeDirs, Session, asked, completed, safety, streamed_text_turn, text_of,
    tool_finished,
};
use isomux_tests::model_server::{AnthropicServer, LastInput, Reply, Script};
use serde_json::json;
use std::time::Duration;

/// The budget of one test.
const TEST_BUDGET: Duration = Duration::from_secs(30);

/// The session id the office chose (and persisted) before spawning.
const OFFICE_SESSION_ID: &str = "5f0c3a52-9d1e-4b7a-8c2f-1e2d3c4b5a69";
const SYSTEM_PROMPT: &str = "You are Ada, a test agent of the isomux office (marker SP-7731).";

/// Starts a session in `dirs` with the office-chosen id and the system prompt.
async fn start(server: &AnthropicServer, dirs: &ClaudeDirs) -> Result<Session> {
    let mut spec = dirs.spec(server, "claude-sonnet-4-5", SYSTEM_PROMPT);
    spec.session_id = Some(OFFICE_SESSION_ID.into());
    Session::start(&ClaudeDirs::backend()?, spec, TEST_BUDGET).await
}

#[tokio::test]
async fn claude_backend_streams_a_text_turn() -> Result<()> {
    const TEXT: &str = "Hello from the scripted Anthropic server, nice to meet you.";
    let server = AnthropicServer::start(Script::new().then(Reply::text(TEXT)));
    let dirs = ClaudeDirs::new()?;
    let mut agent = start(&server, &dirs).await?;
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
        let usage = streamed_text_turn(&events, TEXT)?;
        assert_eq!(usage.output_tokens, 10);
        ensure!(usage.input_tokens > 0, "{usage:?}");
        agent.one_session_id()?;
        // The CLI writes its transcript under the id the office chose (flushed lazily).
        let sessions = dirs.home.join(".claude/projects");
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
    agent.check(&server, body).await
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
    let server = AnthropicServer::start(Script::new());
    let dirs = ClaudeDirs::new()?;
    let mut agent = start(&server, &dirs).await?;
    let body = async {
        agent.user("who are you?").await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        let requests = server.model_requests();
        let system = requests[0].system_text().unwrap_or_default();
        ensure!(system.contains(SYSTEM_PROMPT), "system: {system}");
        // Appended to Claude Code's own prompt, not replacing it.
        ensure!(system.len() > SYSTEM_PROMPT.len() + 100, "system: {system}");
        Ok(())
    }
    .await;
    agent.check(&server, body).await
}

#[tokio::test]
async fn claude_backend_asks_before_running_a_tool() -> Result<()> {
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::shell("touch marker_ok && echo made-it"))
            .on_tool_result(Reply::Echo),
    );
    let dirs = ClaudeDirs::new()?;
    let mut agent = start(&server, &dirs).await?;
    let body = async {
        agent.user("make a marker").await?;
        let Approval {
            request_id,
            tool,
            input,
            summary,
            unanalysable,
        } = agent.approval().await?;
        ensure!(
            unanalysable.is_none(),
            "a plain command is analysable: {unanalysable:?}"
        );
        assert_eq!(tool, "Bash");
        assert_eq!(input["command"], "touch marker_ok && echo made-it");
        ensure!(summary.contains("touch marker_ok"), "{summary}");
        ensure!(
            !dirs.work.join("marker_ok").exists(),
            "not before the answer"
        );
        agent.allow(request_id).await?;
        let events = agent.turn().await?;
        ensure!(tool_finished(&events, true, "made-it"), "{events:?}");
        ensure!(dirs.work.join("marker_ok").exists(), "the command ran");
        let (_, full) = text_of(&events);
        assert_eq!(full, "Tool result (is_error=false): made-it");
        Ok(())
    }
    .await;
    agent.check(&server, body).await
}

#[tokio::test]
async fn claude_backend_denies_destructive_commands_without_asking() -> Result<()> {
    const COMMAND: &str = "git reset --hard && touch executed_marker";
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::shell(COMMAND))
            .on_tool_result(Reply::Echo),
    );
    let dirs = ClaudeDirs::new()?;
    let mut agent = start(&server, &dirs).await?;
    let body = async {
        let ctx = safety(&dirs.work, &dirs.home);
        let Verdict::Deny(denial) = check_claude_tool("Bash", &json!({"command": COMMAND}), &ctx)
        else {
            bail!("the rules should deny {COMMAND}");
        };
        agent.user("clean up").await?;
        let events = agent.turn().await?;
        ensure!(!asked(&events), "no approval asked: {events:?}");
        ensure!(tool_finished(&events, false, &denial.reason), "{events:?}");
        ensure!(
            !dirs.work.join("executed_marker").exists(),
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
    agent.check(&server, body).await
}

#[tokio::test]
async fn claude_backend_interrupts_a_slow_stream() -> Result<()> {
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::slow_chunks(100, Duration::from_millis(100)))
            .then(Reply::text("Back after the interrupt.")),
    );
    let dirs = ClaudeDirs::new()?;
    let mut agent = start(&server, &dirs).await?;
    let body = async {
        agent.user("SLOW please").await?;
        agent.deltas(3).await?;
        agent.send(SessionCommand::Interrupt).await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, true), "{events:?}");
        agent.user("continue").await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
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
    agent.check(&server, body).await
}
