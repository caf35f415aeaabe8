//! The office scene in the browser: headless Chromium against the real `isomux serve` with the
//! built UI. The wall clock shows the browser's time and its hands move; the moon in the window
//! toggles dark mode (kept across a reload); the corkboard opens the task board panel; the
//! framed sign edits the office prompt (checked over REST); doors switch rooms and add one;
//! the spawn dialog's live preview follows the chosen look and the spawned agent's character
//! uses it; demo triggers drive the characters through their animated states. Screenshots go
//! to the test artifacts.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::Client;
use isomux_tests::browser::{
    ChromeDriver, js, screenshot, sign_in_owner, start_server_with_ui, wait_css, wait_for,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// An attribute of the first element matching `css`.
async fn attr(b: &Browser, css: &str, name: &str) -> anyhow::Result<String> {
    let el = wait_css(b, css).await?;
    Ok(el.attr(name).await?.unwrap_or_default())
}

/// One agent as `GET /api/agents` lists it.
async fn agent_json(api: &Client, id: &str) -> anyhow::Result<Value> {
    let all = api.get("/api/agents").await?.ok()?;
    all["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == json!(id)).cloned())
        .ok_or_else(|| anyhow::anyhow!("agent {id} not listed: {all}"))
}

#[tokio::test]
async fn office_scene_controls_spawn_look_and_states() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;
    let b = driver.session(1280, 900).await?;
    let api = sign_in_owner(&b, &server, "Pam").await?;
    wait_css(&b, ".desk[data-agent-id]").await?;
    screenshot(&b, "office-scene").await?;

    // The wall clock shows the browser's local time (read in one go with the browser's clock
    // and the minute hand, so a minute boundary cannot split them), and its second hand moves.
    wait_css(&b, "#wall-clock").await?;
    let read = js(
        &b,
        "const t = (d) => String(d.getHours()).padStart(2, '0') + ':' + \
         String(d.getMinutes()).padStart(2, '0'); \
         const c = document.querySelector('#wall-clock'); const d = new Date(); \
         return [c.dataset.time, c.querySelector('.minute-hand').getAttribute('transform'), \
                 t(new Date(d - 5000)), t(d)];",
    )
    .await?;
    let clock = read[0].as_str().unwrap_or_default().to_owned();
    assert!(
        read[2] == json!(clock) || read[3] == json!(clock),
        "the clock shows {clock}, the browser's time is {read}"
    );
    let m: f64 = clock[3..].parse()?;
    let angle: f64 = read[1]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("rotate(")
        .trim_end_matches(')')
        .parse()?;
    assert!(
        (m * 6.0..m * 6.0 + 6.0).contains(&angle),
        "minute hand at {angle}° for {clock}"
    );
    let hand = attr(&b, "#wall-clock .second-hand", "transform").await?;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let later = attr(&b, "#wall-clock .second-hand", "transform").await?;
    assert_ne!(hand, later, "the second hand did not move");

    // The moon (or sun) in the window toggles dark mode, which survives a reload.
    let dark = || async { js(&b, "return document.body.classList.contains('dark')").await };
    assert_eq!(dark().await?, json!(false));
    wait_css(&b, "#window-moon").await?.click().await?;
    wait_for(&b, "body.dark", true, 5).await?;
    wait_for(&b, "#window-moon.night .moon", true, 5).await?;
    screenshot(&b, "office-dark").await?;
    b.refresh().await?;
    wait_css(&b, "#office").await?;
    wait_for(&b, "body.dark", true, 10).await?;
    wait_css(&b, "#window-moon").await?.click().await?;
    wait_for(&b, "body.dark", false, 5).await?;
    wait_for(&b, "#window-moon .sun", true, 5).await?;
    b.refresh().await?;
    wait_css(&b, "#office").await?;
    wait_css(&b, ".desk[data-agent-id]").await?;
    assert_eq!(dark().await?, json!(false));

    // The corkboard opens the task board, empty in a fresh office (browser_board.rs tests it).
    wait_css(&b, "#corkboard").await?.click().await?;
    let panel = wait_css(&b, "#task-board-panel").await?;
    assert!(panel.text().await?.contains("No tasks yet"));
    assert!(
        b.find_all(Locator::Css("#task-board-panel li"))
            .await?
            .is_empty()
    );
    b.find(Locator::Css("#panel-close")).await?.click().await?;
    wait_for(&b, "#task-board-panel", false, 5).await?;

    // The framed sign edits the office prompt.
    wait_css(&b, "#office-sign").await?.click().await?;
    wait_css(&b, "#office-settings").await?;
    let rules = "Be kind to the build. Run the tests before you push.";
    let prompt = wait_css(&b, "#office-prompt").await?;
    prompt.clear().await?;
    prompt.send_keys(rules).await?;
    b.find(Locator::Css("#office-save")).await?.click().await?;
    wait_for(&b, "#office-settings", false, 10).await?;
    let settings = api.get("/api/office/settings").await?.ok()?;
    assert_eq!(settings["office"]["prompt"], json!(rules), "{settings}");

    // Doors: one to each other room; the last one adds a room and walks into it.
    let main_room = attr(&b, ".room-tab.active", "data-room-id").await?;
    let lab = api.post("/api/rooms", json!({"name": "Lab"})).await?.ok()?;
    let lab = lab["room"]["id"].as_str().expect("room id").to_owned();
    let lab_door = format!("#office svg .door[data-room-id='{lab}']");
    wait_css(&b, &lab_door).await?.click().await?;
    wait_for(
        &b,
        &format!(".room-tab.active[data-room-id='{lab}']"),
        true,
        5,
    )
    .await?;
    wait_css(
        &b,
        &format!("#office svg .door[data-room-id='{main_room}']"),
    )
    .await?;
    wait_css(&b, "#add-room-door").await?.click().await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let rooms = loop {
        let rooms = api.get("/api/rooms").await?.ok()?;
        let list = rooms["rooms"].as_array().cloned().unwrap_or_default();
        if list.len() == 3 || Instant::now() > deadline {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rooms.len(), 3, "the add-room door made no room: {rooms:?}");
    let added = rooms
        .iter()
        .filter_map(|r| r["id"].as_str())
        .find(|id| *id != lab && *id != main_room)
        .expect("the new room")
        .to_owned();
    wait_for(
        &b,
        &format!(".room-tab.active[data-room-id='{added}']"),
        true,
        5,
    )
    .await?;
    screenshot(&b, "office-new-room").await?;
    wait_css(
        &b,
        &format!("#office svg .door[data-room-id='{main_room}']"),
    )
    .await?
    .click()
    .await?;
    wait_for(
        &b,
        &format!(".room-tab.active[data-room-id='{main_room}']"),
        true,
        5,
    )
    .await?;

    // Spawn with a chosen look: the live preview follows, the desk's character uses it.
    wait_css(&b, ".desk.empty").await?.click().await?;
    wait_css(&b, "#spawn-dialog").await?;
    b.find(Locator::Css("#spawn-name"))
        .await?
        .send_keys("Looky")
        .await?;
    let preview = "#spawn-preview .character";
    let before = js(
        &b,
        "return document.querySelector('#spawn-preview').innerHTML",
    )
    .await?;
    let accessory = if attr(&b, preview, "data-accessory").await? == "headphones" {
        "sunglasses"
    } else {
        "headphones"
    };
    let outfit = if attr(&b, preview, "data-outfit").await? == "#ec4899" {
        "#10b981"
    } else {
        "#ec4899"
    };
    js(
        &b,
        &format!(
            "const s = document.querySelector('#spawn-accessory'); s.value = '{accessory}'; \
             s.dispatchEvent(new Event('change', {{bubbles: true}})); return null;"
        ),
    )
    .await?;
    b.find(Locator::Css(&format!(
        "#spawn-outfit .swatch[data-value='{outfit}']"
    )))
    .await?
    .click()
    .await?;
    wait_for(
        &b,
        &format!("{preview}[data-accessory='{accessory}'][data-outfit='{outfit}']"),
        true,
        5,
    )
    .await?;
    wait_css(&b, &format!("#spawn-preview .acc-{accessory}")).await?;
    let after = js(
        &b,
        "return document.querySelector('#spawn-preview').innerHTML",
    )
    .await?;
    assert_ne!(before, after, "the preview did not change");
    screenshot(&b, "spawn-dialog-look").await?;
    let hair = attr(&b, preview, "data-hair").await?;
    js(
        &b,
        "const s = document.querySelector('#spawn-backend'); s.value = 'demo'; \
         s.dispatchEvent(new Event('change', {bubbles: true})); return null;",
    )
    .await?;
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work)?;
    let cwd = b.find(Locator::Css("#spawn-cwd")).await?;
    cwd.clear().await?;
    cwd.send_keys(&work.to_string_lossy()).await?;
    b.find(Locator::Css("#spawn-submit")).await?.click().await?;
    wait_for(&b, "#spawn-dialog", false, 10).await?;
    let looky = api.agent_id("Looky").await?;
    let agent = agent_json(&api, &looky).await?;
    assert_eq!(agent["look"]["accessory"], json!(accessory), "{agent}");
    assert_eq!(agent["look"]["outfit"], json!(outfit));
    assert_eq!(agent["look"]["hair"], json!(hair));
    let desk = format!(".desk[data-agent-id='{looky}']");
    wait_css(
        &b,
        &format!("{desk} .character[data-accessory='{accessory}'][data-outfit='{outfit}']"),
    )
    .await?;
    wait_css(&b, &format!("{desk} .acc-{accessory}")).await?;
    // The demo model's prop is the rubber duck.
    wait_css(&b, &format!("{desk} .prop-duck")).await?;

    // The cwd just used is suggested next time.
    wait_css(&b, ".desk.empty").await?.click().await?;
    wait_css(&b, "#spawn-dialog").await?;
    let listed = js(
        &b,
        "return [...document.querySelectorAll('#spawn-cwd-list option')].map(o => o.value)",
    )
    .await?;
    assert!(
        listed.as_array().is_some_and(|l| l
            .iter()
            .any(|v| v.as_str() == Some(&*work.to_string_lossy()))),
        "{listed}"
    );
    b.find(Locator::Css("#spawn-cancel")).await?.click().await?;
    wait_for(&b, "#spawn-dialog", false, 5).await?;

    // States: each one has its class and a running animation. An observer records every
    // state the desk's character shows, so short ones (a tool call) are seen too.
    let character = format!("{desk} .character");
    js(
        &b,
        &format!(
            "window.seenStates = new Set(); const look = () => document\
               .querySelectorAll(\"{character}\").forEach(c => seenStates.add(c.dataset.state)); \
             new MutationObserver(look).observe(document.querySelector('#office svg'), \
               {{subtree: true, childList: true, attributes: true}}); look(); return null;"
        ),
    )
    .await?;
    api.post(
        &format!("/api/agents/{looky}/messages"),
        json!({"text": "/demo slow"}),
    )
    .await?
    .ok()?;
    wait_css(&b, &format!("{character}.state-thinking")).await?;
    wait_css(&b, &format!("{desk} .thought .dot")).await?;
    let animation = js(
        &b,
        &format!(
            "return getComputedStyle(document.querySelector(\"{desk} .thought .dot\")).animationName"
        ),
    )
    .await?;
    assert_eq!(animation, json!("think"));
    screenshot(&b, "state-thinking").await?;
    wait_for(&b, &format!("{character}.state-idle"), true, 30).await?;

    api.post(
        &format!("/api/agents/{looky}/messages"),
        json!({"text": "/demo approval"}),
    )
    .await?
    .ok()?;
    wait_css(&b, &format!("{character}.state-waiting_approval")).await?;
    wait_css(&b, &format!("{desk} .arm-raised")).await?;
    wait_css(&b, &format!("{desk} .approval-sign")).await?;
    screenshot(&b, "state-waiting-approval").await?;
    let pending = agent_json(&api, &looky).await?;
    let approval = pending["pending_approvals"][0]["approval_id"]
        .as_str()
        .expect("a pending approval")
        .to_owned();
    api.post(
        &format!("/api/agents/{looky}/approvals/{approval}"),
        json!({"allow": true}),
    )
    .await?
    .ok()?;
    wait_for(&b, &format!("{character}.state-idle"), true, 30).await?;

    api.post(
        &format!("/api/agents/{looky}/messages"),
        json!({"text": "/demo question"}),
    )
    .await?
    .ok()?;
    wait_css(&b, &format!("{character}.state-waiting_input")).await?;
    wait_css(&b, &format!("{desk} .question")).await?;
    wait_css(&b, &format!("{desk} .arm-raised")).await?;
    screenshot(&b, "state-waiting-input").await?;

    api.post(
        &format!("/api/agents/{looky}/messages"),
        json!({"text": "Blue. /demo tool"}),
    )
    .await?
    .ok()?;
    wait_for(&b, &format!("{character}.state-idle"), true, 30).await?;
    api.post(
        &format!("/api/agents/{looky}/messages"),
        json!({"text": "/demo error"}),
    )
    .await?
    .ok()?;
    wait_css(&b, &format!("{character}.state-error")).await?;
    wait_css(&b, &format!("{desk} .error-cloud")).await?;
    screenshot(&b, "state-error").await?;
    let seen = js(&b, "return [...window.seenStates].sort()").await?;
    for state in [
        "error",
        "idle",
        "thinking",
        "tool",
        "waiting_approval",
        "waiting_input",
    ] {
        assert!(
            seen.as_array()
                .is_some_and(|a| a.iter().any(|s| s == state)),
            "never saw {state}: {seen}"
        );
    }
    // The office's own demo agent has not worked yet: it sleeps (Zzz).
    let demo = api.agent_id("Demo").await?;
    wait_css(
        &b,
        &format!(".desk[data-agent-id='{demo}'] .character.state-sleeping"),
    )
    .await?;
    wait_css(&b, &format!(".desk[data-agent-id='{demo}'] .zzz")).await?;
    Ok(())
}
