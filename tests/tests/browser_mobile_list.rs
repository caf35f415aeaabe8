//! Finding the agent that needs you on a phone: headless Chromium at 390×844 against the real
//! `isomux serve` with the built UI. Under the room (cropped to its desks, desks at least 44px)
//! the agents list shows every agent of the room with its state; an agent put in
//! `/demo approval` over REST comes first with "needs approval" and pulses, also from another
//! room; a tap opens its chat with the approval card; once approved and back, nothing is
//! flagged. "Add agent" opens the spawn dialog on the first free desk. Nothing scrolls
//! sideways; on a laptop-wide viewport the list is hidden and the whole room is drawn.
//! Screenshots go to the test artifacts.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::browser::{
    ChromeDriver, accept_in_browser, emulate_viewport, js, overflow_x, screenshot,
    start_server_with_ui, wait_css, wait_true,
};
use serde_json::json;
use std::time::{Duration, Instant};

const WIDTH: u32 = 390;
const HEIGHT: u32 = 844;

/// The list's rows under `list` (`#agent-rows`, `#agent-rows-elsewhere`) as
/// `[agent id, state label, flagged]`, in order.
async fn rows(b: &Browser, list: &str) -> anyhow::Result<Vec<(String, String, bool)>> {
    let v = b
        .execute(
            "return [...document.querySelectorAll(arguments[0] + ' .agent-row[data-agent-id]')]\
               .map(r => [r.dataset.agentId, r.querySelector('.agent-row-state').textContent, \
                          r.classList.contains('attention')]);",
            vec![json!(list)],
        )
        .await?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_owned(),
                r[1].as_str().unwrap_or_default().to_owned(),
                r[2].as_bool().unwrap_or_default(),
            )
        })
        .collect())
}

/// Polls [`rows`] until `pred` holds.
async fn wait_rows(
    b: &Browser,
    list: &str,
    what: &str,
    pred: impl Fn(&[(String, String, bool)]) -> bool,
) -> anyhow::Result<Vec<(String, String, bool)>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = rows(b, list).await?;
        if pred(&now) {
            return Ok(now);
        }
        if Instant::now() > deadline {
            anyhow::bail!("waited 30s for {what}; rows of {list}: {now:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sizes (`[w, h]`, px) of the visible elements matching `css`.
async fn sizes(b: &Browser, css: &str) -> anyhow::Result<Vec<(f64, f64)>> {
    let v = b
        .execute(
            "return [...document.querySelectorAll(arguments[0])]\
               .map(e => e.getBoundingClientRect()).filter(r => r.width > 0)\
               .map(r => [r.width, r.height]);",
            vec![json!(css)],
        )
        .await?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .map(|r| (r[0].as_f64().unwrap_or(0.0), r[1].as_f64().unwrap_or(0.0)))
        .collect())
}

#[tokio::test]
async fn phone_list_finds_the_agent_that_needs_you() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let link = server.owner_link.clone().expect("owner link");
    let driver = ChromeDriver::start()?;
    let b = driver.session(WIDTH, HEIGHT).await?;
    emulate_viewport(&b, WIDTH, HEIGHT, true).await?;

    let api = accept_in_browser(&b, &server.url, &link, "Pia").await?;
    assert_eq!(js(&b, "return window.innerWidth").await?, json!(WIDTH));

    // Two more demo agents.
    let demo = api.agent_id("Demo").await?;
    let work = tempfile::tempdir()?;
    let ana = api.hire("Ana", "demo", work.path()).await?;
    let bo = api.hire("Bo", "demo", work.path()).await?;

    // Every agent of the room is listed by desk, none flagged, each with its state.
    let listed = wait_rows(&b, "#agent-rows", "three idle rows", |r| r.len() == 3).await?;
    let ids: Vec<&str> = listed.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        ids,
        [demo.as_str(), ana.as_str(), bo.as_str()],
        "{listed:?}"
    );
    assert!(
        listed.iter().all(|r| !r.2),
        "nothing is flagged yet: {listed:?}"
    );
    for (_, label, _) in &listed {
        assert!(
            ["idle", "sleeping", "thinking"].contains(&label.as_str()),
            "state label {label:?}"
        );
    }
    let name = b
        .find(Locator::Css(&format!(
            ".agent-row[data-agent-id='{ana}'] .agent-row-name"
        )))
        .await?
        .text()
        .await?;
    assert_eq!(name, "Ana");
    assert!(
        !b.find_all(Locator::Css(&format!(
            ".agent-row[data-agent-id='{ana}'] svg.agent-mini .character"
        )))
        .await?
        .is_empty(),
        "the row has a mini character"
    );

    // Rows and desks are finger-sized; the room is cropped to its desks on a phone.
    let row_sizes = sizes(&b, ".agent-row").await?;
    assert_eq!(
        row_sizes.len(),
        4,
        "three agents and Add agent: {row_sizes:?}"
    );
    assert!(
        row_sizes.iter().all(|(w, h)| *h >= 48.0 && *w >= 300.0),
        "rows under 48px: {row_sizes:?}"
    );
    let desks = sizes(&b, ".desk .hit").await?;
    assert_eq!(desks.len(), 8, "{desks:?}");
    assert!(
        desks.iter().all(|(w, h)| *w >= 44.0 && *h >= 44.0),
        "desks under 44px: {desks:?}"
    );
    assert_eq!(
        js(
            &b,
            "return document.querySelector('svg.scene').getAttribute('viewBox')"
        )
        .await?,
        json!("110 64 740 476")
    );
    assert_eq!(overflow_x(&b).await?, 0, "the office scrolls sideways");

    // "Add agent" opens the spawn dialog on the first free desk (Demo, Ana, Bo sit at 1–3).
    let add = wait_css(&b, "#agent-add").await?;
    assert_eq!(add.attr("data-desk").await?.as_deref(), Some("4"));
    add.click().await?;
    wait_css(&b, "#spawn-dialog").await?;
    b.find(Locator::Css("#spawn-cancel")).await?.click().await?;
    wait_true(
        &b,
        "the spawn dialog to close",
        "return document.querySelector('#spawn-dialog') === null",
        5,
    )
    .await?;

    // Bo asks for an approval: its row comes first, says so and pulses.
    api.say(&bo, "/demo approval").await?;
    let listed = wait_rows(&b, "#agent-rows", "Bo first, needing approval", |r| {
        r.first()
            .is_some_and(|r| r.0 == bo && r.1 == "needs approval" && r.2)
    })
    .await?;
    assert!(listed[1..].iter().all(|r| !r.2), "only Bo: {listed:?}");
    let anim = js(
        &b,
        "return getComputedStyle(document.querySelector('.agent-row.attention')).animationName",
    )
    .await?;
    assert_eq!(anim, json!("tab-pulse"), "the row pulses");
    assert_eq!(overflow_x(&b).await?, 0, "the list scrolls sideways");
    tokio::time::sleep(Duration::from_millis(600)).await;
    screenshot(&b, "mobile-list-needs-approval").await?;

    // From another room, Bo is listed under "Needs you in other rooms".
    let lab = api.post("/api/rooms", json!({"name": "Lab"})).await?.ok()?;
    let lab = lab["room"]["id"].as_str().expect("room id").to_owned();
    wait_css(&b, &format!(".room-tab[data-room-id='{lab}']"))
        .await?
        .click()
        .await?;
    wait_css(&b, &format!(".room-tab.active[data-room-id='{lab}']")).await?;
    let elsewhere = wait_rows(&b, "#agent-rows-elsewhere", "Bo from the Lab", |r| {
        r.len() == 1 && r[0].0 == bo
    })
    .await?;
    assert_eq!(elsewhere[0].1, "needs approval");
    assert!(
        rows(&b, "#agent-rows").await?.is_empty(),
        "the Lab is empty"
    );
    let room = b
        .find(Locator::Css("#agent-rows-elsewhere .agent-row-room"))
        .await?
        .text()
        .await?;
    assert!(room.contains("Main Office"), "{room:?}");
    screenshot(&b, "mobile-list-other-room").await?;

    // A tap opens Bo's chat with the approval card; approve; back.
    b.find(Locator::Css(&format!(
        "#agent-rows-elsewhere .agent-row[data-agent-id='{bo}']"
    )))
    .await?
    .click()
    .await?;
    wait_css(&b, &format!("#chat[data-agent-id='{bo}']")).await?;
    wait_css(&b, ".approval:not(.approval-resolved) .approve")
        .await?
        .click()
        .await?;
    wait_css(&b, ".approval-resolved.allowed").await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.agent_state(&bo).await?["state"] != json!("idle") {
        anyhow::ensure!(Instant::now() < deadline, "Bo never went idle");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.find(Locator::Css("#back")).await?.click().await?;
    wait_css(&b, "#office").await?;
    // Back in Bo's room (opening the chat went there); nothing is flagged any more.
    let listed = wait_rows(&b, "#agent-rows", "Bo no longer flagged", |r| {
        r.len() == 3 && r.iter().all(|r| !r.2)
    })
    .await?;
    let bo_row = listed.iter().find(|r| r.0 == bo).expect("Bo is listed");
    assert_eq!(bo_row.1, "idle", "{listed:?}");
    assert!(
        b.find_all(Locator::Css("#agent-rows-elsewhere"))
            .await?
            .is_empty()
    );
    assert_eq!(overflow_x(&b).await?, 0);
    screenshot(&b, "mobile-list").await?;

    // A laptop-wide viewport: no list, the whole room.
    emulate_viewport(&b, 1280, 860, false).await?;
    wait_true(
        &b,
        "the wide viewBox",
        "return document.querySelector('svg.scene').getAttribute('viewBox') === '40 10 920 600'",
        5,
    )
    .await?;
    assert_eq!(
        js(
            &b,
            "return getComputedStyle(document.querySelector('.agent-list')).display"
        )
        .await?,
        json!("none")
    );
    b.close().await?;
    Ok(())
}
