//! The browser test: headless Chromium (through chromedriver, from Rust) against the real
//! `isomux serve` with the built UI. Open the owner link, enter the office, spawn a demo agent
//! from an empty desk, send a message and watch the reply stream (at least two growing
//! intermediate texts) before it completes. Screenshots go to the test artifacts.

use fantoccini::Locator;
use isomux_tests::browser::{
    ChromeDriver, accept_in_browser, console_log, screenshot, start_server_with_ui, wait_css,
};
use std::time::{Duration, Instant};

#[tokio::test]
async fn owner_spawns_an_agent_and_sees_the_reply_stream() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let link = server.owner_link.clone().expect("owner link");
    let driver = ChromeDriver::start()?;
    let b = driver.session(1280, 860).await?;

    // The confirm page, then the office.
    accept_in_browser(&b, &server.url, &link, "Nil").await?;
    screenshot(&b, "browser-office").await?;

    // Spawn from an empty desk.
    wait_css(&b, ".desk.empty").await?.click().await?;
    wait_css(&b, "#spawn-dialog").await?;
    let name = b.find(Locator::Css("#spawn-name")).await?;
    name.clear().await?;
    name.send_keys("Browsy").await?;
    b.execute(
        "const s = document.querySelector('#spawn-backend'); s.value = 'demo'; \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![],
    )
    .await?;
    let cwd = b.find(Locator::Css("#spawn-cwd")).await?;
    cwd.clear().await?;
    cwd.send_keys(&dir.path().to_string_lossy()).await?;
    b.find(Locator::Css("#spawn-submit")).await?.click().await?;

    // The new agent sits at a desk; open its chat.
    let deadline = Instant::now() + Duration::from_secs(15);
    let desk = loop {
        let mut found = None;
        for d in b.find_all(Locator::Css(".desk[data-agent-id]")).await? {
            if d.text().await?.contains("Browsy") {
                found = Some(d);
                break;
            }
        }
        if let Some(d) = found {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "the spawned agent never appeared at a desk"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    desk.click().await?;
    wait_css(&b, "#chat").await?;

    // Send and watch the reply grow.
    let composer = wait_css(&b, "#composer").await?;
    composer.send_keys("hello from chromium").await?;
    b.find(Locator::Css("#send")).await?.click().await?;
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done = b
            .find_all(Locator::Css(".entry-assistant:not(.streaming)"))
            .await?;
        let mut finished = false;
        for e in done {
            if e.text()
                .await?
                .contains("You said: \"hello from chromium\"")
            {
                finished = true;
            }
        }
        if finished {
            break;
        }
        if let Ok(s) = b.find(Locator::Css(".entry.streaming")).await
            && let Ok(t) = s.text().await
            && !t.is_empty()
            && seen.last() != Some(&t)
        {
            seen.push(t);
        }
        assert!(
            Instant::now() < deadline,
            "the reply never completed; streamed texts seen: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    println!("intermediate texts: {}", seen.len());
    let growing = seen
        .windows(2)
        .filter(|w| w[1].len() > w[0].len() && w[1].starts_with(w[0].trim_end()))
        .count();
    assert!(
        seen.len() >= 2 && growing >= 1,
        "expected at least two growing intermediate texts, saw {seen:?}"
    );
    screenshot(&b, "browser-chat").await?;

    let log = console_log(&b).await.unwrap_or_default();
    let csp: Vec<_> = log
        .iter()
        .filter(|l| l.contains("Content Security Policy") || l.contains("Refused to"))
        .collect();
    assert!(csp.is_empty(), "CSP violations: {csp:?}");
    b.close().await?;
    Ok(())
}
