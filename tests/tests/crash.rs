//! The crash test: `kill -9` the real `isomux` binary in the middle of a streamed turn (after
//! at least one `log_delta`, before the turn's `log_entry`), restart it on the same data dir,
//! and check that every acknowledged message and entry is there, the interrupted turn is marked
//! and the agent is not stuck in `thinking` — then the agent answers the next message.

use isomux_tests::process::ServerProcess;
use isomux_tests::{Client, is};
use serde_json::json;

#[tokio::test]
async fn kill_9_mid_turn_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let mut server = ServerProcess::start(&home, &[])?;
    let link = server
        .owner_link
        .clone()
        .expect("fresh office prints an owner link");
    let c = Client::accept(&server.url, &link, "Nil").await?;
    let demo = c.agent_id("Demo").await?;
    let mut ws = c.ws().await?;

    // One finished turn, then a slow one that we interrupt with SIGKILL.
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "first"}),
    )
    .await?
    .ok()?;
    ws.until("the first turn's end", |ev| {
        is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "/demo slow please"}),
    )
    .await?
    .ok()?;
    let delta = ws
        .until("a delta of the slow turn", |ev| is(ev, "log_delta", &demo))
        .await?;
    let streaming_entry = delta["entry_id"].clone();
    // Acknowledged while busy: this one sits in the queue.
    let queued = c
        .post(
            &format!("/api/agents/{demo}/messages"),
            json!({"text": "queued before the crash"}),
        )
        .await?
        .ok()?;
    assert_eq!(queued["queued"], true);
    let acknowledged = c.logs(&demo).await?;
    server.kill9()?;
    drop(ws);

    let server = ServerProcess::start(&home, &[])?;
    assert!(server.owner_link.is_none(), "the owner is kept");
    let mut c = c.clone();
    c.base = server.url.clone();
    c.origin = Some(server.url.clone());
    let after = c.logs(&demo).await?;
    for entry in &acknowledged {
        assert!(
            after.iter().any(|e| e["id"] == entry["id"] && e == entry),
            "acknowledged entry lost: {entry}"
        );
    }
    assert!(
        after
            .iter()
            .any(|e| e["kind"] == "user" && e["messages"][0]["text"] == "/demo slow please"),
        "the interrupted user turn is stored"
    );
    assert!(
        after
            .iter()
            .any(|e| e["kind"] == "system"
                && e["text"].as_str().unwrap_or("").contains("interrupted")),
        "the interrupted turn is marked: {after:#?}"
    );
    assert!(
        after.iter().all(|e| e["id"] != streaming_entry),
        "streaming deltas are not stored as entries"
    );
    // The message acknowledged into the queue before the crash is delivered after restart,
    // and the agent finishes that turn: it is not stuck in the interrupted one.
    let deadline = std::time::Instant::now() + isomux_tests::WAIT;
    loop {
        let logs = c.logs(&demo).await?;
        let replied = logs.iter().position(|e| {
            e["kind"] == "assistant"
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("queued before the crash"))
        });
        if let Some(i) = replied
            && logs[i..].iter().any(|e| e["kind"] == "turn_end")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the queued message was not answered after the restart: {logs:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let state = c.get("/api/state").await?.ok()?;
    let agent = state["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == demo.as_str())
        .expect("the agent is back")
        .clone();
    assert_eq!(agent["state"], "idle", "not stuck mid-turn");
    assert!(agent["queue"].as_array().unwrap().is_empty());

    let mut ws = c.ws().await?;
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "and after"}),
    )
    .await?
    .ok()?;
    ws.until("a reply after the restart", |ev| {
        is(ev, "log_entry", &demo)
            && ev["entry"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("and after"))
    })
    .await?;
    Ok(())
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let _first = ServerProcess::start(&home, &[])?;
    let second = ServerProcess::start(&home, &[]);
    assert!(second.is_err(), "the data dir is locked");
    Ok(())
}
