//! Edit = fork and resume with the real pinned CLIs against the scripted model servers, through
//! `isomux serve`'s REST and WebSocket: three turns A, B, C; editing B forks the backend session
//! so the model's next request holds A, its answer and B' but not B or C; the original
//! conversation stays as it was; editing the first message starts with no history; resuming
//! the original gives the model A, B and C again. Plus the claude driver's recovery of a fork
//! whose session was never saved.

use isomux_core::backend::{
    Backend, ForkSpec, NormalizedEvent, SessionCommand, SessionHandle, SessionSpec, UserTurn,
};
use isomux_tests::backend_session::ClaudeDirs;
use isomux_tests::claude_office::ClaudeOffice;
use isomux_tests::codex_office::CodexOffice;
use isomux_tests::model_server::{ModelServer, RecordedRequest, Reply, Script};
use isomux_tests::{Client, Ws, is};
use serde_json::{Value, json};
use std::time::Duration;

/// The words of each turn: distinct so that one never contains another.
const A: &str = "alpha-1111";
const B: &str = "bravo-2222";
const C: &str = "charlie-3333";
const B2: &str = "bprime-4444";
const FIRST: &str = "fresh-5555";
const D: &str = "delta-6666";
const REPLY_A: &str = "reply-a-7777";
const REPLY_B: &str = "reply-b-8888";
const REPLY_C: &str = "reply-c-9999";

fn script() -> Script {
    Script::new()
        .then(Reply::text(REPLY_A))
        .then(Reply::text(REPLY_B))
        .then(Reply::text(REPLY_C))
        .otherwise(Reply::text("reply-later"))
}

/// Sends `text` and waits for the end of the turn it starts.
async fn turn(c: &Client, ws: &mut Ws, agent: &str, text: &str) -> anyhow::Result<()> {
    c.say(agent, text).await?;
    end_of_turn(ws, agent).await
}

async fn end_of_turn(ws: &mut Ws, agent: &str) -> anyhow::Result<()> {
    tokio::time::timeout(
        Duration::from_secs(120),
        ws.until("the end of the turn", |ev| {
            is(ev, "log_entry", agent) && ev["entry"]["kind"] == "turn_end"
        }),
    )
    .await??;
    Ok(())
}

fn texts(entries: &[Value], kind: &str) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| match kind {
            "user" => e["messages"][0]["text"].as_str(),
            _ => e["text"].as_str(),
        })
        .map(|t| t.unwrap_or_default().to_owned())
        .collect()
}

fn last_model_request(server: &ModelServer) -> RecordedRequest {
    server.model_requests().pop().expect("the model was called")
}

fn assert_sees(req: &RecordedRequest, present: &[&str], absent: &[&str]) {
    for p in present {
        assert!(req.contains(p), "the model request lacks {p}");
    }
    for a in absent {
        assert!(!req.contains(a), "the model request still holds {a}");
    }
}

/// The scenario, the same for every backend.
async fn edit_fork_and_resume(c: &Client, server: &ModelServer, agent: &str) -> anyhow::Result<()> {
    let mut ws = c.ws().await?;
    for text in [A, B, C] {
        turn(c, &mut ws, agent, text).await?;
    }
    let before = c.logs(agent).await?;
    assert_eq!(texts(&before, "user"), [A, B, C]);
    assert_eq!(texts(&before, "assistant"), [REPLY_A, REPLY_B, REPLY_C]);
    let original = before[0]["conversation_id"].as_str().unwrap().to_owned();
    let user_ids: Vec<String> = before
        .iter()
        .filter(|e| e["kind"] == "user")
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_sees(
        &last_model_request(server),
        &[A, REPLY_A, B, REPLY_B, C],
        &[],
    );

    // Edit B: the backend session is forked after A's turn.
    let calls = server.model_requests().len();
    let forked = c
        .patch(
            &format!("/api/agents/{agent}/messages/{}", user_ids[1]),
            json!({ "text": B2 }),
        )
        .await?
        .ok()?;
    let fork = forked["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(forked["conversation"]["forked_from"], original.as_str());
    end_of_turn(&mut ws, agent).await?;
    assert!(server.model_requests().len() > calls);
    assert_sees(
        &last_model_request(server),
        &[A, REPLY_A, B2],
        &[B, REPLY_B, C, REPLY_C],
    );
    let fork_logs = c.logs(agent).await?;
    assert_eq!(texts(&fork_logs, "user"), [A, B2]);
    assert_eq!(texts(&fork_logs, "assistant"), [REPLY_A, "reply-later"]);
    let kept = c
        .get(&format!(
            "/api/agents/{agent}/logs?limit=500&conversation_id={original}"
        ))
        .await?
        .ok()?;
    assert_eq!(kept["entries"].as_array().unwrap(), &before);
    let sessions = c
        .get(&format!("/api/agents/{agent}/sessions"))
        .await?
        .ok()?;
    let sessions = sessions["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let find = |id: &str| sessions.iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(find(&fork)["forked_from"], original.as_str());
    assert_eq!(find(&fork)["current"], true);
    assert_eq!(find(&original)["branched"], true);

    // Edit the very first message: a fresh session with no earlier turns.
    c.patch(
        &format!("/api/agents/{agent}/messages/{}", user_ids[0]),
        json!({ "text": FIRST }),
    )
    .await?
    .ok()?;
    end_of_turn(&mut ws, agent).await?;
    assert_sees(
        &last_model_request(server),
        &[FIRST],
        &[A, REPLY_A, B, B2, C],
    );
    assert_eq!(texts(&c.logs(agent).await?, "user"), [FIRST]);

    // Back to the original: the model sees A, B and C again, and nothing of the forks.
    let back = c
        .post(
            &format!("/api/agents/{agent}/resume"),
            json!({ "session_id": original }),
        )
        .await?
        .ok()?;
    assert_eq!(back["agent"]["conversation_id"], original.as_str());
    turn(c, &mut ws, agent, D).await?;
    assert_sees(
        &last_model_request(server),
        &[A, REPLY_A, B, REPLY_B, C, REPLY_C, D],
        &[B2, FIRST],
    );
    assert_eq!(texts(&c.logs(agent).await?, "user"), [A, B, C, D]);
    Ok(())
}

#[tokio::test]
async fn claude_edit_forks_at_the_message_and_resume_goes_back() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(script())?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let claude = c.backend("claude").await?;
    assert_eq!(claude["capabilities"]["fork"], true);
    assert_eq!(claude["capabilities"]["fork_at_message"], true);
    let id = c.hire("Ada", "claude", &work).await?;
    edit_fork_and_resume(&c, &office.server, &id).await?;
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn codex_edit_forks_at_the_message_and_resume_goes_back() -> anyhow::Result<()> {
    let office = CodexOffice::new(script())?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let codex = c.backend("codex").await?;
    assert_eq!(codex["capabilities"]["fork"], true);
    assert_eq!(codex["capabilities"]["fork_at_message"], true);
    let id = office.hire(&c, "Cody", &office.work("work")?).await?;
    let r = edit_fork_and_resume(&c, &office.server, &id).await;
    office.explain(&c, &id, r).await?;
    running.stop().await?;
    Ok(())
}

/// Runs one turn on a backend session; returns the last position it reported.
async fn backend_turn(h: &mut SessionHandle, text: &str) -> anyhow::Result<Option<String>> {
    h.commands
        .send(SessionCommand::Send(UserTurn {
            lines: Vec::new(),
            text: text.into(),
            attachments: Vec::new(),
        }))
        .await?;
    let mut position = None;
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), h.events.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the session ended during the turn"))?;
        match ev {
            NormalizedEvent::Position(p) => position = Some(p),
            NormalizedEvent::TurnCompleted { .. } => return Ok(position),
            NormalizedEvent::TurnFailed { message, .. } => anyhow::bail!("turn failed: {message}"),
            _ => {}
        }
    }
}

async fn close(mut h: SessionHandle) -> anyhow::Result<()> {
    h.commands.send(SessionCommand::Close).await?;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(30), h.events.recv()).await? {
        if matches!(ev, NormalizedEvent::Exited { .. }) {
            break;
        }
    }
    Ok(())
}

/// The office persists a fork's new claude session id before spawning; if the CLI dies before
/// saving that session, the next start resumes an id claude does not know. The driver then
/// forks again under that id instead of starting with no history.
#[tokio::test]
async fn a_claude_fork_that_was_never_saved_is_forked_again_under_its_id() -> anyhow::Result<()> {
    let dirs = ClaudeDirs::new()?;
    let server = isomux_tests::model_server::AnthropicServer::start(script());
    let base = dirs.spec(&server, "claude-sonnet-4-5", "");
    let spec =
        |resume: Option<&str>, session_id: Option<&str>, fork: Option<ForkSpec>| SessionSpec {
            resume: resume.map(Into::into),
            fork,
            session_id: session_id.map(Into::into),
            ..base.clone()
        };
    let backend = ClaudeDirs::backend()?;
    const SOURCE: &str = "0b5f0f3e-3c41-4d2a-9b7e-6a1c2d3e4f50";
    const FORK: &str = "7d2e9c1a-5b3f-4e8d-a6c4-2f1e0d9c8b7a";
    let mut h = backend.start(spec(None, Some(SOURCE), None)).await?;
    let after_a = backend_turn(&mut h, A).await?.expect("a position after A");
    backend_turn(&mut h, B).await?;
    close(h).await?;

    // FORK was chosen and stored by the office, but the CLI never saved it.
    let fork = ForkSpec {
        source_session: SOURCE.into(),
        at: Some(after_a),
    };
    let mut h = backend
        .start(spec(Some(FORK), None, Some(fork.clone())))
        .await?;
    match tokio::time::timeout(Duration::from_secs(10), h.events.recv()).await? {
        Some(NormalizedEvent::SessionId(id)) => assert_eq!(id, FORK),
        other => anyhow::bail!("expected the session id first, got {other:?}"),
    }
    backend_turn(&mut h, B2).await?;
    assert_sees(
        &last_model_request(&server),
        &[A, REPLY_A, B2],
        &[B, REPLY_B],
    );
    close(h).await?;
    // Now it is saved: resuming it continues the fork.
    let mut h = backend.start(spec(Some(FORK), None, Some(fork))).await?;
    backend_turn(&mut h, D).await?;
    assert_sees(
        &last_model_request(&server),
        &[A, REPLY_A, B2, D],
        &[B, REPLY_B],
    );
    close(h).await?;
    Ok(())
}
