//! `cargo xtask bench [name] [--smoke]`: design §9's performance budgets, measured against the
//! release `isomux` binary on this machine. Each bench prints its figure beside its budget and
//! a reference measured in the same run; nothing here asserts wall-clock times (CI runs
//! `--smoke` sizes only to prove every bench still runs).
//!
//! - `relay`: demo agents stream wall-clock-stamped deltas (`/demo bench N ms`) to many
//!   WebSocket clients; latency = frame received − delta emitted (an upper bound of the
//!   office's relay overhead: it includes the client's own receive on the same 2 cores). The
//!   reference is the bare `claude` CLI's first text delta against an instant scripted model.
//! - `restore`: an office with 32 agents and 200k stored entries, from process start to
//!   `/readyz`; then a page of 200 entries over HTTP; then idle RSS.
//! - `full_state`: 32 agents each with a 2 KB prompt, a topic, 5 queued messages and one
//!   pending approval, and 50 tasks: the size of `full_state`.

use anyhow::{Context, Result, bail, ensure};
use futures_util::StreamExt;
use isomux_core::store::{NewEntry, Store};
use isomux_protocol::{ConversationId, EntryBody, Sender, SenderKind, UserLine};
use isomux_tests::process::ServerProcess;
use isomux_tests::{Client, is};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

const BENCHES: &[&str] = &["relay", "restore", "full_state"];

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let names: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    for n in &names {
        ensure!(
            BENCHES.contains(n),
            "unknown benchmark `{n}`; known: {}",
            BENCHES.join(", ")
        );
    }
    let bin = std::env::var_os("ISOMUX_BIN")
        .context("ISOMUX_BIN is not set: run the benches through `cargo xtask bench`")?;
    ensure!(
        Path::new(&bin).is_file(),
        "ISOMUX_BIN={} does not exist: run `cargo xtask build`",
        bin.to_string_lossy()
    );
    machine();
    println!("size: {}", if smoke { "smoke" } else { "full" });
    for b in BENCHES {
        if !names.is_empty() && !names.contains(b) {
            continue;
        }
        println!("\n== {b}");
        let t = Instant::now();
        match *b {
            "relay" => relay(smoke).await?,
            "restore" => restore(smoke).await?,
            "full_state" => full_state(smoke).await?,
            _ => unreachable!(),
        }
        println!("   ({b} took {:.1} s)", t.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The machine the figures come from.
fn machine() {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!("machine: {cpus} cores, {model}");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn unix_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A started office with a signed-in owner.
struct Office {
    server: ServerProcess,
    owner: Client,
    _dir: tempfile::TempDir,
}

async fn start_office() -> Result<Office> {
    let dir = tempfile::tempdir()?;
    // Demo agents count against the live-session cap like CLIs do; the benches want all of
    // them streaming at once.
    let server = ServerProcess::start(&dir.path().join("home"), &[("ISOMUX_MAX_LIVE_CLIS", "0")])?;
    let link = server.owner_link.clone().context("owner link")?;
    let owner = Client::accept(&server.url, &link, "Bench").await?;
    Ok(Office {
        server,
        owner,
        _dir: dir,
    })
}

/// Spawns `n` demo agents (new rooms as needed, 8 desks each); returns their ids.
async fn spawn_demo_agents(c: &Client, n: usize, prompt: &str) -> Result<Vec<String>> {
    let cwd = std::env::temp_dir();
    let mut rooms: Vec<String> = c.get("/api/rooms").await?.ok()?["rooms"]
        .as_array()
        .context("rooms")?
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    let existing = c.get("/api/agents").await?.ok()?["agents"]
        .as_array()
        .map_or(0, Vec::len);
    let mut ids = Vec::new();
    for i in 0..n {
        let slot = existing + i;
        while rooms.len() <= slot / 8 {
            let r = c.post("/api/rooms", json!({})).await?.ok()?;
            let id = r["room"]["id"]
                .as_str()
                .or_else(|| r["id"].as_str())
                .with_context(|| format!("room id in {r}"))?;
            rooms.push(id.to_owned());
        }
        let body = json!({
            "name": format!("Bench{i:02}"),
            "backend": "demo",
            "cwd": cwd.to_string_lossy(),
            "room_id": rooms[slot / 8],
            "prompt": prompt,
        });
        let r = c.post("/api/agents", body).await?.ok()?;
        let id = r["agent"]["id"]
            .as_str()
            .or_else(|| r["id"].as_str())
            .with_context(|| format!("agent id in {r}"))?;
        ids.push(id.to_owned());
    }
    Ok(ids)
}

// ---- relay ----

async fn relay(smoke: bool) -> Result<()> {
    let (agents, sockets, deltas, every_ms) = if smoke {
        (2, 5, 20, 10)
    } else {
        (16, 100, 200, 25)
    };
    let office = start_office().await?;
    let ids = spawn_demo_agents(&office.owner, agents, "").await?;
    println!(
        "   {agents} demo agents × {deltas} stamped deltas every {every_ms} ms → {sockets} WebSockets"
    );
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(sockets);
    for _ in 0..sockets {
        let url = office.owner.base.replacen("http", "ws", 1) + "/ws";
        let mut req = url.into_client_request()?;
        let cookie = office.owner.cookie.clone().context("cookie")?;
        req.headers_mut().insert("cookie", cookie.parse()?);
        req.headers_mut()
            .insert("origin", office.owner.base.parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
        let ready = ready_tx.clone();
        let expected = agents * deltas;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(expected);
            let mut announced = false;
            while lat.len() < expected {
                let msg = tokio::time::timeout(Duration::from_secs(60), ws.next()).await;
                let Ok(Some(Ok(tungstenite::Message::Text(t)))) = msg else {
                    match msg {
                        Ok(Some(Ok(_))) => continue,
                        _ => break,
                    }
                };
                let now = unix_nanos();
                if !announced {
                    // The first frame is `full_state`: this socket is live.
                    announced = true;
                    let _ = ready.send(()).await;
                    continue;
                }
                // Only the stamp is parsed (cheaply), so the client adds little on top.
                if let Some(i) = t.find('⏱') {
                    let rest = &t[i + '⏱'.len_utf8()..];
                    if let Some(end) = rest.find(';')
                        && let Ok(sent) = rest[..end].parse::<u128>()
                    {
                        lat.push(now.saturating_sub(sent) as f64 / 1e6);
                    }
                }
            }
            lat
        }));
    }
    for _ in 0..sockets {
        tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
            .await
            .context("a WebSocket got no full_state")?;
    }
    for id in &ids {
        office
            .owner
            .post(
                &format!("/api/agents/{id}/messages"),
                json!({"text": format!("/demo bench {deltas} {every_ms}")}),
            )
            .await?
            .ok()?;
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let want = agents * deltas * sockets;
    ensure!(
        all.len() == want,
        "received {} of {want} stamped deltas",
        all.len()
    );
    let lat = sorted(all);
    let floor = claude_first_delta(if smoke { 2 } else { 5 }).await?;
    println!(
        "   relay (delta emitted → frame received): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over \
         {} frames  [budget p50 < 0.2 ms, p99 < 1 ms]",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        lat.len()
    );
    println!(
        "   reference: bare `claude` CLI first text delta after a user message (instant scripted \
         model): median {floor:.1} ms → relay p50 is {:.1}% of it",
        percentile(&lat, 0.5) / floor * 100.0
    );
    drop(office.server);
    Ok(())
}

/// Median time from writing a user message to the `claude` CLI to its first text delta,
/// through the claude backend, against an instant scripted model.
async fn claude_first_delta(turns: usize) -> Result<f64> {
    use isomux_core::backend::{Backend, NormalizedEvent, SessionCommand, SessionSpec, UserTurn};
    use isomux_tests::model_server::{AnthropicServer, Script};
    let bin = isomux_tests::process::cli_bin("claude")?;
    let server = AnthropicServer::start(Script::new());
    let dir = tempfile::tempdir()?;
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    let mut env = server.claude_env();
    env.push(("HOME".into(), home.display().to_string()));
    env.push(("DISABLE_AUTOUPDATER".into(), "1".into()));
    let spec = SessionSpec {
        agent_id: "ag_bench".into(),
        agent_name: "Bench".into(),
        conversation_id: "cv_bench".into(),
        cwd: work,
        model: "claude-sonnet-4-5".into(),
        effort: isomux_protocol::Effort::Low,
        permission_mode: Default::default(),
        system_prompt: String::new(),
        resume: None,
        fork: None,
        session_id: Some(isomux_core::ids::new_uuid_v4()),
        data_dir: home.join(".isomux"),
        env,
    };
    let backend = isomux_agents::claude::ClaudeBackend::with_bin(bin);
    let mut h = tokio::time::timeout(Duration::from_secs(60), backend.start(spec))
        .await
        .context("claude start timed out")??;
    let mut times = Vec::new();
    for i in 0..turns + 1 {
        let text = format!("bench turn {i}");
        let turn = UserTurn {
            lines: vec![UserLine {
                sender: Sender {
                    kind: SenderKind::Human,
                    id: "mb_bench".into(),
                    name: "Bench".into(),
                    device: None,
                },
                text: text.clone(),
                attachments: vec![],
            }],
            text,
            attachments: vec![],
        };
        let t0 = Instant::now();
        h.commands.send(SessionCommand::Send(turn)).await?;
        let mut first = None;
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(60), h.events.recv())
                .await
                .context("no claude event within 60 s")?
                .context("claude session ended")?;
            match ev {
                NormalizedEvent::TextDelta(_) if first.is_none() => first = Some(t0.elapsed()),
                NormalizedEvent::TurnCompleted { .. } => break,
                NormalizedEvent::TurnFailed { message, .. } => {
                    bail!("claude turn failed: {message}")
                }
                NormalizedEvent::Exited { .. } => bail!("claude exited during the bench"),
                _ => {}
            }
        }
        // The first turn also pays the CLI's warm-up; it is not counted.
        if i > 0 {
            times.push(first.context("no text delta")?.as_secs_f64() * 1e3);
        }
    }
    let _ = h.commands.send(SessionCommand::Close).await;
    Ok(percentile(&sorted(times), 0.5))
}

// ---- restore, page, RSS ----

async fn restore(smoke: bool) -> Result<()> {
    let (agents, entries) = if smoke { (4, 2_000) } else { (32, 200_000) };
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let (cookie, ids) = {
        let server = ServerProcess::start(&home, &[])?;
        let link = server.owner_link.clone().context("owner link")?;
        let owner = Client::accept(&server.url, &link, "Bench").await?;
        let ids = spawn_demo_agents(&owner, agents, "").await?;
        (owner.cookie.clone().context("cookie")?, ids)
        // The server is killed here (drop), like a machine reboot.
    };
    let idle_rss = {
        let server = ServerProcess::start(&home, &[])?;
        wait_ready(&server.url).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        rss_kib(server.child.id())?
    };
    // Fill the log directly through the store: one transaction per agent.
    let db = isomux_core::datadir::db_path(&home);
    let t = Instant::now();
    let mut conversations = Vec::new();
    {
        let mut store = Store::open(&db)?;
        // The spawned agents plus the demo agent a fresh office seeds.
        let recs = store.load_agents()?;
        ensure!(recs.len() > agents, "{} agents stored", recs.len());
        let per = entries / recs.len();
        for (a, rec) in recs.iter().enumerate() {
            let batch: Vec<NewEntry> = (0..per)
                .map(|i| fake_entry(&rec.conversation_id, a, i))
                .collect();
            store.insert_entries(&batch)?;
            conversations.push(rec.id.clone());
        }
        ensure!(store.count_entries()? >= (per * recs.len()) as u64);
    }
    println!(
        "   seeded {entries} entries in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Restore: process start → /readyz.
    let mut starts = Vec::new();
    let mut page_ms = Vec::new();
    let mut rss_full = 0;
    for round in 0..3 {
        let t0 = Instant::now();
        let server = ServerProcess::start(&home, &[])?;
        wait_ready(&server.url).await?;
        starts.push(t0.elapsed().as_secs_f64() * 1e3);
        if round == 0 {
            let c = Client {
                cookie: Some(cookie.clone()),
                ..Client::anonymous(&server.url)
            };
            // Pages of 200 from the newest backwards, for every agent.
            for id in ids.iter().take(8) {
                let mut before: Option<i64> = None;
                for _ in 0..(if smoke { 2 } else { 10 }) {
                    let path = match before {
                        Some(b) => format!("/api/agents/{id}/logs?limit=200&before={b}"),
                        None => format!("/api/agents/{id}/logs?limit=200"),
                    };
                    let t = Instant::now();
                    let page = c.get(&path).await?.ok()?;
                    page_ms.push(t.elapsed().as_secs_f64() * 1e3);
                    let got = page["entries"].as_array().context("entries")?;
                    ensure!(got.len() == 200, "a page of {} entries", got.len());
                    before = got[0]["seq"].as_i64();
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            rss_full = rss_kib(server.child.id())?;
        }
    }
    let starts = sorted(starts);
    let pages = sorted(page_ms);
    println!(
        "   restore ({agents} agents, {entries} entries) → /readyz: median {:.0} ms of 3 starts \
         (process start included)  [budget < 1000 ms]",
        percentile(&starts, 0.5)
    );
    println!(
        "   page of 200 entries over HTTP (server time is below this): median {:.2} ms, p99 {:.2} \
         ms over {} pages  [budget < 50 ms]",
        percentile(&pages, 0.5),
        percentile(&pages, 0.99),
        pages.len()
    );
    println!(
        "   idle RSS, {agents} agents asleep: {:.1} MB with an empty log, {:.1} MB after paging a \
         {entries}-entry log  [budget < 15 MB]",
        idle_rss as f64 / 1024.0,
        rss_full as f64 / 1024.0
    );
    let _ = conversations;
    Ok(())
}

fn fake_entry(conversation: &ConversationId, agent: usize, i: usize) -> NewEntry {
    let body = match i % 4 {
        0 => EntryBody::User {
            messages: vec![UserLine {
                sender: Sender {
                    kind: SenderKind::Human,
                    id: "mb_bench".into(),
                    name: "Bench".into(),
                    device: None,
                },
                text: format!("Message {i} to agent {agent}: please look at the parser again."),
                attachments: vec![],
            }],
        },
        1 => EntryBody::Thinking {
            text: "Thinking about which module owns this state and what could break.".into(),
        },
        2 => EntryBody::ToolCall {
            call_id: format!("call_{agent}_{i}"),
            tool: "Bash".into(),
            input: json!({"command": "cargo test -p isomux-core"}),
            output: Some("test result: ok. 42 passed; 0 failed".into()),
            status: isomux_protocol::ToolStatus::Ok,
        },
        _ => EntryBody::Assistant {
            text: format!(
                "Reply {i}: I looked at it. The parser handles the quoted case now; here is the \
                 diff and the test that covers it. Nothing else changed."
            ),
        },
    };
    NewEntry {
        id: isomux_core::ids::new_id("en").into(),
        conversation_id: conversation.clone(),
        ts: 1_790_000_000_000 + i as i64,
        body,
        position: None,
    }
}

async fn wait_ready(url: &str) -> Result<()> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{url}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("{url}/readyz did not answer within 60 s")
}

/// Resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS in /proc/<pid>/status")
}

// ---- full_state size ----

async fn full_state(smoke: bool) -> Result<()> {
    let agents = if smoke { 4 } else { 32 };
    let office = start_office().await?;
    let c = &office.owner;
    let prompt: String = "You keep the parser honest. ".repeat(80)[..2048].to_owned();
    let ids = spawn_demo_agents(c, agents, &prompt).await?;
    let mut ws = c.ws().await?;
    for (i, id) in ids.iter().enumerate() {
        c.patch(
            &format!("/api/agents/{id}"),
            json!({"topic": format!("Refactoring the tokenizer, part {i}")}),
        )
        .await?
        .ok()?;
        c.post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "/demo approval"}),
        )
        .await?
        .ok()?;
        ws.until("an approval request", |e| is(e, "approval_requested", id))
            .await?;
        for q in 0..5 {
            c.post(
                &format!("/api/agents/{id}/messages"),
                json!({"text": format!("Queued note {q}: also check the error path, please.")}),
            )
            .await?
            .ok()?;
        }
    }
    let tasks = if smoke { 5 } else { 50 };
    for t in 0..tasks {
        c.post(
            "/api/tasks",
            json!({"title": format!("Fix flaky test number {t}"),
                   "description": "It fails about once in twenty runs on the CI machine.",
                   "assignee": ids[t % ids.len()]}),
        )
        .await?
        .ok()?;
    }
    let state = c.get("/api/state").await?.ok()?;
    let check = |a: &Value| {
        a["queue"].as_array().map_or(0, Vec::len) == 5
            && a["pending_approvals"].as_array().map_or(0, Vec::len) == 1
    };
    let agents_json = state["agents"].as_array().cloned().unwrap_or_default();
    let shaped = agents_json.iter().filter(|a| check(a)).count();
    let bytes = serde_json::to_vec(&state)?.len();
    println!(
        "   full_state with {agents} agents (2 KB prompt, topic, 5 queued, 1 approval each; \
         {shaped} of them seen in that shape) and {tasks} tasks: {bytes} bytes = {:.1} KB  \
         [budget < 64 KB at 32 agents + 50 tasks]",
        bytes as f64 / 1024.0
    );
    Ok(())
}
