//! Scale of the push channel's snapshot (design §9): an office of 32 demo agents, each with a
//! 2 KB prompt, a topic, 5 queued messages and 1 pending approval, built through REST on a
//! real office (real SQLite, real loopback HTTP/WS), plus 50 tasks. The `full_state` a browser
//! receives on connect must stay under 64 KB; the test prints its size and what fills it. (The
//! prompts alone are 64 KB, so the snapshot leaves them out — `GET /api/agents` carries them —
//! and queued messages go without timestamps; zero usage fields are not sent.)

use isomux_tests::{Client, TestOffice, WAIT};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const AGENTS: usize = 32;
const QUEUED: usize = 5;
const BUDGET: usize = 64 * 1024;

/// A 2 KB prompt that does not compress to nothing in anyone's head: distinct words.
fn prompt(i: usize) -> String {
    let mut p = format!("You are agent {i}. ");
    let mut n = 0;
    while p.len() < 2048 {
        p.push_str(&format!("Rule {n}: keep module {i}.{n} tidy and tested. "));
        n += 1;
    }
    p.truncate(2048);
    p
}

async fn state(api: &Client) -> anyhow::Result<Value> {
    api.get("/api/state").await?.ok()
}

#[tokio::test]
async fn full_state_of_32_busy_agents_stays_under_64_kb() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let running = isomux::app::start(isomux::app::ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        data_dir: Some(dir.path().join("home")),
        ui: Some(isomux_server::UiSource::Placeholder),
        // Every agent holds a live (demo) session while it waits for its approval.
        max_live_sessions: Some(0),
        ..Default::default()
    })
    .await?;
    let office = TestOffice {
        running,
        dir: tempfile::tempdir()?,
    };
    let api = office.owner().await?;
    let cwd = dir.path().to_string_lossy().into_owned();

    // A fresh office has one room with the Demo agent: add rooms and agents up to 32.
    let mut ids = vec![api.agent_id("Demo").await?];
    let mut rooms = vec![
        state(&api).await?["rooms"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ];
    for r in 1..AGENTS.div_ceil(8) {
        let room = api
            .post("/api/rooms", json!({"name": format!("Floor {r}")}))
            .await?
            .ok()?;
        rooms.push(room["room"]["id"].as_str().unwrap_or_default().to_owned());
    }
    for i in 1..AGENTS {
        let a = api
            .post(
                "/api/agents",
                json!({"name": format!("Agent {i:02}"), "backend": "demo", "cwd": cwd,
                       "room_id": rooms[i / 8], "desk": i % 8 + 1}),
            )
            .await?
            .ok()?;
        ids.push(a["agent"]["id"].as_str().unwrap_or_default().to_owned());
    }
    for (i, id) in ids.iter().enumerate() {
        api.patch(
            &format!("/api/agents/{id}"),
            json!({"prompt": prompt(i), "topic": format!("Refactoring the parser, part {i}")}),
        )
        .await?
        .ok()?;
    }
    // Each agent asks for an approval (and waits: busy), then gets 5 messages that queue.
    for id in &ids {
        api.post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "/demo approval"}),
        )
        .await?
        .ok()?;
    }
    let deadline = Instant::now() + WAIT * 6;
    loop {
        let s = state(&api).await?;
        let waiting = s["agents"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|a| {
                        a["pending_approvals"]
                            .as_array()
                            .is_some_and(|p| p.len() == 1)
                    })
                    .count()
            })
            .unwrap_or(0);
        if waiting == AGENTS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {waiting} of {AGENTS} agents asked for their approval"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for id in &ids {
        for m in 0..QUEUED {
            let r = api
                .post(
                    &format!("/api/agents/{id}/messages"),
                    json!({"text": format!("Queued note {m}: also check the lexer's error paths.")}),
                )
                .await?
                .ok()?;
            assert_eq!(r["queued"], json!(true), "{r}");
        }
    }

    // What a browser gets on connect.
    let mut ws = api.ws().await?;
    let full = ws
        .until("full_state", |v| v["type"] == "full_state")
        .await?;
    let agents = full["agents"].as_array().cloned().unwrap_or_default();
    assert_eq!(agents.len(), AGENTS);
    for a in &agents {
        // Prompts are left out of the snapshot (they alone would be 64 KB).
        assert_eq!(a["prompt"], json!(""), "{}", a["name"]);
        assert!(a["topic"].is_string(), "{}", a["name"]);
        assert_eq!(
            a["queue"].as_array().map(Vec::len),
            Some(QUEUED),
            "{}",
            a["name"]
        );
        assert_eq!(
            a["pending_approvals"].as_array().map(Vec::len),
            Some(1),
            "{}",
            a["name"]
        );
    }
    let size = serde_json::to_string(&full)?.len();
    let rest = api.get("/api/state").await?.ok()?;
    let rest_size = serde_json::to_string(&rest)?.len();
    println!(
        "full_state with {AGENTS} agents (2 KB prompt, topic, {QUEUED} queued, 1 approval each): \
         {size} bytes over /ws, {rest_size} bytes from GET /api/state (budget {BUDGET})"
    );
    let field = |k: &str| -> usize {
        agents
            .iter()
            .map(|a| serde_json::to_string(&a[k]).map_or(0, |s| s.len()))
            .sum()
    };
    println!(
        "of which: prompts {} B, queues {} B, approvals {} B, looks {} B, usage {} B",
        field("prompt"),
        field("queue"),
        field("pending_approvals"),
        field("look"),
        field("usage")
    );
    assert!(size < BUDGET, "full_state is {size} bytes, over {BUDGET}");
    // The agent list still carries every prompt.
    let list = api.get("/api/agents").await?.ok()?;
    let prompts = list["agents"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|a| a["prompt"].as_str().map(str::len) == Some(2048))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(prompts, AGENTS, "GET /api/agents has the prompts");

    // Design §9 also counts 50 tasks.
    for t in 0..50 {
        api.post(
            "/api/tasks",
            json!({"title": format!("Fix flaky test number {t}"),
                   "description": "It fails about once in twenty runs on the CI machine.",
                   "assignee": ids[t % AGENTS]}),
        )
        .await?
        .ok()?;
    }
    let with_tasks = serde_json::to_string(&api.get("/api/state").await?.ok()?)?.len();
    println!("with 50 tasks as well: {with_tasks} bytes (budget {BUDGET})");
    assert!(rest_size < BUDGET, "GET /api/state is {rest_size} bytes");
    assert!(
        with_tasks < BUDGET,
        "GET /api/state with 50 tasks is {with_tasks} bytes"
    );
    Ok(())
}
