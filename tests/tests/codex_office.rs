//! The office with a real `codex` agent (the pinned CLI against the scripted OpenAI Responses
//! server): a streamed reply over the WebSocket, and the agent reaching the office from inside
//! codex's sandbox with `curl` and its own token to message the demo agent (design §12: codex
//! threads that must reach the office get network access).

use isomux_tests::codex_office::CodexOffice;
use isomux_tests::is;
use isomux_tests::model_server::{Reply, Script};
use isomux_tests::process::children_matching;
use isomux_tests::replay::replayed_once;
use serde_json::json;
use std::path::Path;

#[tokio::test]
async fn a_codex_agent_streams_and_reaches_the_office() -> anyhow::Result<()> {
    let office = CodexOffice::new(Script::new().otherwise(Reply::text("Done.")))?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let server = &office.server;
    let demo = c.agent_id("Demo").await?;
    let bob = c
        .post(
            "/api/agents",
            json!({"name": "Bob", "backend": "codex", "cwd": work.to_string_lossy(),
                   "prompt": "Personal marker CX-4410."}),
        )
        .await?
        .ok()?;
    let bob_id = bob["agent"]["id"].as_str().unwrap().to_owned();
    assert_eq!(bob["agent"]["model"], "gpt-5.5");
    let mut ws = c.ws().await?;

    // A streamed text turn.
    server.push_reply(Reply::text("Hello from the scripted Responses API."));
    c.say(&bob_id, "hello").await?;
    ws.until("a delta", |ev| is(ev, "log_delta", &bob_id))
        .await?;
    ws.until("the reply", |ev| {
        is(ev, "log_entry", &bob_id)
            && ev["entry"]["text"] == "Hello from the scripted Responses API."
    })
    .await?;
    let first = &server.model_requests()[0];
    assert!(first.contains("[Nil] hello"));
    assert!(
        first.system_text().unwrap_or_default().contains("CX-4410"),
        "the assembled prompt reaches codex's instructions"
    );

    // The agent calls the office from inside the sandbox; the human approves the command.
    server.push_reply(Reply::shell(format!(
        "curl -s -o /dev/null -w 'SEND=%{{http_code}}' -X POST \
         \"$ISOMUX_URL/api/agents/{demo}/messages\" \
         -H \"Authorization: Bearer $ISOMUX_AGENT_TOKEN\" -H 'content-type: application/json' \
         -d '{{\"text\":\"hi Demo, from Bob\"}}'"
    )));
    c.say(&bob_id, "tell Demo hello").await?;
    let approval = ws.approval(&bob_id).await?;
    c.answer(&bob_id, &approval, json!({"allow": true})).await?;
    let delivered = ws
        .until("the message in Demo's chat", |ev| {
            is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "user"
        })
        .await?;
    let line = &delivered["entry"]["messages"][0];
    assert_eq!(line["sender"]["name"], "Bob");
    assert_eq!(line["sender"]["kind"], "agent");
    assert_eq!(line["text"], "hi Demo, from Bob");
    running.stop().await?;
    Ok(())
}

/// The pid of the native `codex app-server` run for the agent working in `cwd`. The pinned
/// `codex` is the npm wrapper: `node …/codex.js app-server` (this process's child) either
/// `execve`s the native binary (newer Node: one process) or spawns it as its own child and
/// waits for it. Killing the native binary is the CLI dying: the wrapper then dies of the same
/// signal. (Killing only the wrapper would leave the native process running on the office's
/// pipes, so the office would not see an exit.)
fn codex_app_server(cwd: &Path) -> anyhow::Result<u32> {
    let wrappers = children_matching(cwd, "app-server");
    anyhow::ensure!(wrappers.len() == 1, "one codex app-server: {wrappers:?}");
    let wrapper = wrappers[0];
    let children = std::fs::read_to_string(format!("/proc/{wrapper}/task/{wrapper}/children"))
        .unwrap_or_default();
    let native = children
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .find(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("app-server"))
        });
    Ok(native.unwrap_or(wrapper))
}

#[tokio::test]
async fn the_watchdog_restarts_a_killed_codex_and_replays_the_turn_once() -> anyhow::Result<()> {
    watchdog_replays_after_kill(false).await
}

/// Only the npm wrapper dies (OOM killer, say) while the native codex lives on holding the
/// office's pipes: the driver notices its child's exit, kills the group and the watchdog
/// replays as for any crash.
#[tokio::test]
async fn the_watchdog_notices_when_only_the_wrapper_dies() -> anyhow::Result<()> {
    watchdog_replays_after_kill(true).await
}

async fn watchdog_replays_after_kill(wrapper_only: bool) -> anyhow::Result<()> {
    let office = CodexOffice::new(
        Script::new()
            .then(Reply::slow(
                "one two three four five six seven eight nine ten eleven twelve thirteen",
                std::time::Duration::from_millis(300),
            ))
            .otherwise(Reply::text("Recovered after the restart.")),
    )?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = office.hire(&c, "Ada", &work).await?;
    let mut ws = c.ws().await?;
    c.say(&id, "please work W-7781").await?;
    let r = ws
        .until("the slow stream", |ev| is(ev, "log_delta", &id))
        .await;
    office.explain(&c, &id, r).await?;
    let pid = if wrapper_only {
        let direct = children_matching(&work, "app-server");
        anyhow::ensure!(direct.len() == 1, "one codex app-server: {direct:?}");
        direct[0]
    } else {
        codex_app_server(&work)?
    };
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()?;
    assert!(status.success());
    let r = ws
        .until("the reply after the replay", |ev| {
            is(ev, "log_entry", &id) && ev["entry"]["text"] == "Recovered after the restart."
        })
        .await;
    office.explain(&c, &id, r).await?;
    let r = ws
        .until("the end of the replayed turn", |ev| {
            is(ev, "agent_state", &id) && ev["state"] == "idle"
        })
        .await;
    office.explain(&c, &id, r).await?;
    replayed_once(&c, &office.server, &id, "please work W-7781").await?;
    assert_eq!(
        children_matching(&work, "app-server").len(),
        1,
        "one live codex again"
    );
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_codex_agent_resumes_its_thread_after_an_office_restart() -> anyhow::Result<()> {
    let office = CodexOffice::new(Script::new().otherwise(Reply::Echo))?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = office.hire(&c, "Ada", &work).await?;
    let conversation = c.agent_state(&id).await?["conversation_id"].clone();
    assert!(
        conversation.is_string(),
        "a conversation id: {conversation}"
    );
    let mut ws = c.ws().await?;
    c.say(&id, "remember RS-3321").await?;
    let r = ws
        .until("the first reply", |ev| {
            is(ev, "log_entry", &id) && ev["entry"]["text"] == "You said: [Nil] remember RS-3321"
        })
        .await;
    office.explain(&c, &id, r).await?;
    let r = ws
        .until("the end of the first turn", |ev| {
            is(ev, "agent_state", &id) && ev["state"] == "idle"
        })
        .await;
    office.explain(&c, &id, r).await?;
    drop(ws);
    running.stop().await?;

    // The same data dir, a new office: the next message resumes codex's thread.
    let running = office.start().await?;
    let mut c2 = c.clone();
    c2.base = running.url.clone();
    c2.origin = Some(running.url.clone());
    let mut ws = c2.ws().await?;
    c2.say(&id, "still there?").await?;
    let r = ws
        .until("the resumed reply", |ev| {
            is(ev, "log_entry", &id) && ev["entry"]["text"] == "You said: [Nil] still there?"
        })
        .await;
    office.explain(&c2, &id, r).await?;
    let resumed = office.server.model_requests().last().cloned().unwrap();
    assert!(
        resumed.contains("RS-3321") && resumed.contains("still there?"),
        "the model sees the first turn after the restart:\n{}",
        office.server.summary()
    );
    assert_eq!(
        c2.agent_state(&id).await?["conversation_id"],
        conversation,
        "the same conversation"
    );
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn abort_interrupts_a_codex_turn_and_the_next_message_works() -> anyhow::Result<()> {
    let office = CodexOffice::new(
        Script::new()
            .on(
                "SLOW",
                Reply::slow(
                    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
                    std::time::Duration::from_millis(200),
                ),
            )
            .otherwise(Reply::Echo),
    )?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = office.hire(&c, "Ann", &work).await?;
    let mut ws = c.ws().await?;
    c.say(&id, "SLOW please").await?;
    let r = ws
        .until("the slow stream", |ev| is(ev, "log_delta", &id))
        .await;
    office.explain(&c, &id, r).await?;
    c.post(&format!("/api/agents/{id}/abort"), json!({}))
        .await?
        .ok()?;
    let r = ws
        .until("the interrupted turn", |ev| {
            is(ev, "log_entry", &id)
                && ev["entry"]["kind"] == "system"
                && ev["entry"]["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Interrupted by Nil"))
        })
        .await;
    office.explain(&c, &id, r).await?;
    c.say(&id, "after abort").await?;
    let r = ws
        .until("the next reply", |ev| {
            is(ev, "log_entry", &id)
                && ev["entry"]["kind"] == "assistant"
                && ev["entry"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("after abort"))
        })
        .await;
    office.explain(&c, &id, r).await?;
    let logs = c.logs(&id).await?;
    assert!(
        !logs
            .iter()
            .any(|e| e["kind"] == "assistant"
                && e["text"].as_str().is_some_and(|t| t.contains(" z"))),
        "the slow stream did not run to its end: {logs:#?}"
    );
    let r = ws
        .until("idle again", |ev| {
            is(ev, "agent_state", &id) && ev["state"] == "idle"
        })
        .await;
    office.explain(&c, &id, r).await?;
    running.stop().await?;
    Ok(())
}
