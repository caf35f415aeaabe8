//! REST and WebSocket end to end: a real server on 127.0.0.1:0 with a real SQLite file,
//! driven by HTTP and WebSocket clients like a browser would.

use isomux_tests::{Client, TestOffice, is};
use serde_json::json;

#[tokio::test]
async fn sign_in_and_errors_have_the_json_shape() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let anon = Client::anonymous(office.url());
    let r = anon.get("/api/agents").await?;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "unauthorized");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invite")
    );
    // Unknown API paths: 401 without credentials, 404 with.
    assert_eq!(anon.get("/api/nope").await?.status, 401);
    assert_eq!(anon.get("/readyz").await?.status, 200);

    // The confirm page never consumes the token.
    let link = office.running.owner_link.clone().unwrap();
    let page = reqwest::get(&link).await?;
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["referrer-policy"].to_str()?,
        "no-referrer",
        "token pages must not leak the token"
    );
    assert!(page.text().await?.contains("accept-form"));
    assert_eq!(reqwest::get(&link).await?.status(), 200);

    let owner = office.owner().await?;
    assert!(
        owner
            .cookie
            .as_ref()
            .unwrap()
            .starts_with("isomux_session=")
    );
    // Consumed: the same link no longer works.
    let again = Client::accept(office.url(), &link, "Mallory").await;
    assert!(again.is_err());
    let bad = anon
        .post("/auth/accept", json!({"token": "not-a-token"}))
        .await?;
    assert_eq!((bad.status, bad.code()), (400, "invite_invalid"));

    let me = owner.get("/api/me").await?.ok()?;
    assert_eq!(me["me"]["role"], "owner");
    assert_eq!(me["me"]["name"], "Nil");
    assert_eq!(owner.get("/api/nope").await?.status, 404);

    // Garbage cookie.
    let mut garbage = owner.clone();
    garbage.cookie = Some("isomux_session=garbage".into());
    assert_eq!(garbage.get("/api/agents").await?.status, 401);

    // Malformed JSON, wrong shapes, unknown ids.
    let r = owner.request("POST", "/api/rooms", None).await?;
    assert_eq!(
        r.status, 200,
        "an empty body is an empty object: {}",
        r.body
    );
    let raw = owner
        .http
        .post(format!("{}/api/agents", owner.base))
        .header("cookie", owner.cookie.clone().unwrap())
        .header("origin", office.url())
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await?;
    assert_eq!(raw.status(), 400);
    let body: serde_json::Value = raw.json().await?;
    assert_eq!(body["error"]["code"], "invalid_body");
    let r = owner.post("/api/agents", json!({"name": 7})).await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"));
    let r = owner.get("/api/agents/ag_missing/logs").await?;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = owner
        .post("/api/agents/ag_missing/messages", json!({"text": "hi"}))
        .await?;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    // Oversized body.
    let big = "x".repeat(2 * 1024 * 1024);
    let r = owner.post("/api/rooms", json!({"name": big})).await?;
    assert_eq!((r.status, r.code()), (413, "payload_too_large"));

    // Cross-origin state change with a valid cookie: 403.
    let mut evil = owner.clone();
    evil.origin = Some("http://evil.example".into());
    let r = evil.post("/api/rooms", json!({"name": "Evil"})).await?;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    // No Origin at all on a state change: 403 as well.
    evil.origin = None;
    assert_eq!(evil.post("/api/rooms", json!({})).await?.status, 403);
    // Reads need no Origin.
    assert_eq!(evil.get("/api/agents").await?.status, 200);

    // Logout ends the session.
    let r = owner.post("/auth/logout", json!({})).await?;
    assert_eq!(r.status, 200);
    assert_eq!(owner.get("/api/agents").await?.status, 401);
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn spawn_validation_and_agent_lifecycle() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let c = office.owner().await?;
    let cwd = office.dir.path().to_string_lossy().into_owned();
    let state = c.get("/api/state").await?.ok()?;
    assert_eq!(
        state["rooms"].as_array().unwrap().len(),
        1,
        "a fresh office has one room"
    );
    assert_eq!(state["agents"][0]["name"], "Demo", "and a demo agent");
    let room = state["rooms"][0]["id"].as_str().unwrap().to_owned();

    let r = c
        .post(
            "/api/agents",
            json!({"name": "Ada", "backend": "demo", "cwd": "relative/dir"}),
        )
        .await?;
    assert_eq!((r.status, r.code()), (400, "invalid_cwd"));
    let r = c
        .post(
            "/api/agents",
            json!({"name": "Ada", "backend": "demo", "cwd": "/definitely/not/here"}),
        )
        .await?;
    assert_eq!((r.status, r.code()), (400, "invalid_cwd"));
    let r = c
        .post(
            "/api/agents",
            json!({"name": "Ada", "backend": "gpt", "cwd": cwd}),
        )
        .await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"));
    let r = c
        .post(
            "/api/agents",
            json!({"name": "Ada", "backend": "demo", "cwd": cwd, "permission_mode": "yolo"}),
        )
        .await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"));

    let ada = c
        .post(
            "/api/agents",
            json!({"name": "Ada", "backend": "demo", "cwd": cwd}),
        )
        .await?
        .ok()?;
    let ada_id = ada["agent"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ada["agent"]["desk"], 2,
        "first free desk after the demo agent"
    );
    assert_eq!(
        ada["agent"]["model"], "demo-1",
        "the backend's default model"
    );
    assert_eq!(ada["agent"]["permission_mode"], "default");
    assert_eq!(ada["agent"]["room_id"], room);
    let r = c
        .post(
            "/api/agents",
            json!({"name": "ada", "backend": "demo", "cwd": cwd}),
        )
        .await?;
    assert_eq!(
        (r.status, r.code()),
        (409, "conflict"),
        "names are unique, case-insensitively"
    );

    // Fill the room: desks 3..8, then the ninth has no desk.
    for i in 3..=8 {
        c.post(
            "/api/agents",
            json!({"name": format!("A{i}"), "backend": "demo", "cwd": cwd}),
        )
        .await?
        .ok()?;
    }
    let r = c
        .post(
            "/api/agents",
            json!({"name": "Overflow", "backend": "demo", "cwd": cwd}),
        )
        .await?;
    assert_eq!(r.status, 409, "{}", r.body);
    let room2 = c.post("/api/rooms", json!({"name": "Lab"})).await?.ok()?;
    let room2_id = room2["room"]["id"].as_str().unwrap().to_owned();
    let o = c
        .post(
            "/api/agents",
            json!({"name": "Overflow", "backend": "demo", "cwd": cwd}),
        )
        .await?
        .ok()?;
    assert_eq!(o["agent"]["room_id"], room2_id.as_str());
    assert_eq!(o["agent"]["desk"], 1);

    // Edit, move, delete.
    let e = c
        .patch(
            &format!("/api/agents/{ada_id}"),
            json!({"name": "Ada L", "effort": "high", "prompt": "Be terse."}),
        )
        .await?
        .ok()?;
    assert_eq!(e["agent"]["name"], "Ada L");
    assert_eq!(e["agent"]["effort"], "high");
    let r = c
        .post(
            &format!("/api/agents/{ada_id}/move"),
            json!({"room_id": room2_id, "desk": 1}),
        )
        .await?;
    assert_eq!(r.status, 409, "desk 1 of Lab is taken");
    let m = c
        .post(
            &format!("/api/agents/{ada_id}/move"),
            json!({"room_id": room2_id, "desk": 5}),
        )
        .await?
        .ok()?;
    assert_eq!(m["agent"]["desk"], 5);
    let r = c.delete(&format!("/api/rooms/{room2_id}")).await?;
    assert_eq!(r.status, 409, "a room with agents cannot be deleted");
    c.delete(&format!("/api/agents/{ada_id}")).await?.ok()?;
    assert_eq!(
        c.delete(&format!("/api/agents/{ada_id}")).await?.status,
        404
    );
    let agents = c.get("/api/agents").await?.ok()?;
    assert!(
        agents["agents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != ada_id.as_str())
    );

    // Rooms and settings.
    let r = c
        .patch(&format!("/api/rooms/{room}"), json!({"name": "HQ"}))
        .await?
        .ok()?;
    assert_eq!(r["room"]["name"], "HQ");
    c.request(
        "PUT",
        &format!("/api/rooms/{room}/settings"),
        Some(json!({"prompt": "Use Rust.", "env": {"FOO": "1"}})),
    )
    .await?
    .ok()?;
    let s = c.get(&format!("/api/rooms/{room}/settings")).await?.ok()?;
    assert_eq!(s["env"]["FOO"], "1");
    let r = c
        .request(
            "PUT",
            &format!("/api/rooms/{room}/settings"),
            Some(json!({"env": {"ISOMUX_URL": "x"}})),
        )
        .await?;
    assert_eq!(r.status, 400);
    c.request(
        "PUT",
        "/api/office/settings",
        Some(json!({"name": "Acme", "prompt": "Be kind."})),
    )
    .await?
    .ok()?;
    assert_eq!(
        c.get("/api/office/settings").await?.ok()?["office"]["name"],
        "Acme"
    );
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn chat_streams_queues_coalesces_and_interrupts() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let c = office.owner().await?;
    let mut ws = c.ws().await?;
    let first = ws.next().await?;
    assert_eq!(first["type"], "full_state");
    assert_eq!(first["me"]["role"], "owner");
    let demo = c.agent_id("Demo").await?;

    // A streamed reply: deltas of one entry, then the finished entry with the same id.
    let sent = c
        .post(
            &format!("/api/agents/{demo}/messages"),
            json!({"text": "hello"}),
        )
        .await?
        .ok()?;
    assert_eq!(sent["queued"], false);
    let mut deltas = 0;
    let mut entry_id = None;
    loop {
        let ev = ws.next().await?;
        if is(&ev, "log_delta", &demo) {
            deltas += 1;
            entry_id.get_or_insert(ev["entry_id"].clone());
        }
        if is(&ev, "log_entry", &demo)
            && ev["entry"]["kind"] == "assistant"
            && Some(&ev["entry"]["id"]) == entry_id.as_ref()
        {
            assert_eq!(ev["entry"]["text"], "Let me take a look around first.");
            break;
        }
    }
    assert!(deltas >= 2, "streamed word by word ({deltas} deltas)");
    ws.until("the end of the turn", |ev| {
        is(ev, "agent_state", &demo) && ev["state"] == "idle"
    })
    .await?;
    let logs = c.logs(&demo).await?;
    let kinds: Vec<_> = logs.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["user", "assistant", "tool_call", "assistant", "turn_end"]
    );
    assert_eq!(logs[0]["messages"][0]["sender"]["name"], "Nil");
    assert_eq!(logs[2]["status"], "ok");
    assert!(logs[4]["usage"]["output_tokens"].as_u64().unwrap() > 0);

    // While the agent is busy, messages queue and are coalesced with their senders.
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "/demo slow"}),
    )
    .await?
    .ok()?;
    ws.until("the slow turn streaming", |ev| is(ev, "log_delta", &demo))
        .await?;
    let q1 = c
        .post(
            &format!("/api/agents/{demo}/messages"),
            json!({"text": "first queued"}),
        )
        .await?
        .ok()?;
    assert_eq!(q1["queued"], true);
    let q2 = c
        .post(
            &format!("/api/agents/{demo}/messages"),
            json!({"text": "second queued", "client_message_id": "c-1"}),
        )
        .await?
        .ok()?;
    let dup = c
        .post(
            &format!("/api/agents/{demo}/messages"),
            json!({"text": "second queued", "client_message_id": "c-1"}),
        )
        .await?
        .ok()?;
    assert_eq!(
        q2["message_id"], dup["message_id"],
        "client_message_id dedupes"
    );
    let q3 = c
        .post(
            &format!("/api/agents/{demo}/messages"),
            json!({"text": "cancel me"}),
        )
        .await?
        .ok()?;
    let queue = ws
        .until("three queued", |ev| {
            is(ev, "queue_updated", &demo) && ev["queue"].as_array().is_some_and(|q| q.len() == 3)
        })
        .await?;
    assert_eq!(queue["queue"][0]["sender"]["name"], "Nil");
    let q3_id = q3["message_id"].as_str().unwrap();
    c.delete(&format!("/api/agents/{demo}/queue/{q3_id}"))
        .await?
        .ok()?;
    assert_eq!(
        c.delete(&format!("/api/agents/{demo}/queue/{q3_id}"))
            .await?
            .status,
        404
    );

    // Send now: interrupts the slow turn and delivers the queue as one coalesced turn.
    c.post(&format!("/api/agents/{demo}/send-now"), json!({}))
        .await?
        .ok()?;
    let delivered = ws
        .until("the coalesced turn", |ev| {
            is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "user"
        })
        .await?;
    assert_eq!(
        delivered["entry"]["messages"][0]["text"],
        "first queued\nsecond queued"
    );
    ws.until("the end of the coalesced turn", |ev| {
        is(ev, "agent_state", &demo) && ev["state"] == "idle"
    })
    .await?;
    let logs = c.logs(&demo).await?;
    assert!(
        logs.iter().any(|e| e["kind"] == "system"
            && e["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("Interrupted by Nil")),
        "the interrupted turn is marked"
    );

    // Abort mid-turn, then the next message works.
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "/demo slow"}),
    )
    .await?
    .ok()?;
    ws.until("streaming", |ev| is(ev, "log_delta", &demo))
        .await?;
    c.post(&format!("/api/agents/{demo}/abort"), json!({}))
        .await?
        .ok()?;
    ws.until("idle after abort", |ev| {
        is(ev, "agent_state", &demo) && ev["state"] == "idle"
    })
    .await?;
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "still there?"}),
    )
    .await?
    .ok()?;
    ws.until("the reply after abort", |ev| {
        is(ev, "log_entry", &demo)
            && ev["entry"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("still there?"))
    })
    .await?;

    // Approval: the demo asks, a human answers over REST, everyone sees the outcome.
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "/demo approval"}),
    )
    .await?
    .ok()?;
    let req = ws
        .until("an approval request", |ev| {
            is(ev, "approval_requested", &demo)
        })
        .await?;
    let approval = req["approval_id"].as_str().unwrap();
    let st = c.get("/api/state").await?.ok()?;
    let agent = st["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == demo.as_str())
        .unwrap()
        .clone();
    assert_eq!(agent["state"], "waiting_approval");
    assert_eq!(agent["pending_approvals"][0]["approval_id"], approval);
    c.post(
        &format!("/api/agents/{demo}/approvals/{approval}"),
        json!({"allow": true}),
    )
    .await?
    .ok()?;
    let r = c
        .post(
            &format!("/api/agents/{demo}/approvals/{approval}"),
            json!({"allow": false}),
        )
        .await?;
    assert_eq!(r.status, 409, "resolving twice is a conflict");
    let resolved = ws
        .until("the resolution", |ev| is(ev, "approval_resolved", &demo))
        .await?;
    assert_eq!(resolved["allow"], true);
    assert_eq!(resolved["by"], "Nil");
    ws.until("the approved tool ran", |ev| {
        is(ev, "log_entry", &demo)
            && ev["entry"]["kind"] == "tool_call"
            && ev["entry"]["status"] == "ok"
    })
    .await?;

    // Ping/pong and presence over the socket.
    ws.send(json!({"type": "ping"})).await?;
    ws.until("pong", |ev| ev["type"] == "pong").await?;
    ws.send(json!({"type": "presence_update", "agent_id": demo, "view": "chat"}))
        .await?;
    let p = ws
        .until("presence", |ev| ev["type"] == "presence_list")
        .await?;
    assert_eq!(p["presence"][0]["agent_id"], demo.as_str());
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn websocket_requires_cookie_and_same_origin() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let c = office.owner().await?;
    let mut anon = c.clone();
    anon.cookie = None;
    assert!(anon.ws().await.is_err(), "no cookie, no socket");
    let mut evil = c.clone();
    evil.origin = Some("http://evil.example".into());
    assert!(
        evil.ws().await.is_err(),
        "cross-site WebSocket hijacking is refused"
    );
    let mut none = c.clone();
    none.origin = None;
    assert!(
        none.ws().await.is_err(),
        "a WebSocket without Origin is refused"
    );
    let mut ws = c.ws().await?;
    assert_eq!(ws.next().await?["type"], "full_state");
    // Logging out closes the socket within a couple of seconds.
    c.post("/auth/logout", json!({})).await?.ok()?;
    let ev = ws
        .until("session_expired", |ev| ev["type"] == "session_expired")
        .await?;
    assert_eq!(ev["type"], "session_expired");
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn everything_survives_a_clean_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let running = TestOffice::start_in(home.clone()).await?;
    let link = running.owner_link.clone().unwrap();
    let c = Client::accept(&running.url, &link, "Nil").await?;
    let cwd = dir.path().to_string_lossy().into_owned();
    let ada = c
        .post(
            "/api/agents",
            json!({"name": "Ada", "backend": "demo", "cwd": cwd, "prompt": "p"}),
        )
        .await?
        .ok()?;
    let ada_id = ada["agent"]["id"].as_str().unwrap().to_owned();
    let mut ws = c.ws().await?;
    c.post(
        &format!("/api/agents/{ada_id}/messages"),
        json!({"text": "remember me"}),
    )
    .await?
    .ok()?;
    ws.until("the end of the turn", |ev| {
        is(ev, "log_entry", &ada_id) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    let before = c.logs(&ada_id).await?;
    drop(ws);
    running.stop().await?;

    let running = TestOffice::start_in(home).await?;
    assert!(
        running.owner_link.is_none(),
        "the office has an owner: no new owner link"
    );
    let mut c2 = c.clone();
    c2.base = running.url.clone();
    c2.origin = Some(running.url.clone());
    assert_eq!(
        c2.get("/api/me").await?.status,
        200,
        "sessions survive restarts"
    );
    let after = c2.logs(&ada_id).await?;
    assert_eq!(before, after);
    // The snapshot (`/api/state`) leaves prompts out; the agent list carries them.
    let st = c2.get("/api/agents").await?.ok()?;
    let a = st["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == ada_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(a["prompt"], "p");
    assert_eq!(a["state"], "sleeping", "CLIs are resumed lazily");
    assert!(
        a["usage"]["output_tokens"].as_u64().unwrap() > 0,
        "usage is kept"
    );
    running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn permission_modes_answer_approvals() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let c = office.owner().await?;
    let cwd = office.dir.path().to_string_lossy().into_owned();
    let mut ws = c.ws().await?;
    for (mode, want) in [
        ("auto", Some(true)),
        ("plan", Some(false)),
        ("accept_edits", None),
    ] {
        let a = c
            .post(
                "/api/agents",
                json!({"name": format!("M-{mode}"), "backend": "demo", "cwd": cwd,
                       "permission_mode": mode}),
            )
            .await?
            .ok()?;
        let id = a["agent"]["id"].as_str().unwrap().to_owned();
        c.post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "/demo approval"}),
        )
        .await?
        .ok()?;
        let ev = ws
            .until("the approval outcome", |ev| {
                is(ev, "approval_resolved", &id) || is(ev, "approval_requested", &id)
            })
            .await?;
        match want {
            Some(allow) => {
                assert_eq!(
                    ev["type"], "approval_resolved",
                    "{mode}: answered by the mode"
                );
                assert_eq!(ev["allow"], allow, "{mode}");
                assert_eq!(ev["by"], format!("{mode} mode"));
                let tool = ws
                    .until("the tool result", |ev| {
                        is(ev, "log_entry", &id)
                            && ev["entry"]["kind"] == "tool_call"
                            && ev["entry"]["status"] != "running"
                    })
                    .await?;
                assert_eq!(tool["entry"]["status"], if allow { "ok" } else { "failed" });
                if !allow {
                    let out = tool["entry"]["output"].as_str().unwrap_or_default();
                    assert!(
                        out.contains("plan mode"),
                        "the reason reaches the agent: {out}"
                    );
                }
            }
            None => {
                assert_eq!(
                    ev["type"], "approval_requested",
                    "{mode}: a shell command asks"
                );
                let approval = ev["approval_id"].as_str().unwrap();
                c.post(
                    &format!("/api/agents/{id}/approvals/{approval}"),
                    json!({"allow": false}),
                )
                .await?
                .ok()?;
            }
        }
    }
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn the_live_session_cap_puts_the_least_recent_idle_agent_to_sleep() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let running = isomux::app::start(isomux::app::ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        data_dir: Some(dir.path().join("home")),
        ui: Some(isomux_server::UiSource::Placeholder),
        max_live_sessions: Some(2),
        ..Default::default()
    })
    .await?;
    let link = running.owner_link.clone().unwrap();
    let c = Client::accept(&running.url, &link, "Nil").await?;
    let cwd = dir.path().to_string_lossy().into_owned();
    let mut ids = vec![c.agent_id("Demo").await?];
    for name in ["Ann", "Ben"] {
        let a = c
            .post(
                "/api/agents",
                json!({"name": name, "backend": "demo", "cwd": cwd}),
            )
            .await?
            .ok()?;
        ids.push(a["agent"]["id"].as_str().unwrap().to_owned());
    }
    let mut ws = c.ws().await?;
    for id in &ids {
        c.post(&format!("/api/agents/{id}/messages"), json!({"text": "hi"}))
            .await?
            .ok()?;
        ws.until("the turn's end", |ev| {
            is(ev, "agent_state", id) && ev["state"] == "idle"
        })
        .await?;
    }
    let state = c.get("/api/state").await?.ok()?;
    let state_of = |id: &str| {
        state["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["state"].clone())
            .unwrap()
    };
    assert_eq!(
        state_of(&ids[0]),
        "sleeping",
        "the least recently active sleeps"
    );
    assert_eq!(state_of(&ids[1]), "idle");
    assert_eq!(state_of(&ids[2]), "idle");
    // The sleeper wakes on its next message (and someone else goes to sleep).
    c.post(
        &format!("/api/agents/{}/messages", ids[0]),
        json!({"text": "again"}),
    )
    .await?
    .ok()?;
    ws.until("the sleeper's reply", |ev| {
        is(ev, "log_entry", &ids[0])
            && ev["entry"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("again"))
    })
    .await?;
    let state = c.get("/api/state").await?.ok()?;
    let ann = state["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == ids[1].as_str())
        .unwrap()
        .clone();
    assert_eq!(
        ann["state"], "sleeping",
        "now Ann was the least recently active"
    );
    running.stop().await?;
    Ok(())
}

/// The user texts of a page of entries, in order.
fn user_texts(entries: &[serde_json::Value]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["kind"] == "user")
        .map(|e| {
            e["messages"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Sends `text` to the demo agent and waits for the end of its turn.
async fn demo_turn(
    c: &Client,
    ws: &mut isomux_tests::Ws,
    demo: &str,
    text: &str,
) -> anyhow::Result<()> {
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": text}),
    )
    .await?
    .ok()?;
    ws.until("the end of the turn", |ev| {
        is(ev, "log_entry", demo) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    Ok(())
}

/// Edit = fork and switching back, over REST with the demo backend: the contract (200 shapes,
/// 404/400/409), the fork's log assembled from its ancestors (paging included), the session
/// list's `forked_from`/`branched`, and the original conversation left untouched.
#[tokio::test]
async fn editing_a_message_forks_and_resume_switches_back() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let c = office.owner().await?;
    let mut ws = c.ws().await?;
    let demo = c.agent_id("Demo").await?;
    let state = c.get("/api/state").await?.ok()?;
    let caps = &state["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "demo")
        .unwrap()["capabilities"];
    assert_eq!(caps["fork"], true);
    assert_eq!(caps["fork_at_message"], true);
    for text in ["alpha", "beta", "gamma"] {
        demo_turn(&c, &mut ws, &demo, text).await?;
    }
    let original = c.logs(&demo).await?;
    assert_eq!(user_texts(&original), ["alpha", "beta", "gamma"]);
    let original_conv = original[0]["conversation_id"].as_str().unwrap().to_owned();
    let users: Vec<String> = original
        .iter()
        .filter(|e| e["kind"] == "user")
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let assistant = original.iter().find(|e| e["kind"] == "assistant").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The contract's errors.
    let edit = |entry: &str| format!("/api/agents/{demo}/messages/{entry}");
    let r = c.patch(&edit("en_nope"), json!({"text": "x"})).await?;
    assert_eq!((r.status, r.code()), (404, "not_found"), "{}", r.body);
    let r = c.patch(&edit(&assistant), json!({"text": "x"})).await?;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = c.patch(&edit(&users[1]), json!({"text": "  "})).await?;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = c
        .post(
            &format!("/api/agents/{demo}/resume"),
            json!({"session_id": "cv_nope"}),
        )
        .await?;
    assert_eq!(r.status, 404, "{}", r.body);
    c.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "/demo slow"}),
    )
    .await?
    .ok()?;
    ws.until("the slow turn streaming", |ev| is(ev, "log_delta", &demo))
        .await?;
    let r = c.patch(&edit(&users[1]), json!({"text": "x"})).await?;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.to_string().contains("interrupt first"), "{}", r.body);
    c.post(&format!("/api/agents/{demo}/abort"), json!({}))
        .await?
        .ok()?;
    ws.until("the end of the slow turn", |ev| {
        is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    let before_edit = c.logs(&demo).await?;

    // Edit "beta": a fork with alpha's turn, then the edited message and its reply.
    let forked = c
        .patch(&edit(&users[1]), json!({"text": "beta prime"}))
        .await?
        .ok()?;
    let fork_conv = forked["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        forked["conversation"]["forked_from"],
        original_conv.as_str()
    );
    assert_eq!(forked["agent"]["conversation_id"], fork_conv.as_str());
    assert!(forked["message_id"].is_string());
    ws.until("the fork's turn", |ev| {
        is(ev, "log_entry", &demo)
            && ev["entry"]["kind"] == "turn_end"
            && ev["entry"]["conversation_id"] == fork_conv.as_str()
    })
    .await?;
    let fork_logs = c.logs(&demo).await?;
    assert_eq!(user_texts(&fork_logs), ["alpha", "beta prime"]);
    assert_eq!(fork_logs[0]["conversation_id"], original_conv.as_str());
    assert_eq!(
        fork_logs.last().unwrap()["conversation_id"],
        fork_conv.as_str()
    );
    assert_eq!(fork_logs[1]["kind"], "assistant");
    // Paging walks into the ancestor.
    let page = c
        .get(&format!("/api/agents/{demo}/logs?limit=2"))
        .await?
        .ok()?;
    let mut all = page["entries"].as_array().unwrap().clone();
    let mut before = page["next_before"].clone();
    while let Some(b) = before.as_i64() {
        let p = c
            .get(&format!("/api/agents/{demo}/logs?limit=2&before={b}"))
            .await?
            .ok()?;
        let mut older = p["entries"].as_array().unwrap().clone();
        older.append(&mut all);
        all = older;
        before = p["next_before"].clone();
    }
    assert_eq!(all, fork_logs);
    // The original is untouched.
    let kept = c
        .get(&format!(
            "/api/agents/{demo}/logs?limit=500&conversation_id={original_conv}"
        ))
        .await?
        .ok()?;
    assert_eq!(kept["entries"].as_array().unwrap(), &before_edit);
    let same = c
        .get(&format!(
            "/api/agents/{demo}/logs?limit=500&session={original_conv}"
        ))
        .await?
        .ok()?;
    assert_eq!(
        same, kept,
        "`session` names the conversation too (design §6)"
    );
    let sessions = c.get(&format!("/api/agents/{demo}/sessions")).await?.ok()?;
    let sessions = sessions["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["id"], fork_conv.as_str());
    assert_eq!(sessions[0]["forked_from"], original_conv.as_str());
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(sessions[0]["branched"], false);
    assert_eq!(sessions[1]["id"], original_conv.as_str());
    assert_eq!(sessions[1]["current"], false);
    assert_eq!(sessions[1]["branched"], true);

    // Editing the fork's own message again forks at the same point; editing the very first
    // message starts over with no history.
    let own = fork_logs.iter().rfind(|e| e["kind"] == "user").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = c
        .patch(&edit(&own), json!({"text": "beta 2"}))
        .await?
        .ok()?;
    assert_eq!(again["conversation"]["forked_from"], fork_conv.as_str());
    ws.until("the second fork's turn", |ev| {
        is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    assert_eq!(user_texts(&c.logs(&demo).await?), ["alpha", "beta 2"]);
    let fresh = c
        .patch(&edit(&users[0]), json!({"text": "alpha prime"}))
        .await?
        .ok()?;
    assert_eq!(fresh["conversation"]["forked_from"], original_conv.as_str());
    ws.until("the fresh turn", |ev| {
        is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    let fresh_logs = c.logs(&demo).await?;
    assert_eq!(user_texts(&fresh_logs), ["alpha prime"]);
    assert_eq!(fresh_logs[0]["kind"], "user");

    // Back to the original: the next message continues it.
    let back = c
        .post(
            &format!("/api/agents/{demo}/resume"),
            json!({"session_id": original_conv}),
        )
        .await?
        .ok()?;
    assert_eq!(back["agent"]["conversation_id"], original_conv.as_str());
    demo_turn(&c, &mut ws, &demo, "delta").await?;
    assert_eq!(
        user_texts(&c.logs(&demo).await?),
        ["alpha", "beta", "gamma", "/demo slow", "delta"]
    );
    office.running.stop().await?;
    Ok(())
}

/// The demo backend with `fork_at_message` switched off, to check how the office refuses.
struct DemoWithoutForks(isomux_agents::demo::DemoBackend);

impl isomux_core::backend::Backend for DemoWithoutForks {
    fn describe(&self) -> isomux_core::backend::BackendDescription {
        let mut d = self.0.describe();
        d.capabilities.fork = false;
        d.capabilities.fork_at_message = false;
        d
    }
    fn start(&self, spec: isomux_core::backend::SessionSpec) -> isomux_core::backend::StartFuture {
        self.0.start(spec)
    }
}

/// A backend that cannot fork at a message: editing a later message is 409 with the reason;
/// editing the first one still works (it needs no fork: a fresh session).
#[tokio::test]
async fn a_backend_without_forks_refuses_edits_but_the_first() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let running = isomux::app::start(isomux::app::ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        data_dir: Some(dir.path().join("home")),
        ui: Some(isomux_server::UiSource::Placeholder),
        backends: Some(vec![std::sync::Arc::new(DemoWithoutForks(
            isomux_agents::demo::DemoBackend::default(),
        ))]),
        ..Default::default()
    })
    .await?;
    let link = running.owner_link.clone().expect("owner link");
    let c = Client::accept(&running.url, &link, "Nil").await?;
    let mut ws = c.ws().await?;
    let demo = c.agent_id("Demo").await?;
    for text in ["one", "two"] {
        demo_turn(&c, &mut ws, &demo, text).await?;
    }
    let logs = c.logs(&demo).await?;
    let users: Vec<&str> = logs
        .iter()
        .filter(|e| e["kind"] == "user")
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let r = c
        .patch(
            &format!("/api/agents/{demo}/messages/{}", users[1]),
            json!({"text": "two again"}),
        )
        .await?;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.to_string().contains("cannot fork"),
        "the reason is given: {}",
        r.body
    );
    assert_eq!(user_texts(&c.logs(&demo).await?), ["one", "two"]);
    c.patch(
        &format!("/api/agents/{demo}/messages/{}", users[0]),
        json!({"text": "one again"}),
    )
    .await?
    .ok()?;
    ws.until("the fresh turn", |ev| {
        is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;
    assert_eq!(user_texts(&c.logs(&demo).await?), ["one again"]);
    running.stop().await?;
    Ok(())
}
