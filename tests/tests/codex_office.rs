//! The office with a real `codex` agent (the pinned CLI against the scripted OpenAI Responses
//! server): a streamed reply over the WebSocket, and the agent reaching the office from inside
//! codex's sandbox with `curl` and its own token to message the demo agent (design §12: codex
//! threads that must reach the office get network access).

use isomux_agents::codex::CodexBackend;
use isomux_agents::demo::DemoBackend;
use isomux_core::backend::Backend;
use isomux_tests::model_server::{OpenAiServer, Reply, Script};
use isomux_tests::process::{cli_bin, repo_root};
use isomux_tests::{Client, is};
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::test]
async fn a_codex_agent_streams_and_reaches_the_office() -> anyhow::Result<()> {
    // codex's sandbox refuses homes under /tmp: keep everything under target/.
    let parent = repo_root().join("target/test-codex-homes");
    std::fs::create_dir_all(&parent)?;
    let dir = tempfile::Builder::new()
        .prefix("office-")
        .tempdir_in(parent)?;
    let (home, cli_home, codex_home, work) = (
        dir.path().join("office"),
        dir.path().join("home"),
        dir.path().join("codex-home"),
        dir.path().join("work"),
    );
    for d in [&cli_home, &codex_home, &work] {
        std::fs::create_dir_all(d)?;
    }
    let server = OpenAiServer::start(Script::new().otherwise(Reply::text("Done.")));
    std::fs::write(codex_home.join("config.toml"), server.codex_config_toml())?;
    let codex: Arc<dyn Backend> = Arc::new(CodexBackend::with_bin(cli_bin("codex")?));
    let running = isomux::app::start(isomux::app::ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        data_dir: Some(home),
        ui: Some(isomux_server::UiSource::Placeholder),
        backends: Some(vec![codex, Arc::new(DemoBackend::default())]),
        ..Default::default()
    })
    .await?;
    let link = running.owner_link.clone().expect("owner link");
    let c = Client::accept(&running.url, &link, "Nil").await?;
    let mut env = serde_json::Map::new();
    env.insert("HOME".into(), json!(cli_home.to_string_lossy()));
    env.insert("CODEX_HOME".into(), json!(codex_home.to_string_lossy()));
    env.insert(
        OpenAiServer::API_KEY_ENV.into(),
        Value::String("sk-mock".into()),
    );
    c.request("PUT", "/api/office/settings", Some(json!({"env": env})))
        .await?
        .ok()?;
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
    c.post(
        &format!("/api/agents/{bob_id}/messages"),
        json!({"text": "hello"}),
    )
    .await?
    .ok()?;
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
    c.post(
        &format!("/api/agents/{bob_id}/messages"),
        json!({"text": "tell Demo hello"}),
    )
    .await?
    .ok()?;
    let req = ws
        .until("the approval request", |ev| {
            is(ev, "approval_requested", &bob_id)
        })
        .await?;
    let approval = req["approval_id"].as_str().unwrap().to_owned();
    c.post(
        &format!("/api/agents/{bob_id}/approvals/{approval}"),
        json!({"allow": true}),
    )
    .await?
    .ok()?;
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
