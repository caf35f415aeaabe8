//! A headless Chromium driven through chromedriver (WebDriver) for the browser suites. Fails —
//! never skips — with the install command when Chromium or chromedriver is missing.

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

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
