//! Two people in one chat, in two independent headless chromium sessions (own profiles and
//! cookie jars) against the real `isomux serve` with the built UI and the demo agent: the owner
//! mints a member invite over REST, the second browser accepts it as "Mo" on a named device;
//! both open the demo agent's chat and see each other's ghost in the chat header; Mo's message
//! shows on the owner's page labelled `[Mo (Pixel)]` with the streamed reply addressed to Mo,
//! the owner's message shows on Mo's page; `/demo approval` from Mo shows the card on both
//! pages, the owner approves and both see the outcome; Mo goes back to the office, where the
//! owner's ghost stands by the demo agent's desk (fainter while the owner's tab is hidden), and
//! the owner's chat header drops Mo's ghost. Screenshots of both pages go to the artifacts.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::browser::{
    ChromeDriver, accept_in_browser, js, open_chat, screenshot, send, start_server_with_ui,
    wait_css, wait_for, wait_js, wait_text,
};
use serde_json::json;
use std::time::Instant;

/// Accepts an invite in the browser as `name` on `device`.
async fn accept_with_device(
    b: &Browser,
    link: &str,
    name: &str,
    device: &str,
) -> anyhow::Result<()> {
    b.goto(link).await?;
    wait_css(b, "#accept-form").await?;
    b.find(Locator::Css("#name")).await?.send_keys(name).await?;
    b.find(Locator::Css("#device"))
        .await?
        .send_keys(device)
        .await?;
    b.find(Locator::Css("#accept")).await?.click().await?;
    wait_css(b, "#office").await?;
    wait_css(b, ".desk[data-agent-id]").await?;
    Ok(())
}

/// The user entry containing `text`: its sender label (waits for it).
async fn user_entry_label(b: &Browser, text: &str, secs: u64) -> anyhow::Result<String> {
    let v = wait_js(
        b,
        &format!("a user entry with {text:?}"),
        &format!(
            "const e = Array.from(document.querySelectorAll('.entry-user')) \
             .find(e => e.textContent.includes({})); \
             return e ? (e.querySelector('.sender')?.textContent ?? '(no sender)') : null;",
            serde_json::to_string(text)?
        ),
        secs,
    )
    .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// Waits for a finished assistant entry containing `text`.
async fn assistant_says(b: &Browser, text: &str, secs: u64) -> anyhow::Result<()> {
    wait_js(
        b,
        &format!("an assistant entry with {text:?}"),
        &format!(
            "return Array.from(document.querySelectorAll('.entry-assistant:not(.streaming)')) \
             .some(e => e.textContent.includes({}));",
            serde_json::to_string(text)?
        ),
        secs,
    )
    .await?;
    Ok(())
}

/// The `title` of the chat-header ghost of `name` (waits for it).
async fn header_ghost(b: &Browser, name: &str) -> anyhow::Result<String> {
    let css = format!("#chat .chat-header .ghost-row .ghost[data-name='{name}']");
    let el = wait_css(b, &css).await?;
    Ok(el.attr("title").await?.unwrap_or_default())
}

#[tokio::test]
async fn two_people_share_a_chat_live() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;

    // The owner signs in and mints a member invite over REST.
    let owner_b = driver.session(1200, 850).await?;
    let link = server.owner_link.clone().expect("owner link");
    let owner = accept_in_browser(&owner_b, &server.url, &link, "Pam").await?;
    let made = owner
        .post("/api/invites", json!({"role": "member"}))
        .await?
        .ok()?;
    let invite = made["url"].as_str().expect("an invite url").to_owned();

    // A second, independent browser accepts it as Mo on a Pixel.
    let member_b = driver.session(1000, 850).await?;
    accept_with_device(&member_b, &invite, "Mo", "Pixel").await?;
    let demo = owner.agent_id("Demo").await?;

    // Both open the demo agent's chat: each sees the other's ghost, not their own.
    open_chat(&owner_b, &server.url, &demo).await?;
    open_chat(&member_b, &server.url, &demo).await?;
    assert_eq!(header_ghost(&owner_b, "Mo").await?, "Mo (Pixel)");
    assert_eq!(header_ghost(&member_b, "Pam").await?, "Pam");
    wait_js(
        &owner_b,
        "the ghost's initials",
        "return document.querySelector(\".ghost-row .ghost[data-name='Mo'] .ghost-initials\")\
         ?.textContent === 'M';",
        5,
    )
    .await?;
    for (b, me) in [(&owner_b, "Pam"), (&member_b, "Mo")] {
        let own = b
            .find_all(Locator::Css(&format!(
                ".ghost-row .ghost[data-name='{me}']"
            )))
            .await?
            .len();
        assert_eq!(own, 0, "{me} does not see their own ghost");
    }

    // Mo's message reaches the owner live, labelled with name and device, and so does the reply.
    send(&member_b, "hello from Mo").await?;
    let label = user_entry_label(&owner_b, "hello from Mo", 15).await?;
    assert_eq!(label, "[Mo (Pixel)]");
    assistant_says(&owner_b, "You said: \"hello from Mo\"", 30).await?;
    assistant_says(&member_b, "You said: \"hello from Mo\"", 5).await?;
    wait_for(&owner_b, "#stop", false, 20).await?;

    // The owner's message reaches Mo.
    send(&owner_b, "hi Mo, Pam here").await?;
    let label = user_entry_label(&member_b, "hi Mo, Pam here", 15).await?;
    assert_eq!(label, "[Pam]");
    assistant_says(&member_b, "You said: \"hi Mo, Pam here\"", 30).await?;
    wait_for(&member_b, "#stop", false, 20).await?;

    // An approval asked for by Mo shows on both pages; the owner approves; both see who did.
    send(&member_b, "/demo approval").await?;
    wait_css(&member_b, ".approval:not(.approval-resolved) .approve").await?;
    let approve = wait_css(&owner_b, ".approval:not(.approval-resolved) .approve").await?;
    screenshot(&owner_b, "two-people-owner-approval").await?;
    screenshot(&member_b, "two-people-member-approval").await?;
    approve.click().await?;
    for b in [&owner_b, &member_b] {
        wait_text(
            b,
            ".approval-resolved.allowed .approval-outcome",
            "Approved by Pam",
            10,
        )
        .await?;
        wait_for(b, ".approval:not(.approval-resolved)", false, 5).await?;
    }
    wait_for(&member_b, "#stop", false, 20).await?;
    screenshot(&owner_b, "two-people-owner-chat").await?;
    screenshot(&member_b, "two-people-member-chat").await?;

    // Mo goes back to the office: the owner's header drops Mo within seconds, and Mo's office
    // shows the owner's ghost by the demo agent's desk.
    let started = Instant::now();
    member_b.find(Locator::Css("#back")).await?.click().await?;
    wait_css(&member_b, "#office").await?;
    wait_for(&owner_b, ".ghost-row .ghost[data-name='Mo']", false, 5).await?;
    println!("Mo's chat ghost gone after {:?}", started.elapsed());
    let desk_ghost = format!(".scene .ghosts .ghost[data-name='Pam'][data-agent-id='{demo}']");
    wait_css(&member_b, &desk_ghost).await?;
    let own = member_b
        .find_all(Locator::Css(".scene .ghosts .ghost[data-name='Mo']"))
        .await?
        .len();
    assert_eq!(own, 0, "Mo does not see their own ghost in the office");

    // The owner's tab goes hidden: the ghost turns away (fainter), and back when shown.
    let set_hidden = |hidden: bool| {
        format!(
            "Object.defineProperty(document, 'hidden', {{value: {hidden}, configurable: true}}); \
             document.dispatchEvent(new Event('visibilitychange', {{bubbles: true}})); return 1;"
        )
    };
    js(&owner_b, &set_hidden(true)).await?;
    wait_css(&member_b, &format!("{desk_ghost}.away")).await?;
    let title = js(
        &member_b,
        &format!("return document.querySelector(\"{desk_ghost} title\").textContent;"),
    )
    .await?;
    assert_eq!(title, json!("Pam · away"));
    js(&owner_b, &set_hidden(false)).await?;
    wait_for(&member_b, &format!("{desk_ghost}.away"), false, 5).await?;
    wait_css(&member_b, &desk_ghost).await?;
    screenshot(&member_b, "two-people-member-office").await?;
    screenshot(&owner_b, "two-people-owner-alone").await?;

    owner_b.close().await?;
    member_b.close().await?;
    Ok(())
}
