//! The desktop's provider keys reach agents at spawn only (`SpawnEnv`, fed by the OS keyring in
//! the desktop app): a real `claude` gets `ANTHROPIC_API_KEY` from the provider (the scripted
//! Anthropic server sees it as `x-api-key`), prints it with a shell tool, and the stored and
//! broadcast entry shows `[redacted]`; the value is in no file of the data dir (SQLite, WAL,
//! logs) afterwards.

use isomux_agents::claude::ClaudeBackend;
use isomux_agents::demo::DemoBackend;
use isomux_core::backend::Backend;
use isomux_core::spawn_env::SpawnEnv;
use isomux_tests::is;
use isomux_tests::model_server::{AnthropicServer, Reply, Script};
use isomux_tests::process::cli_bin;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const KEY: &str = "sk-ant-keyring-4c1d9e7f2a8b";

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[tokio::test]
async fn keyring_keys_reach_the_agent_at_spawn_and_nowhere_else() -> anyhow::Result<()> {
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::shell("echo KEY=$ANTHROPIC_API_KEY"))
            .otherwise(Reply::text("Done.")),
    );
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let cli_home = dir.path().join("cli-home");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&cli_home)?;
    std::fs::create_dir_all(&work)?;
    let claude: Arc<dyn Backend> = Arc::new(ClaudeBackend::with_bin(cli_bin("claude")?));
    let running = isomux::app::start(isomux::app::ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        data_dir: Some(home.clone()),
        ui: Some(isomux_server::UiSource::Placeholder),
        backends: Some(vec![claude, Arc::new(DemoBackend::default())]),
        spawn_env: SpawnEnv::new(|| vec![("ANTHROPIC_API_KEY".into(), KEY.into())]),
        ..Default::default()
    })
    .await?;
    let link = running.owner_link.clone().expect("owner link");
    let c = isomux_tests::Client::accept(&running.url, &link, "Nil").await?;
    // The model server's environment without its key: the key comes from the provider only.
    let mut env = serde_json::Map::new();
    for (k, v) in server.claude_env() {
        if k != "ANTHROPIC_API_KEY" {
            env.insert(k, Value::String(v));
        }
    }
    env.insert("HOME".into(), json!(cli_home.to_string_lossy()));
    env.insert("DISABLE_AUTOUPDATER".into(), json!("1"));
    c.request("PUT", "/api/office/settings", Some(json!({"env": env})))
        .await?
        .ok()?;

    let ada = c
        .hire_with(json!({"name": "Ada", "backend": "claude", "cwd": work.to_string_lossy(), "permission_mode": "auto"}))
        .await?;
    let mut ws = c.ws().await?;
    c.say(&ada, "print your key").await?;
    let tool = ws
        .until("the finished shell tool call", |ev| {
            is(ev, "log_entry", &ada)
                && ev["entry"]["kind"] == "tool_call"
                && ev["entry"]["status"] != "running"
        })
        .await?;
    let out = tool["entry"]["output"].as_str().unwrap_or_default();
    assert!(
        out.contains("KEY=[redacted]"),
        "the agent saw the key and the entry masks it: {tool}"
    );
    assert!(!tool.to_string().contains(KEY), "{tool}");
    // The scripted model answers with the tool result it got: the office masks that too.
    let reply = ws
        .until("the reply", |ev| {
            is(ev, "log_entry", &ada) && ev["entry"]["kind"] == "assistant"
        })
        .await?;
    assert!(
        reply["entry"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("KEY=[redacted]")),
        "{reply}"
    );
    ws.until("the end of the turn", |ev| {
        is(ev, "log_entry", &ada) && ev["entry"]["kind"] == "turn_end"
    })
    .await?;

    // claude used the injected key against the model server.
    let keys: Vec<String> = server
        .model_requests()
        .iter()
        .filter_map(|r| r.header("x-api-key").map(str::to_owned))
        .collect();
    assert!(!keys.is_empty(), "{}", server.summary());
    assert!(keys.iter().all(|k| k == KEY), "{keys:?}");

    // The stored log is masked too, and the value is in no file of the data dir.
    let logs = c.logs(&ada).await?;
    assert!(
        logs.iter().any(|e| e["output"]
            .as_str()
            .is_some_and(|o| o.contains("KEY=[redacted]"))),
        "{logs:?}"
    );
    assert!(!serde_json::to_string(&logs)?.contains(KEY));
    running.stop().await?;
    assert!(home.join("isomux.db").is_file());
    assert_eq!(
        files_containing(&home, KEY.as_bytes()),
        Vec::<String>::new(),
        "the key must never be stored"
    );
    Ok(())
}
