//! A headless Chromium driven through chromedriver (WebDriver) for the browser suites, and the
//! toolkit they share: the UI directory for the server (`ui_env`), signing in through an invite
//! or owner link's confirm page, opening a chat, polling for selectors, text and scripts. Fails —
//! never skips — with the install command when Chromium or chromedriver is missing.

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{ServerProcess, repo_root};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A 2×2 PNG (red, green, blue, white).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xc0,
    0xf0, 0x9f, 0x81, 0x81, 0x81, 0x81, 0xe1, 0xff, 0xff, 0xff, 0xff, 0x00, 0x23, 0xfc, 0x05, 0xfd,
    0x3a, 0xd4, 0x6f, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A free loopback port.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A chromedriver child, killed on drop.
pub struct ChromeDriver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChromeDriver {
    /// Starts chromedriver and waits until it accepts connections.
    pub fn start() -> Result<Self> {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(tool).exists() {
                bail!(
                    "{tool} is missing: run `cargo xtask setup` (or `apt-get install chromium \
                     chromium-driver`)"
                );
            }
        }
        let port = free_port()?;
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("chromedriver did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            child,
            port,
            _profile: tempfile::tempdir()?,
        })
    }

    /// A new headless browser session of `width`×`height`.
    pub async fn session(&self, width: u32, height: u32) -> Result<Client> {
        let profile = tempfile::tempdir()?.keep();
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("connecting to chromedriver")
    }
}

/// Where screenshots go (`$ISOMUX_TEST_ARTIFACTS`, default `target/test-artifacts`).
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("ISOMUX_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::process::repo_root().join("target/test-artifacts"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Saves a screenshot as `<artifacts>/<name>.png`.
pub async fn screenshot(client: &Client, name: &str) -> Result<PathBuf> {
    let png = client.screenshot().await?;
    let path = artifacts_dir().join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    println!("screenshot: {}", path.display());
    Ok(path)
}

/// Waits for a CSS selector (generously) and returns the element.
pub async fn wait_css(client: &Client, css: &str) -> Result<fantoccini::elements::Element> {
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))
}

/// The browser console log (chromedriver's legacy log endpoint), as text lines.
pub async fn console_log(client: &Client) -> Result<Vec<String>> {
    let v = client
        .issue_cmd(GetLog)
        .await
        .context("reading the browser log")?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default())
}

#[derive(Debug)]
struct GetLog;

impl fantoccini::wd::WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// `ISOMUX_UI_DIR` for a binary built without `embed-ui` (the debug test build): the UI in
/// `$ISOMUX_UI_DIST` (default `ui/dist`). Fails with how to build it when it is missing.
pub fn ui_env() -> Result<Vec<(&'static str, String)>> {
    let dist = std::env::var("ISOMUX_UI_DIST")
        .unwrap_or_else(|_| repo_root().join("ui/dist").to_string_lossy().into_owned());
    if std::env::var_os("ISOMUX_BIN").is_none() && !Path::new(&dist).join("index.html").is_file() {
        bail!(
            "the UI is not built ({dist}/index.html is missing): run `cargo xtask build` \
             (or `cargo xtask test`, which builds it)"
        );
    }
    Ok(vec![("ISOMUX_UI_DIR", dist)])
}

/// Starts `isomux serve` on `home` with the built UI (`ui_env`) and `extra` environment.
pub fn start_server_with_ui(home: &Path, extra: &[(&str, &str)]) -> Result<ServerProcess> {
    let ui = ui_env()?;
    let mut env: Vec<(&str, &str)> = ui.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    ServerProcess::start(home, &env)
}

/// Polls until `css` matches (`present`) or matches nothing (`!present`); a screenshot
/// (`browser-timeout`) on timeout.
pub async fn wait_for(b: &Client, css: &str, present: bool, secs: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let found = !b.find_all(Locator::Css(css)).await?.is_empty();
        if found == present {
            return Ok(());
        }
        if Instant::now() > deadline {
            screenshot(b, "browser-timeout").await.ok();
            bail!(
                "waited {secs}s for {css} to be {}",
                if present { "present" } else { "gone" }
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until the text of the first element matching `css` contains `needle`; that text.
pub async fn wait_text(b: &Client, css: &str, needle: &str, secs: u64) -> Result<String> {
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
            bail!("waited {secs}s for {css} to contain {needle:?}; it shows {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether a script's value counts as true (JS truthiness for JSON values).
fn truthy(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => false,
        Value::Bool(x) => *x,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// Polls a script (with `return`) until its value is truthy; that value. `what` names it in
/// the error; a screenshot (`browser-timeout`) on timeout.
pub async fn wait_js(b: &Client, what: &str, script: &str, secs: u64) -> Result<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = b.execute(script, vec![]).await?;
        if truthy(&v) {
            return Ok(v);
        }
        if Instant::now() > deadline {
            screenshot(b, "browser-timeout").await.ok();
            bail!("waited {secs}s for {what}; last value {v}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs a script (with `return`) and gives its value.
pub async fn js(b: &Client, script: &str) -> Result<serde_json::Value> {
    Ok(b.execute(script, vec![]).await?)
}

/// Sets a `<select>`'s value and fires `change`, as a person picking an option does.
pub async fn select(b: &Client, css: &str, value: &str) -> Result<()> {
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

/// A REST client carrying the browser's cookies (its session).
pub async fn api_with_cookies(b: &Client, base: &str) -> Result<crate::Client> {
    let cookie = b
        .get_all_cookies()
        .await?
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let mut api = crate::Client::anonymous(base);
    api.cookie = Some(cookie);
    Ok(api)
}

/// Opens an invite (or owner) link, accepts it on the confirm page as `name` and waits for the
/// office; a REST client with the browser's session.
pub async fn sign_in(b: &Client, base: &str, link: &str, name: &str) -> Result<crate::Client> {
    b.goto(link).await?;
    wait_css(b, "#accept-form").await?;
    b.find(Locator::Css("#name")).await?.send_keys(name).await?;
    b.find(Locator::Css("#accept")).await?.click().await?;
    wait_css(b, "#office").await?;
    api_with_cookies(b, base).await
}

/// `sign_in` with the server's owner link.
pub async fn sign_in_owner(
    b: &Client,
    server: &ServerProcess,
    name: &str,
) -> Result<crate::Client> {
    let link = server
        .owner_link
        .clone()
        .context("the server printed no owner link")?;
    sign_in(b, &server.url, &link, name).await
}

/// `sign_in`, then waits until the office shows its desks.
pub async fn accept_in_browser(
    b: &Client,
    base: &str,
    link: &str,
    name: &str,
) -> Result<crate::Client> {
    let api = sign_in(b, base, link, name).await?;
    wait_css(b, ".desk[data-agent-id]").await?;
    Ok(api)
}

/// Opens an agent's chat through its deep link and waits for the composer.
pub async fn open_chat(b: &Client, url: &str, agent: &str) -> Result<()> {
    b.goto(&format!("{url}/#/agent/{agent}")).await?;
    wait_css(b, &format!("#chat[data-agent-id='{agent}']")).await?;
    wait_css(b, "#composer").await?;
    Ok(())
}

/// Polls a script (with `return`) every 100 ms until it returns exactly `true`.
pub async fn wait_true(b: &Client, what: &str, script: &str, secs: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if js(b, script).await? == serde_json::Value::Bool(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("waited {secs}s for {what}: `{script}`");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How far the page scrolls sideways (0 when it fits the viewport).
pub async fn overflow_x(b: &Client) -> Result<i64> {
    let v = js(
        b,
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )
    .await?;
    Ok(v.as_i64().unwrap_or(i64::MAX))
}

/// A DevTools command sent through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
pub struct Cdp {
    /// The DevTools method, e.g. `Emulation.setDeviceMetricsOverride`.
    pub cmd: &'static str,
    /// Its parameters.
    pub params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Emulates a viewport of `width`×`height` at device scale 2 (phone metrics when `mobile`):
/// headless chromium has a minimum window width, so a phone's 390 px needs DevTools.
pub async fn emulate_viewport(b: &Client, width: u32, height: u32, mobile: bool) -> Result<()> {
    b.issue_cmd(Cdp {
        cmd: "Emulation.setDeviceMetricsOverride",
        params: serde_json::json!({
            "width": width, "height": height, "deviceScaleFactor": 2, "mobile": mobile
        }),
    })
    .await?;
    Ok(())
}

/// Puts text in the composer as typing would (newlines included) without sending it.
pub async fn set_composer(b: &Client, text: &str) -> Result<()> {
    b.execute(
        "const t = document.querySelector('#composer'); t.focus(); t.value = arguments[0]; \
         t.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![serde_json::json!(text)],
    )
    .await?;
    Ok(())
}

/// Types a message into the composer and presses Send.
pub async fn send(b: &Client, text: &str) -> Result<()> {
    set_composer(b, text).await?;
    b.find(Locator::Css("#send")).await?.click().await?;
    Ok(())
}
