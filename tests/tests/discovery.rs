//! Discovery files in the data dir: `agents-summary.json` and `logs/<agentId>/current.md`
//! reflect a spawn, a rename and a message within a second, and `GET /api/agents` answers.

use isomux_tests::TestOffice;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// Polls `read` until `pred` holds, for at most one second; returns how long it took.
async fn within_a_second<T>(
    what: &str,
    read: impl Fn() -> Option<T>,
    pred: impl Fn(&T) -> bool,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if read().is_some_and(|v| pred(&v)) {
            return Ok(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("{what} did not happen within a second")
}

fn manifest(home: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(home.join("agents-summary.json")).ok()?).ok()
}

fn agent<'a>(m: &'a Value, id: &str) -> Option<&'a Value> {
    m["agents"].as_array()?.iter().find(|a| a["id"] == id)
}

#[tokio::test]
async fn manifest_and_current_md_follow_spawn_rename_and_messages() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let home = office.running.data_dir.clone();
    let owner = office.owner().await?;
    let cwd = office.dir.path().to_string_lossy().into_owned();

    let spawned = owner
        .post(
            "/api/agents",
            json!({"name": "Scout", "backend": "demo", "cwd": cwd}),
        )
        .await?
        .ok()?;
    let id = spawned["agent"]["id"].as_str().unwrap().to_owned();
    let took = within_a_second(
        "the spawn in the manifest",
        || manifest(&home),
        |m| agent(m, &id).is_some(),
    )
    .await?;
    println!("spawn reached the manifest in {took:?}");
    let m = manifest(&home).unwrap();
    let a = agent(&m, &id).unwrap();
    assert_eq!(a["name"], "Scout");
    assert_eq!(a["desk"], 2, "the demo agent sits at desk 1");
    assert_eq!(a["room"], "Main Office");
    assert_eq!(a["cwd"], cwd.as_str());
    assert_eq!(a["backend"], "demo");
    assert_eq!(a["state"], "sleeping");
    assert_eq!(m["url"], office.url());
    let log_file = a["log_file"].as_str().unwrap().to_owned();
    assert_eq!(
        Path::new(&log_file),
        home.join("logs").join(&id).join("current.md")
    );
    let took = within_a_second(
        "current.md",
        || std::fs::read_to_string(&log_file).ok(),
        |t| t.starts_with("# Scout: current conversation"),
    )
    .await?;
    println!("current.md appeared in {took:?}");

    owner
        .patch(&format!("/api/agents/{id}"), json!({"name": "Ranger"}))
        .await?
        .ok()?;
    let took = within_a_second(
        "the rename in the manifest",
        || manifest(&home),
        |m| agent(m, &id).is_some_and(|a| a["name"] == "Ranger"),
    )
    .await?;
    println!("rename reached the manifest in {took:?}");
    within_a_second(
        "the rename in current.md",
        || std::fs::read_to_string(&log_file).ok(),
        |t| t.starts_with("# Ranger: current conversation"),
    )
    .await?;

    owner
        .post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "please map the east wing"}),
        )
        .await?
        .ok()?;
    let took = within_a_second(
        "the message in current.md",
        || std::fs::read_to_string(&log_file).ok(),
        |t| t.contains("### [Nil]\nplease map the east wing"),
    )
    .await?;
    println!("the message reached current.md in {took:?}");

    // `/isomux-system-prompt` shows the assembled prompt (naming the manifest) as an office
    // entry, and nothing reaches the model.
    let before = owner.logs(&id).await?.len();
    owner
        .post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "/isomux-system-prompt"}),
        )
        .await?
        .ok()?;
    let logs = owner.logs(&id).await?;
    let shown = logs[before..]
        .iter()
        .find(|e| e["kind"] == "system")
        .expect("a system entry with the prompt");
    let text = shown["text"].as_str().unwrap();
    assert!(
        text.contains("You are Ranger, an agent in room Main Office"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "read {}",
            home.join("agents-summary.json").display()
        )),
        "{text}"
    );
    assert!(logs[before..].iter().all(|e| e["kind"] != "user"));

    // Agents' discovery over REST lists the same agents.
    let listed = owner.get("/api/agents").await?.ok()?;
    assert!(
        listed["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str())
    );

    // Deleting the agent drops it from the manifest.
    owner.delete(&format!("/api/agents/{id}")).await?.ok()?;
    within_a_second(
        "the removal",
        || manifest(&home),
        |m| agent(m, &id).is_none(),
    )
    .await?;
    // No temporary files are left behind.
    assert!(!home.join("agents-summary.json.tmp").exists());
    Ok(())
}
