//! Keyboard shortcuts and attention in the browser: headless Chromium against the real
//! `isomux serve` with the built UI. Tab / Shift+Tab cycle rooms in the office, 1–8 open the
//! agent at that desk, Esc goes back; an agent finishing a turn while nobody looks makes its
//! desk and room tab pulse until its chat is opened. Screenshots go to the test artifacts.

use fantoccini::Locator;
use isomux_tests::browser::{
    ChromeDriver, accept_in_browser, screenshot, start_server_with_ui, wait_css, wait_for,
};
use serde_json::json;
use std::time::Duration;

const TAB: &str = "\u{E004}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}";
const ESCAPE: &str = "\u{E00C}";

/// Presses keys on whatever has the focus (the body when nothing does).
async fn press(b: &fantoccini::Client, keys: &str) -> anyhow::Result<()> {
    b.active_element().await?.send_keys(keys).await?;
    Ok(())
}

/// The `data-room-id` of the active room tab.
async fn active_room(b: &fantoccini::Client) -> anyhow::Result<String> {
    let tab = wait_css(b, ".room-tab.active").await?;
    Ok(tab.attr("data-room-id").await?.unwrap_or_default())
}

#[tokio::test]
async fn keyboard_cycles_rooms_and_agents_and_attention_pulses() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let link = server.owner_link.clone().expect("owner link");
    let driver = ChromeDriver::start()?;
    let b = driver.session(1280, 860).await?;

    let api = accept_in_browser(&b, &server.url, &link, "Kim").await?;

    let demo = api.agent_id("Demo").await?;
    let main_room = active_room(&b).await?;

    // Tab with a single room changes nothing.
    press(&b, TAB).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(active_room(&b).await?, main_room);

    // A second room; Tab and Shift+Tab cycle the rooms.
    let lab = api.post("/api/rooms", json!({"name": "Lab"})).await?.ok()?;
    let lab = lab["room"]["id"].as_str().expect("room id").to_owned();
    wait_css(&b, &format!(".room-tab[data-room-id='{lab}']")).await?;
    press(&b, TAB).await?;
    wait_for(
        &b,
        &format!(".room-tab.active[data-room-id='{lab}']"),
        true,
        5,
    )
    .await?;
    assert!(b.find(Locator::Css("#office")).await.is_ok());
    // Desk 1 of the Lab is empty: `1` does nothing.
    press(&b, "1").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(b.find_all(Locator::Css("#chat")).await?.is_empty());
    press(&b, TAB).await?;
    wait_for(
        &b,
        &format!(".room-tab.active[data-room-id='{main_room}']"),
        true,
        5,
    )
    .await?;
    press(&b, SHIFT_TAB).await?;
    wait_for(
        &b,
        &format!(".room-tab.active[data-room-id='{lab}']"),
        true,
        5,
    )
    .await?;
    press(&b, SHIFT_TAB).await?;
    wait_for(
        &b,
        &format!(".room-tab.active[data-room-id='{main_room}']"),
        true,
        5,
    )
    .await?;

    // `1` opens the Demo agent's chat; Esc goes back.
    press(&b, "1").await?;
    let chat = wait_css(&b, "#chat").await?;
    assert_eq!(
        chat.attr("data-agent-id").await?.as_deref(),
        Some(demo.as_str())
    );
    press(&b, ESCAPE).await?;
    wait_css(&b, "#office").await?;

    // A turn that ends while nobody looks: the desk and the room tab pulse.
    api.post(
        &format!("/api/agents/{demo}/messages"),
        json!({"text": "/demo slow"}),
    )
    .await?
    .ok()?;
    let desk_attention = format!(".desk.attention[data-agent-id='{demo}']");
    wait_for(&b, &desk_attention, true, 60).await?;
    wait_css(
        &b,
        &format!(".room-tab.attention[data-room-id='{main_room}']"),
    )
    .await?;
    let anim = b
        .execute(
            "return getComputedStyle(document.querySelector(arguments[0])).animationName;",
            vec![json!(format!("{desk_attention} .desk-top"))],
        )
        .await?;
    assert_eq!(anim, json!("desk-pulse"), "the desk pulses");
    tokio::time::sleep(Duration::from_millis(600)).await;
    screenshot(&b, "browser-keyboard-attention").await?;

    // Opening the chat clears it.
    b.find(Locator::Css(&format!(".desk[data-agent-id='{demo}']")))
        .await?
        .click()
        .await?;
    wait_css(&b, &format!("#chat[data-agent-id='{demo}']")).await?;
    press(&b, ESCAPE).await?;
    wait_css(&b, "#office").await?;
    wait_for(&b, &desk_attention, false, 5).await?;
    assert!(
        b.find_all(Locator::Css(".room-tab.attention"))
            .await?
            .is_empty(),
        "the room tab stops pulsing"
    );
    b.close().await?;
    Ok(())
}
