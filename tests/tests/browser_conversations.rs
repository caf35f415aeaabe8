//! Past conversations in the chat header, in a real browser against the real `isomux serve`
//! with the demo agent: "New conversation" empties the open chat; an edit (over REST) forks
//! the second conversation, and the list nests the fork under it (`↳`) and dims it
//! "(branched)"; "Resume" goes back to the first conversation and the open chat reloads its
//! log; a switch made elsewhere (REST) reloads the open chat too.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::browser::{
    ChromeDriver, accept_in_browser, js, screenshot, start_server_with_ui, wait_css, wait_for,
    wait_text,
};
use isomux_tests::{Client, Ws, is};
use serde_json::{Value, json};

/// Sends a message and waits for the demo agent's turn to end.
async fn turn(api: &Client, ws: &mut Ws, agent: &str, text: &str) -> anyhow::Result<()> {
    api.post(
        &format!("/api/agents/{agent}/messages"),
        json!({ "text": text }),
    )
    .await?
    .ok()?;
    ws.until("the turn's end", |ev| {
        is(ev, "agent_state", agent) && ev["state"] == "idle"
    })
    .await?;
    Ok(())
}

async fn sessions(api: &Client, agent: &str) -> anyhow::Result<Vec<Value>> {
    let s = api
        .get(&format!("/api/agents/{agent}/sessions"))
        .await?
        .ok()?;
    Ok(s["sessions"].as_array().cloned().unwrap_or_default())
}

async fn open_list(b: &Browser) -> anyhow::Result<()> {
    wait_css(b, "#conversations-toggle").await?.click().await?;
    wait_css(b, "#conversation-list").await?;
    Ok(())
}

#[tokio::test]
async fn conversations_new_fork_and_resume_reload_the_chat() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;
    let b = driver.session(1200, 900).await?;
    let link = server.owner_link.clone().expect("owner link");
    let api = accept_in_browser(&b, &server.url, &link, "Pam").await?;
    let agents = api.get("/api/agents").await?.ok()?;
    let agent = agents["agents"][0]["id"]
        .as_str()
        .expect("the demo agent")
        .to_owned();
    let mut ws = api.ws().await?;

    // The first conversation, seen in the open chat.
    turn(&api, &mut ws, &agent, "apples first").await?;
    wait_css(&b, &format!(".desk[data-agent-id='{agent}']"))
        .await?
        .click()
        .await?;
    wait_css(&b, &format!("#chat[data-agent-id='{agent}']")).await?;
    wait_text(&b, "#chat .log", "apples first", 10).await?;
    let first = sessions(&api, &agent).await?;
    assert_eq!(first.len(), 1, "{first:?}");
    let first_id = first[0]["id"].as_str().unwrap().to_owned();

    // Esc closes the list, not the chat.
    open_list(&b).await?;
    b.active_element()
        .await?
        .send_keys(&fantoccini::key::Key::Escape.to_string())
        .await?;
    wait_for(&b, "#conversations-panel", false, 5).await?;
    wait_css(&b, &format!("#chat[data-agent-id='{agent}']")).await?;
    open_list(&b).await?;
    wait_css(
        &b,
        &format!(".conversation.current[data-conversation-id='{first_id}']"),
    )
    .await?;
    assert!(
        b.find_all(Locator::Css(".conversation-resume"))
            .await?
            .is_empty(),
        "the current conversation is not offered for resuming"
    );

    // New conversation: the chat empties.
    b.find(Locator::Css("#new-conversation"))
        .await?
        .click()
        .await?;
    wait_for(&b, "#conversations-panel", false, 10).await?;
    wait_css(&b, "#chat .log-empty").await?;
    let log = b.find(Locator::Css("#chat .log")).await?.text().await?;
    assert!(!log.contains("apples first"), "{log}");
    turn(&api, &mut ws, &agent, "bananas second").await?;
    wait_text(&b, "#chat .log", "bananas second", 10).await?;

    // An edit of that message forks the second conversation.
    let logs = api.logs(&agent).await?;
    let second_id = logs[0]["conversation_id"].as_str().unwrap().to_owned();
    let user = logs
        .iter()
        .find(|e| e["kind"] == "user")
        .and_then(|e| e["id"].as_str())
        .expect("a user entry")
        .to_owned();
    let forked = api
        .patch(
            &format!("/api/agents/{agent}/messages/{user}"),
            json!({ "text": "cherries instead" }),
        )
        .await?
        .ok()?;
    let fork_id = forked["conversation"]["id"].as_str().unwrap().to_owned();
    ws.until("the fork's turn end", |ev| {
        is(ev, "agent_state", &agent) && ev["state"] == "idle"
    })
    .await?;
    // The switch came from elsewhere: the open chat reloads into the fork.
    wait_text(&b, "#chat .log", "cherries instead", 10).await?;

    open_list(&b).await?;
    let fork_row = format!(".conversation.fork.current[data-conversation-id='{fork_id}']");
    wait_css(&b, &format!("{fork_row} .fork-mark")).await?;
    let parent_row = format!(".conversation.branched[data-conversation-id='{second_id}']");
    wait_text(&b, &parent_row, "(branched)", 5).await?;
    // The fork is listed right under the conversation it branched from.
    let order = js(
        &b,
        "return [...document.querySelectorAll('#conversation-list .conversation')]\
         .map(r => r.dataset.conversationId)",
    )
    .await?;
    let order: Vec<String> = serde_json::from_value(order)?;
    let at = |id: &str| order.iter().position(|o| o == id).expect("listed");
    assert_eq!(order.len(), 3, "{order:?}");
    assert_eq!(at(&fork_id), at(&second_id) + 1, "{order:?}");
    let branched_opacity = js(
        &b,
        &format!("return getComputedStyle(document.querySelector(\"{parent_row}\")).opacity"),
    )
    .await?;
    assert_ne!(
        branched_opacity,
        json!("1"),
        "a branched-from conversation is dimmed"
    );
    screenshot(&b, "conversations-list").await?;

    // Resume the first one: the chat shows its log again.
    b.find(Locator::Css(&format!(
        ".conversation[data-conversation-id='{first_id}'] .conversation-resume"
    )))
    .await?
    .click()
    .await?;
    wait_for(&b, "#conversations-panel", false, 10).await?;
    wait_text(&b, "#chat .log", "apples first", 10).await?;
    let log = b.find(Locator::Css("#chat .log")).await?.text().await?;
    assert!(!log.contains("cherries instead"), "{log}");
    let now = api.get("/api/agents").await?.ok()?;
    assert_eq!(now["agents"][0]["conversation_id"], json!(first_id));
    screenshot(&b, "conversations-resumed").await?;
    Ok(())
}
