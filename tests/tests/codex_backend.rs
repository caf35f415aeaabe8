//! `CodexBackend` end to end, without the office: the real pinned `codex app-server` started
//! through `Backend::start` against the scripted OpenAI Responses server, checked through the
//! `NormalizedEvent`s it yields. Fails with the `cargo xtask setup` hint when the CLI is missing.

use anyhow::{Context, Result, bail, ensure};
use isomux_core::backend::SessionCommand;
use isomux_core::safety::{Verdict, check_codex_exec};
use isomux_tests::backend_session::{
    Approval, CodexDirs, Session, asked, completed, streamed_text_turn, text_of, tool_finished,
};
use isomux_tests::model_server::{OpenAiServer, Reply, Script};
use serde_json::json;
use std::time::Duration;

/// The budget of one test.
const TEST_BUDGET: Duration = Duration::from_secs(30);
const SYSTEM_PROMPT: &str = "You are Ada, a test agent of the isomux office (marker SP-4412).";

/// Starts (or resumes) a session in `dirs`.
async fn start(dirs: &CodexDirs, resume: Option<String>) -> Result<Session> {
    let mut spec = dirs.spec(SYSTEM_PROMPT);
    spec.resume = resume;
    Session::start(&CodexDirs::backend()?, spec, TEST_BUDGET).await
}

#[tokio::test]
async fn codex_backend_streams_a_text_turn() -> Result<()> {
    const TEXT: &str = "Hello from the scripted Responses server, nice to meet you.";
    let server = OpenAiServer::start(Script::new().then(Reply::text(TEXT)));
    let dirs = CodexDirs::new(&server, "backend-")?;
    let mut agent = start(&dirs, None).await?;
    let body = async {
        // The thread id comes first, before any turn (the office persists it).
        let id = agent.session_id().await?;
        ensure!(id.len() >= 32, "a UUID thread id: {id}");
        ensure!(server.model_requests().is_empty(), "no model call yet");
        agent.user("hello").await?;
        let events = agent.turn().await?;
        let usage = streamed_text_turn(&events, TEXT)?;
        // The mock reports 100 input tokens of which 20 cached, and 10 output tokens.
        assert_eq!(usage.output_tokens, 10, "{usage:?}");
        assert_eq!(usage.input_tokens, 80, "{usage:?}");
        assert_eq!(usage.cache_read_tokens, 20, "{usage:?}");
        assert_eq!(usage.turns, 1);
        agent.one_session_id()?;
        let requests = server.model_requests();
        ensure!(requests.len() == 1, "{}", server.summary());
        assert_eq!(requests[0].last_user_text().as_deref(), Some("hello"));
        assert_eq!(requests[0].body["model"], "gpt-5.5");
        assert_eq!(requests[0].header("originator"), Some("isomux"));
        Ok(())
    }
    .await;
    agent.check(&server, body).await
}

#[tokio::test]
async fn codex_backend_appends_the_system_prompt() -> Result<()> {
    let server = OpenAiServer::start(Script::new());
    let dirs = CodexDirs::new(&server, "backend-")?;
    let mut agent = start(&dirs, None).await?;
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
    agent.check(&server, body).await
}

#[tokio::test]
async fn codex_backend_asks_before_running_a_command() -> Result<()> {
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::shell("touch marker_ok && echo made-it"))
            .on_tool_result(Reply::text("Done.")),
    );
    let dirs = CodexDirs::new(&server, "backend-")?;
    let mut agent = start(&dirs, None).await?;
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
        assert_eq!(tool, "shell");
        let command = input["command"].as_str().unwrap_or_default();
        ensure!(command.contains("touch marker_ok"), "{input}");
        ensure!(summary.contains("touch marker_ok"), "{summary}");
        ensure!(
            !dirs.work.join("marker_ok").exists(),
            "not before the answer"
        );
        agent.allow(request_id).await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        ensure!(tool_finished(&events, true, "made-it"), "{events:?}");
        ensure!(dirs.work.join("marker_ok").exists(), "the command ran");
        assert_eq!(text_of(&events).1, "Done.");
        Ok(())
    }
    .await;
    agent.check(&server, body).await
}

#[tokio::test]
async fn codex_backend_declines_destructive_commands_without_asking() -> Result<()> {
    const COMMAND: &str = "git reset --hard && touch executed_marker";
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::shell(COMMAND))
            .on_tool_result(Reply::text("Understood.")),
    );
    let dirs = CodexDirs::new(&server, "backend-")?;
    dirs.git_init()?;
    // What codex asks about: its shell wrapper around the model's command.
    let wrapped = format!("/bin/bash -lc '{COMMAND}'");
    ensure!(
        matches!(
            check_codex_exec(&json!(wrapped), &dirs.safety()),
            Verdict::Deny(_)
        ),
        "the rules should deny {wrapped}"
    );
    let mut agent = start(&dirs, None).await?;
    let body = async {
        agent.user("clean up").await?;
        let events = agent.turn().await?;
        ensure!(completed(&events, false), "{events:?}");
        ensure!(!asked(&events), "no approval asked: {events:?}");
        ensure!(
            tool_finished(&events, false, ""),
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
    agent.check(&server, body).await
}

#[tokio::test]
async fn codex_backend_interrupts_a_slow_stream() -> Result<()> {
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::slow_chunks(100, Duration::from_millis(100)))
            .then(Reply::text("Back after the interrupt.")),
    );
    let dirs = CodexDirs::new(&server, "backend-")?;
    let mut agent = start(&dirs, None).await?;
    let body = async {
        agent.user("SLOW please").await?;
        agent.deltas(3).await?;
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
    agent.check(&server, body).await
}

#[tokio::test]
async fn codex_backend_resumes_a_thread_in_a_new_process() -> Result<()> {
    const FIRST: &str = "Remember the word PELICAN-5521.";
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::text("Noted."))
            .then(Reply::text("It was PELICAN-5521.")),
    );
    let dirs = CodexDirs::new(&server, "backend-")?;
    let mut agent = start(&dirs, None).await?;
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

    let mut agent = start(&dirs, Some(thread.clone())).await?;
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
    agent.check(&server, body).await
}

#[tokio::test]
async fn codex_backend_fails_to_resume_an_unknown_thread() -> Result<()> {
    let server = OpenAiServer::start(Script::new());
    let dirs = CodexDirs::new(&server, "backend-")?;
    let unknown = "01a21499-dbff-7140-8234-da589e2ad194".to_owned();
    let err = match start(&dirs, Some(unknown)).await {
        Ok(_) => bail!("resuming an unknown thread started"),
        Err(e) => format!("{e:#}"),
    };
    ensure!(err.contains("could not resume"), "{err}");
    Ok(())
}
