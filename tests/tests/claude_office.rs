//! The office with a real `claude` agent (the pinned CLI against the scripted Anthropic server),
//! driven like a browser would: spawn over REST, a streamed reply seen over the WebSocket, a
//! tool call approved over REST by a second connection, a destructive command denied by the
//! safety rules, and a restart after which the same backend session continues.

use isomux_tests::claude_office::ClaudeOffice;
use isomux_tests::is;
use isomux_tests::model_server::{Reply, Script};
use isomux_tests::process::children_matching;
use isomux_tests::replay::replayed_once;
use serde_json::json;

#[tokio::test]
async fn a_claude_agent_streams_asks_is_guarded_and_resumes() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(
        Script::new()
            .then(Reply::text("Hello from the scripted model."))
            .then(Reply::shell("touch marker_ok"))
            .then(Reply::text("Created the marker."))
            .then(Reply::shell("git reset --hard && touch executed_marker"))
            .then(Reply::text("The office refused that."))
            .otherwise(Reply::text("Welcome back.")),
    )?;
    let server = &office.server;
    let work = office.work("work")?;
    std::fs::create_dir_all(work.join("important"))?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let claude = c.backend("claude").await?;
    assert_eq!(claude["usable"], true, "{claude}");
    assert_eq!(claude["capabilities"]["interrupt"], true);

    let id = c
        .hire_with(
            json!({"name": "Ada", "backend": "claude", "cwd": work.to_string_lossy(),
                   "prompt": "Personal marker AG-9031."}),
        )
        .await?;
    let mut ws = c.ws().await?;
    let mut watcher = c.ws().await?;

    // 1. A streamed text turn, seen over the WebSocket.
    c.say(&id, "hello there").await?;
    ws.until("a text delta", |ev| is(ev, "log_delta", &id))
        .await?;
    ws.until("the assistant entry", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["text"] == "Hello from the scripted model."
    })
    .await?;
    ws.until("idle", |ev| {
        is(ev, "agent_state", &id) && ev["state"] == "idle"
    })
    .await?;
    let first = &server.model_requests()[0];
    assert!(
        first.contains("[Nil] hello there"),
        "the sender label reaches the model"
    );
    let system = first.system_text().unwrap_or_default();
    for layer in ["You are Ada", "OR-5512", "AG-9031"] {
        assert!(
            system.contains(layer),
            "system prompt lacks {layer}: {system}"
        );
    }
    // The CLI's own commands (from its `system/init`) join the composer's list, after ours.
    let skills = c.get(&format!("/api/agents/{id}/skills")).await?.ok()?;
    let listed = |name: &str| {
        skills["skills"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name))
            .map(|s| s["source"].clone())
    };
    assert_eq!(listed("compact"), Some(json!("backend")), "{skills}");
    assert_eq!(listed("isomux-diff"), Some(json!("office")), "{skills}");

    // 2. A tool call waits for approval; a second connection sees it and answers over REST.
    c.say(&id, "make a marker").await?;
    let approval = watcher.approval(&id).await?;
    assert!(
        !work.join("marker_ok").exists(),
        "nothing runs before approval"
    );
    c.answer(&id, &approval, json!({"allow": true})).await?;
    ws.until("the tool result", |ev| {
        is(ev, "log_entry", &id)
            && ev["entry"]["kind"] == "tool_call"
            && ev["entry"]["status"] == "ok"
    })
    .await?;
    ws.until("the reply after the tool", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["text"] == "Created the marker."
    })
    .await?;
    assert!(work.join("marker_ok").exists());

    // 3. A destructive command is denied by the safety rules and never runs or asks anyone.
    c.say(&id, "clean up").await?;
    let denied = ws
        .until("the denied tool", |ev| {
            (is(ev, "log_entry", &id)
                && ev["entry"]["kind"] == "tool_call"
                && ev["entry"]["status"] == "failed")
                || is(ev, "approval_requested", &id)
        })
        .await?;
    assert_eq!(denied["type"], "log_entry", "no human is asked: {denied}");
    ws.until("the reply after the denial", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["text"] == "The office refused that."
    })
    .await?;
    assert!(
        !work.join("executed_marker").exists(),
        "the denied command did not run"
    );
    let after_denial = server.model_requests().last().cloned().unwrap();
    assert!(after_denial.contains("git_reset_hard") || after_denial.contains("reset --hard"));
    drop(ws);
    drop(watcher);
    running.stop().await?;

    // 4. Restart: the next message continues the same Claude session.
    let running = office.start().await?;
    let mut c2 = c.clone();
    c2.base = running.url.clone();
    c2.origin = Some(running.url.clone());
    let mut ws = c2.ws().await?;
    c2.say(&id, "still there?").await?;
    ws.until("the resumed reply", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["text"] == "Welcome back."
    })
    .await?;
    let resumed = server.model_requests().last().cloned().unwrap();
    assert!(
        resumed.contains("hello there") && resumed.contains("still there?"),
        "the model sees the earlier turns after the restart"
    );
    println!("model requests: {}", server.model_requests().len());
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn an_agent_messages_another_agent_with_its_own_token() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(Script::new().otherwise(Reply::text("Done.")))?;
    let server = &office.server;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let demo = c.agent_id("Demo").await?;
    let ada_id = c
        .hire_with(
            json!({"name": "Ada", "backend": "claude", "cwd": work.to_string_lossy(),
                   "permission_mode": "auto"}),
        )
        .await?;
    let auth =
        r#"-H "Authorization: Bearer $ISOMUX_AGENT_TOKEN" -H 'content-type: application/json'"#;
    server.push_reply(Reply::shell(format!(
        "echo SEND=$(curl -s -o /dev/null -w '%{{http_code}}' -X POST \
         \"$ISOMUX_URL/api/agents/{demo}/messages\" {auth} -d '{{\"text\":\"hi Demo, from Ada\"}}'); \
         echo SPAWN=$(curl -s -o /dev/null -w '%{{http_code}}' -X POST \"$ISOMUX_URL/api/agents\" \
         {auth} -d '{{\"name\":\"X\",\"backend\":\"demo\",\"cwd\":\"/tmp\"}}'); \
         echo LIST=$(curl -s -o /dev/null -w '%{{http_code}}' \"$ISOMUX_URL/api/agents\" {auth}); \
         echo FAKE=$(curl -s -o /dev/null -w '%{{http_code}}' \"$ISOMUX_URL/api/agents\" \
         -H 'Authorization: Bearer isx_agent_forged')"
    )));
    let mut ws = c.ws().await?;
    c.say(&ada_id, "tell Demo hello").await?;
    // Demo's chat gets the message while Ada's tool is still running: watch for both.
    let (mut tool, mut delivered) = (None, None);
    while tool.is_none() || delivered.is_none() {
        let ev = ws.next().await?;
        if is(&ev, "log_entry", &ada_id)
            && ev["entry"]["kind"] == "tool_call"
            && ev["entry"]["status"] != "running"
        {
            tool = Some(ev);
        } else if is(&ev, "log_entry", &demo) && ev["entry"]["kind"] == "user" {
            delivered = Some(ev);
        }
    }
    let (tool, delivered) = (tool.unwrap(), delivered.unwrap());
    let out = tool["entry"]["output"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for want in ["SEND=200", "SPAWN=403", "LIST=200", "FAKE=401"] {
        assert!(
            out.contains(want),
            "{want} missing in the tool output: {out}"
        );
    }
    // Demo received it labelled as Ada: attribution comes from the token, not the body.
    let line = &delivered["entry"]["messages"][0];
    assert_eq!(line["sender"]["kind"], "agent");
    assert_eq!(line["sender"]["name"], "Ada");
    assert_eq!(line["sender"]["id"], ada_id.as_str());
    assert_eq!(line["text"], "hi Demo, from Ada");
    // No automatic reply goes back to Ada; Demo answers in its own chat.
    ws.until("Demo's reply in its own chat", |ev| {
        is(ev, "log_entry", &demo)
            && ev["entry"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("Hi Ada!"))
    })
    .await?;
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn the_watchdog_restarts_a_killed_cli_and_replays_the_turn_once() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(
        Script::new()
            .then(Reply::slow(
                "one two three four five six seven eight nine ten eleven twelve thirteen",
                std::time::Duration::from_millis(300),
            ))
            .otherwise(Reply::text("Recovered after the restart.")),
    )?;
    let server = &office.server;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = c.hire("Ada", "claude", &work).await?;
    let mut ws = c.ws().await?;
    c.say(&id, "please work W-7781").await?;
    ws.until("the slow stream", |ev| is(ev, "log_delta", &id))
        .await?;
    let pids = children_matching(&work, "--output-format");
    assert_eq!(pids.len(), 1, "one claude process: {pids:?}");
    let status = std::process::Command::new("kill")
        .args(["-9", &pids[0].to_string()])
        .status()?;
    assert!(status.success());
    let recovered = ws
        .until("the reply after the replay", |ev| {
            is(ev, "log_entry", &id) && ev["entry"]["text"] == "Recovered after the restart."
        })
        .await;
    if let Err(e) = recovered {
        let logs = c.logs(&id).await?;
        anyhow::bail!("{e:#}\nlog: {logs:#?}\nmodel server: {}", server.summary());
    }
    ws.until("the end of the replayed turn", |ev| {
        is(ev, "agent_state", &id) && ev["state"] == "idle"
    })
    .await?;
    replayed_once(&c, server, &id, "please work W-7781").await?;
    assert_eq!(
        children_matching(&work, "--output-format").len(),
        1,
        "one live CLI again"
    );
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn four_claude_agents_work_at_once_and_abort_is_per_agent() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(
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
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let mut ids = Vec::new();
    for name in ["Ann", "Ben", "Cy", "Di"] {
        let work = office.work(name)?;
        ids.push(c.hire(name, "claude", &work).await?);
    }
    let mut ws = c.ws().await?;
    // Ann streams slowly; the other three answer at the same time.
    c.say(&ids[0], "SLOW please").await?;
    for (i, id) in ids.iter().enumerate().skip(1) {
        c.say(id, &format!("ping {i}")).await?;
    }
    let mut done = std::collections::HashSet::new();
    let mut ann_streaming = false;
    while done.len() < 3 || !ann_streaming {
        let ev = ws.next().await?;
        if is(&ev, "log_delta", &ids[0]) {
            ann_streaming = true;
        }
        for id in &ids[1..] {
            if is(&ev, "log_entry", id) && ev["entry"]["kind"] == "turn_end" {
                done.insert(id.clone());
            }
        }
    }
    // Abort stops only Ann's turn; she answers the next message.
    c.post(&format!("/api/agents/{}/abort", ids[0]), json!({}))
        .await?
        .ok()?;
    ws.until("Ann's interrupted turn", |ev| {
        is(ev, "log_entry", &ids[0])
            && ev["entry"]["kind"] == "system"
            && ev["entry"]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Interrupted by Nil"))
    })
    .await?;
    c.say(&ids[0], "after abort").await?;
    ws.until("Ann's next reply", |ev| {
        is(ev, "log_entry", &ids[0])
            && ev["entry"]["kind"] == "assistant"
            && ev["entry"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("after abort"))
    })
    .await?;
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_pending_approval_survives_a_cli_restart() -> anyhow::Result<()> {
    // The same tool call before and after the restart (the replayed turn asks again).
    let office = ClaudeOffice::new(
        Script::new()
            .then(Reply::shell("touch survived_marker"))
            .then(Reply::shell("touch survived_marker"))
            .on_tool_result(Reply::text("Marker made.")),
    )?;
    let server = &office.server;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = c.hire("Ada", "claude", &work).await?;
    let mut ws = c.ws().await?;
    c.say(&id, "make the marker").await?;
    let approval = ws.approval(&id).await?;
    let pids = children_matching(&work, "--output-format");
    assert_eq!(pids.len(), 1, "{pids:?}");
    std::process::Command::new("kill")
        .args(["-9", &pids[0].to_string()])
        .status()?;
    // The restarted CLI asks again: the same card is reused, no second request.
    let marker = ws
        .until("the replay marker", |ev| {
            (is(ev, "log_entry", &id)
                && ev["entry"]["kind"] == "system"
                && ev["entry"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("replay")))
                || is(ev, "approval_requested", &id)
        })
        .await?;
    assert_eq!(marker["type"], "log_entry", "{marker}");
    // Wait until the replayed request reached the model and the CLI asked again.
    server
        .wait_for_model_requests(2, std::time::Duration::from_secs(10))
        .await?;
    let agent = c.agent_state(&id).await?;
    assert_eq!(agent["pending_approvals"].as_array().unwrap().len(), 1);
    assert_eq!(
        agent["pending_approvals"][0]["approval_id"],
        approval.as_str()
    );
    c.answer(&id, &approval, json!({"allow": true})).await?;
    let next = match ws
        .until("the reply", |ev| {
            (is(ev, "log_entry", &id) && ev["entry"]["text"] == "Marker made.")
                || is(ev, "approval_requested", &id)
        })
        .await
    {
        Ok(ev) => ev,
        Err(e) => {
            let logs = c.logs(&id).await?;
            anyhow::bail!("{e:#}\nlog: {logs:#?}\nmodel server: {}", server.summary());
        }
    };
    assert_eq!(next["type"], "log_entry", "no second approval card: {next}");
    assert!(work.join("survived_marker").exists());
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_model_change_restarts_the_cli_on_the_same_session() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(Script::new().otherwise(Reply::Echo))?;
    let server = &office.server;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = c
        .hire_with(
            json!({"name": "Ada", "backend": "claude", "cwd": work.to_string_lossy(),
                   "model": "claude-sonnet-5"}),
        )
        .await?;
    let mut ws = c.ws().await?;
    c.say(&id, "first M-1").await?;
    ws.until("the first turn's end", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    assert_eq!(server.model_requests()[0].body["model"], "claude-sonnet-5");
    let before = children_matching(&work, "--output-format");
    assert_eq!(before.len(), 1);
    c.patch(
        &format!("/api/agents/{id}"),
        json!({"model": "claude-opus-4-8"}),
    )
    .await?
    .ok()?;
    ws.until("the agent asleep", |ev| {
        is(ev, "agent_state", &id) && ev["state"] == "sleeping"
    })
    .await?;
    c.say(&id, "second M-2").await?;
    ws.until("the second turn's end", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    let last = server.model_requests().last().cloned().unwrap();
    assert_eq!(
        last.body["model"], "claude-opus-4-8",
        "the new model is used"
    );
    assert!(last.contains("first M-1"), "the same session continues");
    let after = children_matching(&work, "--output-format");
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "a new CLI process");
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn tokens_and_secret_env_values_never_reach_the_log() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(
        Script::new()
            .then(Reply::shell(
                "env | grep -E 'ISOMUX_AGENT_TOKEN|MY_SERVICE_TOKEN'",
            ))
            .on_tool_result(Reply::text("Printed the environment.")),
    )?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    // A secret-looking variable in the office layer.
    let mut office = c.get("/api/office/settings").await?.ok()?["office"].clone();
    office["env"]["MY_SERVICE_TOKEN"] = json!("supersecretvalue123");
    c.request("PUT", "/api/office/settings", Some(office))
        .await?
        .ok()?;
    let id = c
        .hire_with(
            json!({"name": "Ada", "backend": "claude", "cwd": work.to_string_lossy(),
                   "permission_mode": "auto"}),
        )
        .await?;
    let mut ws = c.ws().await?;
    c.say(&id, "show env").await?;
    let tool = ws
        .until("the env output", |ev| {
            is(ev, "log_entry", &id)
                && ev["entry"]["kind"] == "tool_call"
                && ev["entry"]["status"] == "ok"
        })
        .await?;
    // The real token, from the CLI's own environment.
    let pid = children_matching(&work, "--output-format");
    assert_eq!(pid.len(), 1);
    let environ = std::fs::read(format!("/proc/{}/environ", pid[0]))?;
    let token = String::from_utf8_lossy(&environ)
        .split('\0')
        .find_map(|kv| kv.strip_prefix("ISOMUX_AGENT_TOKEN=").map(str::to_owned))
        .expect("the CLI has its token");
    assert!(token.starts_with("isx_agent_"));
    let out = tool["entry"]["output"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(out.contains("ISOMUX_AGENT_TOKEN=[redacted]"), "{out}");
    assert!(out.contains("MY_SERVICE_TOKEN=[redacted]"), "{out}");
    ws.until("the reply", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["text"] == "Printed the environment."
    })
    .await?;
    let stored = serde_json::to_string(&c.logs(&id).await?)?;
    assert!(!stored.contains(&token), "the token is not stored");
    assert!(
        !stored.contains("supersecretvalue123"),
        "the secret is not stored"
    );
    running.stop().await?;
    Ok(())
}
