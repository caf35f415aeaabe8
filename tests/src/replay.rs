//! What the watchdog tests of both CLIs (`claude_office`, `codex_office`) check once a killed
//! CLI was restarted and its turn replayed.

use crate::Client;
use crate::model_server::ModelServer;
use anyhow::{Result, ensure};

/// The turn that sent `text` to `agent` was replayed exactly once: the model saw the request
/// twice, the log shows the replay marker but one user message, and the agent is idle.
pub async fn replayed_once(
    c: &Client,
    server: &ModelServer,
    agent: &str,
    text: &str,
) -> Result<()> {
    let asked = server
        .model_requests()
        .iter()
        .filter(|r| r.last_user_text().is_some_and(|t| t.contains(text)))
        .count();
    ensure!(
        asked == 2,
        "the original request and exactly one replay, not {asked}:\n{}",
        server.summary()
    );
    let logs = c.logs(agent).await?;
    ensure!(
        logs.iter()
            .any(|e| e["kind"] == "system"
                && e["text"].as_str().is_some_and(|t| t.contains("replay"))),
        "the log shows the replay marker: {logs:#?}"
    );
    let users = logs.iter().filter(|e| e["kind"] == "user").count();
    ensure!(
        users == 1,
        "the replay is not a second user message in the log: {logs:#?}"
    );
    let state = c.agent_state(agent).await?;
    ensure!(state["state"] == "idle", "idle after the replay: {state}");
    Ok(())
}
