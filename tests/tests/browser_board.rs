//! The task board on the corkboard, in two real browsers against the real `isomux serve`: the
//! owner pins a task for the demo agent in the UI while a member's board (already open) shows
//! it live; the owner reassigns, claims and closes it, each step reaching the member's board
//! over the WebSocket; the member deletes another task and the owner's board drops it; a click
//! on the assignee opens that agent's chat. REST confirms what the UI claims.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::browser::{
    ChromeDriver, accept_in_browser, screenshot, select, start_server_with_ui, wait_css, wait_for,
    wait_text,
};
use serde_json::{Value, json};

/// The one task REST lists with this title.
async fn task_json(api: &isomux_tests::Client, title: &str) -> anyhow::Result<Value> {
    let all = api.get("/api/tasks").await?.ok()?;
    all["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["title"] == json!(title)).cloned())
        .ok_or_else(|| anyhow::anyhow!("no task {title:?} in {all}"))
}

async fn open_board(b: &Browser) -> anyhow::Result<()> {
    wait_css(b, "#corkboard").await?.click().await?;
    wait_css(b, "#task-board-panel").await?;
    Ok(())
}

#[tokio::test]
async fn task_board_create_live_claim_done_delete_and_jump() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;

    let owner_b = driver.session(1280, 900).await?;
    let link = server.owner_link.clone().expect("owner link");
    let owner = accept_in_browser(&owner_b, &server.url, &link, "Pam").await?;
    let invite = owner
        .post("/api/invites", json!({"role": "member"}))
        .await?
        .ok()?;
    let member_link = invite["url"].as_str().expect("invite url").to_owned();
    let member_b = driver.session(1100, 850).await?;
    let member = accept_in_browser(&member_b, &server.url, &member_link, "Jim").await?;

    let agents = owner.get("/api/agents").await?.ok()?;
    let agent = &agents["agents"][0];
    let agent_id = agent["id"].as_str().expect("the demo agent").to_owned();
    let agent_name = agent["name"].as_str().unwrap_or_default().to_owned();

    // Both boards open on an empty office.
    open_board(&owner_b).await?;
    open_board(&member_b).await?;
    wait_css(&member_b, "#task-board-empty:not([hidden])").await?;
    for status in ["open", "claimed", "done"] {
        wait_css(&owner_b, &format!(".task-column[data-status='{status}']")).await?;
    }
    assert!(owner_b.find_all(Locator::Css(".task")).await?.is_empty());

    // The owner pins a task for the demo agent.
    let title = "Write the release notes";
    owner_b
        .find(Locator::Css("#task-title"))
        .await?
        .send_keys(title)
        .await?;
    owner_b
        .find(Locator::Css("#task-description"))
        .await?
        .send_keys("Everything since 0.1, short.")
        .await?;
    select(&owner_b, "#task-assignee", &agent_id).await?;
    owner_b
        .find(Locator::Css("#task-create"))
        .await?
        .click()
        .await?;
    let open_card = ".task-column[data-status='open'] .task";
    wait_text(&owner_b, open_card, title, 10).await?;
    // Live on the member's board, without a reload.
    let seen = wait_text(&member_b, open_card, title, 10).await?;
    assert!(seen.contains(&format!("@{agent_name}")), "{seen}");
    assert!(seen.contains("pinned by Pam"), "{seen}");
    wait_for(&member_b, "#task-board-empty[hidden]", true, 5).await?;
    let task = task_json(&member, title).await?;
    assert_eq!(task["assignee"], json!(agent_id), "{task}");
    assert_eq!(task["status"], json!("open"));
    assert_eq!(task["description"], json!("Everything since 0.1, short."));
    let task_id = task["id"].as_str().expect("task id").to_owned();
    let card = format!(".task[data-task-id='{task_id}']");
    screenshot(&owner_b, "board-created").await?;

    // Unassign on the owner's board; the member sees it.
    select(&owner_b, &format!("{card} .task-assign"), "").await?;
    wait_text(&member_b, &card, "unassigned", 10).await?;
    assert_eq!(task_json(&owner, title).await?.get("assignee"), None);
    select(&owner_b, &format!("{card} .task-assign"), &agent_id).await?;
    wait_css(
        &member_b,
        &format!("{card} .task-assignee[data-agent-id='{agent_id}']"),
    )
    .await?;

    // The owner claims it: the claimed column, claimed by Pam, on both boards.
    wait_css(&owner_b, &format!("{card} .task-claim"))
        .await?
        .click()
        .await?;
    let claimed = format!(".task-column[data-status='claimed'] {card}");
    wait_text(&owner_b, &claimed, "claimed by Pam", 10).await?;
    wait_text(&member_b, &claimed, "claimed by Pam", 10).await?;
    let t = task_json(&member, title).await?;
    assert_eq!(t["status"], json!("claimed"), "{t}");
    assert_eq!(t["claimed_by"], json!("Pam"));
    // A claimed card cannot be claimed again from the UI.
    assert!(
        member_b
            .find_all(Locator::Css(&format!("{card} .task-claim")))
            .await?
            .is_empty()
    );

    // Done, seen by the member.
    wait_css(&owner_b, &format!("{card} .task-done"))
        .await?
        .click()
        .await?;
    let done = format!(".task-column[data-status='done'] {card}");
    wait_css(&member_b, &done).await?;
    assert_eq!(task_json(&owner, title).await?["status"], json!("done"));
    screenshot(&member_b, "board-done-member").await?;

    // The member pins and deletes another; the owner's board follows.
    let doomed = "Throw away the old logo";
    member_b
        .find(Locator::Css("#task-title"))
        .await?
        .send_keys(doomed)
        .await?;
    member_b
        .find(Locator::Css("#task-create"))
        .await?
        .click()
        .await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let doomed_id = loop {
        match task_json(&owner, doomed).await {
            Ok(t) => break t["id"].as_str().unwrap_or_default().to_owned(),
            Err(e) if std::time::Instant::now() > deadline => return Err(e),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    };
    let doomed_card = format!(".task[data-task-id='{doomed_id}']");
    wait_text(&owner_b, &doomed_card, "pinned by Jim", 10).await?;
    wait_css(&member_b, &format!("{doomed_card} .task-delete"))
        .await?
        .click()
        .await?;
    wait_for(&owner_b, &doomed_card, false, 10).await?;
    assert!(
        task_json(&owner, doomed).await.is_err(),
        "deleted over REST too"
    );
    screenshot(&owner_b, "board-owner").await?;

    // A click on the assignee opens the agent's chat.
    wait_css(&owner_b, &format!("{card} .task-assignee"))
        .await?
        .click()
        .await?;
    wait_css(&owner_b, &format!("#chat[data-agent-id='{agent_id}']")).await?;
    wait_for(&owner_b, "#task-board-panel", false, 5).await?;
    Ok(())
}
