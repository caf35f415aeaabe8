//! Helpers shared by the board and people browser suites (included with `#[path]`, so it is
//! not a test target of its own): the UI directory, polling for selectors and text, signing
//! a browser in through an invite link, and a REST client carrying that browser's cookie.

#![allow(dead_code, reason = "each suite that includes this uses a subset")]

use fantoccini::{Client as Browser, Locator};
use isomux_tests::Client;
use isomux_tests::browser::wait_css;
use isomux_tests::process::repo_root;
use serde_json::Value;
use std::time::{Duration, Instant};

/// `ISOMUX_UI_DIR` for a binary built without `embed-ui` (the debug test build).
pub fn ui_env() -> anyhow::Result<Vec<(&'static str, String)>> {
    let dist = std::env::var("ISOMUX_UI_DIST")
        .unwrap_or_else(|_| repo_root().join("ui/dist").to_string_lossy().into_owned());
    if std::env::var_os("ISOMUX_BIN").is_none()
        && !std::path::Path::new(&dist).join("index.html").is_file()
    {
        anyhow::bail!(
            "the UI is not built ({dist}/index.html is missing): run `cargo xtask build` \
             (or `cargo xtask test`, which builds it)"
        );
    }
    Ok(vec![("ISOMUX_UI_DIR", dist)])
}

/// Polls until `css` matches (`present`) or matches nothing (`!present`).
pub async fn wait_for(b: &Browser, css: &str, present: bool, secs: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let found = !b.find_all(Locator::Css(css)).await?.is_empty();
        if found == present {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "waited {secs}s for {css} to be {}",
                if present { "present" } else { "gone" }
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until the text of the first element matching `css` contains `needle`.
pub async fn wait_text(b: &Browser, css: &str, needle: &str, secs: u64) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = String::new();
    loop {
        if let Ok(el) = b.find(Locator::Css(css)).await
            && let Ok(t) = el.text().await
        {
            if t.contains(needle) {
                return Ok(t);
            }
            last = t;
        }
        if Instant::now() > deadline {
            anyhow::bail!("waited {secs}s for {css} to contain {needle:?}; it shows {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs a script (with `return`) and gives its value.
pub async fn js(b: &Browser, script: &str) -> anyhow::Result<Value> {
    Ok(b.execute(script, vec![]).await?)
}

/// Sets a `<select>`'s value and fires `change`, as a person picking an option does.
pub async fn select(b: &Browser, css: &str, value: &str) -> anyhow::Result<()> {
    wait_css(b, css).await?;
    let css = serde_json::to_string(css)?;
    let value = serde_json::to_string(value)?;
    js(
        b,
        &format!(
            "const s = document.querySelector({css}); s.value = {value}; \
             s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value;"
        ),
    )
    .await?;
    Ok(())
}

/// Opens an invite link in the browser, accepts it as `name` and waits for the office; returns
/// a REST client with the same session cookie.
pub async fn accept_in_browser(
    b: &Browser,
    base: &str,
    link: &str,
    name: &str,
) -> anyhow::Result<Client> {
    b.goto(link).await?;
    wait_css(b, "#accept-form").await?;
    b.find(Locator::Css("#name")).await?.send_keys(name).await?;
    b.find(Locator::Css("#accept")).await?.click().await?;
    wait_css(b, "#office").await?;
    wait_css(b, ".desk[data-agent-id]").await?;
    let cookie = b
        .get_all_cookies()
        .await?
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let mut api = Client::anonymous(base);
    api.cookie = Some(cookie);
    Ok(api)
}
