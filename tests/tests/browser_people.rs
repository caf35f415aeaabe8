//! People, in two real browsers against the real `isomux serve`: the owner mints a member
//! invite in the People panel (link shown once, with a QR code), a second browser accepts it;
//! the member links another device from their own panel; the owner sees the member, limits
//! and restores their room access, mints and revokes an API token (checked as a real Bearer),
//! revokes the member's session — and the member's page drops to the signed-out screen within
//! seconds — then removes the member. REST confirms what the UI claims.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::browser::{
    ChromeDriver, accept_in_browser, js, screenshot, select, start_server_with_ui, wait_css,
    wait_for, wait_text,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn open_people(b: &Browser) -> anyhow::Result<()> {
    if !b.find_all(Locator::Css("#people-panel")).await?.is_empty() {
        b.find(Locator::Css("#people-close")).await?.click().await?;
        wait_for(b, "#people-panel", false, 5).await?;
    }
    wait_css(b, "#people-toggle").await?.click().await?;
    wait_css(b, "#people-panel #session-list").await?;
    Ok(())
}

/// The shown-once text of a result box.
async fn once_text(b: &Browser, box_css: &str) -> anyhow::Result<String> {
    wait_css(b, &format!("{box_css} .once-text")).await?;
    let v = js(
        b,
        &format!("return document.querySelector(\"{box_css} .once-text\").value"),
    )
    .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

async fn member_json(api: &isomux_tests::Client, name: &str) -> anyhow::Result<Option<Value>> {
    let all = api.get("/api/members").await?.ok()?;
    Ok(all["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == json!(name)).cloned()))
}

/// `GET /api/me` with a Bearer token: its status.
async fn bearer_status(base: &str, token: &str) -> anyhow::Result<u16> {
    let res = reqwest::Client::new()
        .get(format!("{base}/api/me"))
        .bearer_auth(token)
        .send()
        .await?;
    Ok(res.status().as_u16())
}

#[tokio::test]
async fn people_invite_accept_access_tokens_and_revoke() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;
    let owner_b = driver.session(1280, 900).await?;
    let link = server.owner_link.clone().expect("owner link");
    let owner = accept_in_browser(&owner_b, &server.url, &link, "Pam").await?;

    // The owner mints a member invite: the link once, with a copy button and a QR code.
    open_people(&owner_b).await?;
    wait_text(&owner_b, "#people-toggle", "People", 5).await?;
    select(&owner_b, "#invite-role", "member").await?;
    owner_b
        .find(Locator::Css("#invite-create"))
        .await?
        .click()
        .await?;
    let url = once_text(&owner_b, "#invite-result").await?;
    assert!(url.contains("/i/"), "an invite URL: {url}");
    wait_css(&owner_b, "#invite-result .once-copy").await?;
    let qr = js(
        &owner_b,
        "const p = document.querySelector('#invite-result svg.qr path.qr-dark'); \
         return p ? p.getAttribute('d').length : 0",
    )
    .await?;
    assert!(qr.as_u64().unwrap_or(0) > 100, "a drawn QR code: {qr}");
    wait_css(&owner_b, "#invite-list .invite[data-status='open']").await?;
    let invites = owner.get("/api/invites").await?.ok()?;
    assert!(
        invites["invites"].as_array().is_some_and(|i| i
            .iter()
            .any(|i| i["status"] == "open" && i["role"] == "member")),
        "{invites}"
    );
    screenshot(&owner_b, "people-invite").await?;

    // A second browser accepts it as a member.
    let member_b = driver.session(1000, 800).await?;
    let member = accept_in_browser(&member_b, &server.url, &url, "Jim").await?;
    let me = member.get("/api/me").await?.ok()?;
    assert_eq!(me["me"]["role"], json!("member"), "{me}");

    // The member's own panel: their devices, and a link for another one.
    open_people(&member_b).await?;
    wait_text(&member_b, "#people-toggle", "Devices", 5).await?;
    assert!(
        member_b
            .find_all(Locator::Css("#invite-create, #member-list, #token-create"))
            .await?
            .is_empty(),
        "members see no owner controls"
    );
    member_b
        .find(Locator::Css("#device-link-create"))
        .await?
        .click()
        .await?;
    let device_link = once_text(&member_b, "#invite-result").await?;
    assert!(device_link.contains("/i/"), "{device_link}");
    wait_css(&member_b, "#session-list .auth-session.current").await?;
    screenshot(&member_b, "people-member-devices").await?;

    // The owner sees the member and their session.
    open_people(&owner_b).await?;
    let jim = member_json(&owner, "Jim").await?.expect("Jim is a member");
    let jim_id = jim["id"].as_str().unwrap().to_owned();
    let jim_row = format!("#member-list .member[data-member-id='{jim_id}']");
    wait_text(&owner_b, &jim_row, "Jim", 5).await?;
    let jim_session = format!("#session-list .auth-session[data-member-id='{jim_id}']");
    wait_css(&owner_b, &jim_session).await?;

    // Room access: untick the only room, then tick it back (every room again).
    wait_css(&owner_b, &format!("{jim_row} .member-room"))
        .await?
        .click()
        .await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while member_json(&owner, "Jim")
        .await?
        .map(|m| m["rooms"].clone())
        != Some(json!([]))
    {
        anyhow::ensure!(Instant::now() < deadline, "Jim's rooms never became []");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&member_b, ".desk[data-agent-id]", false, 10).await?;
    wait_css(&owner_b, &format!("{jim_row} .member-room"))
        .await?
        .click()
        .await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while member_json(&owner, "Jim")
        .await?
        .map(|m| m["rooms"].clone())
        != Some(Value::Null)
    {
        anyhow::ensure!(Instant::now() < deadline, "Jim's rooms never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&member_b, ".desk[data-agent-id]", true, 10).await?;

    // An API token: shown once, works as a Bearer, revoked from the list.
    owner_b
        .find(Locator::Css("#token-name"))
        .await?
        .send_keys("CI")
        .await?;
    owner_b
        .find(Locator::Css("#token-create"))
        .await?
        .click()
        .await?;
    let secret = once_text(&owner_b, "#token-secret").await?;
    assert!(secret.starts_with("isx_pat_"), "{secret}");
    assert_eq!(bearer_status(&server.url, &secret).await?, 200);
    wait_text(&owner_b, "#token-list .api-token", "CI", 5).await?;
    owner_b
        .find(Locator::Css("#token-list .api-token .token-revoke"))
        .await?
        .click()
        .await?;
    wait_for(&owner_b, "#token-list .api-token", false, 10).await?;
    assert_eq!(bearer_status(&server.url, &secret).await?, 401);
    screenshot(&owner_b, "people-owner").await?;

    // The owner revokes Jim's session: Jim's page drops to the signed-out screen.
    let started = Instant::now();
    wait_css(&owner_b, &format!("{jim_session} .session-revoke"))
        .await?
        .click()
        .await?;
    wait_for(&member_b, "#signed-out", true, 10).await?;
    println!("signed out after {:?}", started.elapsed());
    assert_eq!(member.get("/api/me").await?.status, 401);
    wait_for(&owner_b, &jim_session, false, 10).await?;
    screenshot(&member_b, "people-member-signed-out").await?;

    // And removes Jim.
    wait_css(&owner_b, &format!("{jim_row} .member-remove"))
        .await?
        .click()
        .await?;
    wait_for(&owner_b, &jim_row, false, 10).await?;
    assert!(member_json(&owner, "Jim").await?.is_none());
    Ok(())
}
