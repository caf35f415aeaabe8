//! The desktop app end to end (design §11): the real `isomux-desktop` binary under Xvfb, driven
//! through tauri-driver + WebKitWebDriver. The webview must reach the office over Tauri IPC
//! only: it spawns a demo agent, sends it a message and reads the streamed reply in the DOM,
//! while the in-process HTTP listener (up for agents and phones) is never used by the page.
//! The Provider keys panel stores an API key in the OS keyring (a gnome-keyring the test
//! starts on the session bus, in the app's throwaway HOME) and never shows it again.
//! A PNG attached through the composer goes over the `upload` command and renders inline
//! from the `isomux-file` scheme, still without a request to the listener.
//!
//! Run by `cargo xtask test` under `xvfb-run` + `dbus-run-session`; by hand:
//! `xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- cargo test -p isomux-tests
//! --test desktop -- --ignored --nocapture` with `ISOMUX_DESKTOP_BIN` pointing at a release
//! build made with `--features custom-protocol`. Fails (never skips) when a tool is missing.

use anyhow::{Context, Result, bail, ensure};
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use isomux_tests::browser::{artifacts_dir, free_port};
use isomux_tests::process::repo_root;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WEBKIT_DRIVER: &str = "/usr/bin/WebKitWebDriver";
/// The first start creates the data dir, the database and the webview's profile.
const STARTUP: Duration = Duration::from_secs(45);
/// UI reactions (dialogs, desks appearing).
const WAIT: Duration = Duration::from_secs(15);
/// The demo agent's whole reply.
const REPLY: Duration = Duration::from_secs(20);
const MESSAGE: &str = "hello from the desktop";
/// The provider key typed into the settings panel.
const API_KEY: &str = "sk-ant-desktop-test-5e0c2b97";

/// Starts an unlocked gnome-keyring (Secret Service only) on the session bus, its keyrings in
/// `data` (the app's XDG_DATA_HOME), so the app's keyring calls work without a desktop session.
fn start_keyring(home: &Path, data: &Path) -> Result<()> {
    ensure!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no session bus: run this test under `dbus-run-session` (cargo xtask test does)"
    );
    let status = Command::new("sh")
        .args([
            "-c",
            "echo -n isomux | gnome-keyring-daemon --unlock --components=secrets",
        ])
        .env("HOME", home)
        .env("XDG_DATA_HOME", data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("starting gnome-keyring-daemon")?;
    ensure!(
        status.success(),
        "gnome-keyring-daemon failed ({status}): `cargo xtask setup` \
         (or `apt-get install gnome-keyring libsecret-tools`)"
    );
    Ok(())
}

/// The stored secret of `user` under the app's keyring service, read with `secret-tool`.
fn keyring_lookup(user: &str) -> Result<Option<String>> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "isomux", "username", user])
        .output()
        .context("running secret-tool: `apt-get install libsecret-tools`")?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// `invoke(cmd)` from the page; the JSON it resolved or rejected with.
async fn invoke(client: &Client, cmd: &str) -> Result<Value> {
    client
        .execute_async(
            "const [cmd, done] = arguments;
             window.__TAURI__.core.invoke(cmd).then(v => done({ok: v}), e => done({err: e}));",
            vec![json!(cmd)],
        )
        .await
        .with_context(|| format!("invoking {cmd}"))
}

/// Whether `API_KEY` shows anywhere in the page: its markup or any field's value.
async fn page_shows_key(client: &Client) -> Result<bool> {
    let v = js(
        client,
        "const k = arguments[0];
         return document.documentElement.outerHTML.includes(k)
           || [...document.querySelectorAll('input, textarea')].some(e => e.value.includes(k));",
        vec![json!(API_KEY)],
    )
    .await?;
    Ok(v == true)
}

/// The Provider keys panel in the office rules dialog: save a key, see it stored in the OS
/// keyring (and `keys_status` say so) without the page ever showing it again, then remove it.
async fn provider_keys(client: &Client) -> Result<()> {
    click(client, "#office-sign").await?;
    wait_css(client, "#provider-keys", WAIT).await?;
    let status_text = |css: &'static str, want: &'static str| async move {
        poll(
            client,
            want,
            &format!(
                "const e = document.querySelector({css:?});
                 return e && e.textContent.includes({want:?}) ? e.textContent : null;"
            ),
            WAIT,
        )
        .await
    };
    status_text("#key-status-anthropic", "not set").await?;
    ensure!(keyring_lookup("anthropic_api_key")?.is_none());
    fill(client, "#key-input-anthropic", API_KEY).await?;
    click(client, "#key-save-anthropic").await?;
    status_text("#key-status-anthropic", "stored in the OS keyring").await?;
    status_text("#key-status-openai", "not set").await?;
    ensure!(
        keyring_lookup("anthropic_api_key")?.as_deref() == Some(API_KEY),
        "the key is not in the Secret Service"
    );
    let status = invoke(client, "keys_status").await?;
    println!("keys_status: {status}");
    ensure!(
        status["ok"]["available"] == true && status["ok"]["keys"][0]["stored"] == true,
        "keys_status: {status}"
    );
    ensure!(
        !status.to_string().contains(API_KEY),
        "keys_status echoed the key"
    );
    ensure!(
        !page_shows_key(client).await?,
        "the page shows the saved key"
    );

    // Reopened, the dialog still shows no value.
    click(client, "#office-settings > .actions button.secondary").await?;
    click(client, "#office-sign").await?;
    status_text("#key-status-anthropic", "stored in the OS keyring").await?;
    ensure!(
        !page_shows_key(client).await?,
        "the reopened panel shows the key"
    );

    click(client, "#key-remove-anthropic").await?;
    status_text("#key-status-anthropic", "not set").await?;
    ensure!(
        keyring_lookup("anthropic_api_key")?.is_none(),
        "Remove left the key in the keyring"
    );
    click(client, "#office-settings > .actions button.secondary").await?;
    Ok(())
}

/// `tauri-driver` from PATH, else cargo's bin directory.
fn tauri_driver() -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("tauri-driver"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        candidates.push(Path::new(&home).join("bin/tauri-driver"));
    }
    if let Some(home) = std::env::home_dir() {
        candidates.push(home.join(".cargo/bin/tauri-driver"));
    }
    candidates.into_iter().find(|p| p.is_file()).context(
        "tauri-driver is missing: run `cargo xtask setup` \
         (or `cargo install tauri-driver@2.1.0 --locked`)",
    )
}

/// The app: `$ISOMUX_DESKTOP_BIN`, else `target/release/isomux-desktop`.
fn desktop_bin() -> Result<PathBuf> {
    let bin = std::env::var_os("ISOMUX_DESKTOP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/release/isomux-desktop"));
    ensure!(
        bin.is_file(),
        "the desktop app {} is missing: run `cargo xtask build` (or `cargo build --release -p \
         isomux-desktop --features custom-protocol` after building the UI), or set \
         ISOMUX_DESKTOP_BIN",
        bin.display()
    );
    bin.canonicalize()
        .with_context(|| format!("resolving {}", bin.display()))
}

/// A tauri-driver child (which starts WebKitWebDriver, which starts the app). Dropping it sends
/// SIGTERM, on which tauri-driver also stops WebKitWebDriver; SIGKILL if it lingers.
struct TauriDriver {
    child: Child,
    port: u16,
    /// tauri-driver's and WebKitWebDriver's output (WebKitWebDriver discards the app's).
    log: PathBuf,
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TauriDriver {
    /// Starts tauri-driver with `env` (inherited by the app it launches) and waits until it
    /// accepts connections.
    fn start(env: &[(&str, &Path)], extra: &[(&str, String)]) -> Result<Self> {
        let driver = tauri_driver()?;
        ensure!(
            Path::new(WEBKIT_DRIVER).is_file(),
            "{WEBKIT_DRIVER} is missing: run `cargo xtask setup` \
             (or `apt-get install webkit2gtk-driver`)"
        );
        if std::env::var_os("DISPLAY").is_none() {
            bail!(
                "no DISPLAY: run this test under `xvfb-run -a -s '-screen 0 1280x800x24' \
                 dbus-run-session -- cargo test ...` (cargo xtask test does)"
            );
        }
        let port = free_port()?;
        let native_port = free_port()?;
        // To a file, not inherited pipes: grandchildren must not hold the test's output open.
        let log = artifacts_dir().join("desktop-app.log");
        let out =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut cmd = Command::new(&driver);
        cmd.args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .args(["--native-driver", WEBKIT_DRIVER])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        for (k, v) in env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", driver.display()))?;
        let me = Self { child, port, log };
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(
                Instant::now() < deadline,
                "tauri-driver did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(me)
    }

    async fn session(&self, app: &Path) -> Result<Client> {
        let caps = json!({
            "browserName": "wry",
            "tauri:options": {"application": app},
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("starting the app through tauri-driver")
    }
}

async fn wait_css(client: &Client, css: &str, timeout: Duration) -> Result<Element> {
    client
        .wait()
        .at_most(timeout)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for `{css}`"))
}

async fn js(client: &Client, script: &str, args: Vec<Value>) -> Result<Value> {
    client
        .execute(script, args)
        .await
        .with_context(|| format!("running {script:?}"))
}

/// Polls `script` (which returns null until it has an answer) for up to `timeout`.
async fn poll(client: &Client, what: &str, script: &str, timeout: Duration) -> Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let v = js(client, script, vec![]).await?;
        if !v.is_null() {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks like a user. WebKitWebDriver refuses Element Click on SVG groups such as `.desk`
/// (`element not interactable`), so those get a real pointer click at a visible point of the
/// element (WebDriver actions), and only if that fails a DOM click event.
async fn click(client: &Client, css: &str) -> Result<()> {
    let el = wait_css(client, css, WAIT).await?;
    let Err(e) = el.click().await else {
        return Ok(());
    };
    let point = js(
        client,
        "const el = document.querySelector(arguments[0]);
         for (const part of [el, ...el.querySelectorAll('*')]) {
           const r = part.getBoundingClientRect();
           const x = r.left + r.width / 2, y = r.top + r.height / 2;
           if (r.width > 0 && r.height > 0 && el.contains(document.elementFromPoint(x, y)))
             return [Math.round(x), Math.round(y)];
         }
         return null;",
        vec![json!(css)],
    )
    .await?;
    if let (Some(x), Some(y)) = (point[0].as_f64(), point[1].as_f64()) {
        let mouse = MouseActions::new("mouse".into())
            .then(PointerAction::MoveTo {
                duration: None,
                x,
                y,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        match client.perform_actions(mouse).await {
            Ok(()) => return Ok(()),
            Err(e2) => println!("pointer click at ({x}, {y}) on `{css}` failed: {e2}"),
        }
    }
    println!("WebDriver cannot click `{css}` ({e}); dispatching a DOM click");
    js(
        client,
        "document.querySelector(arguments[0])
             .dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
         return true;",
        vec![json!(css)],
    )
    .await?;
    Ok(())
}

async fn fill(client: &Client, css: &str, text: &str) -> Result<()> {
    let el = wait_css(client, css, WAIT).await?;
    el.clear()
        .await
        .with_context(|| format!("clearing `{css}`"))?;
    el.send_keys(text)
        .await
        .with_context(|| format!("typing into `{css}`"))
}

async fn save_screenshot(client: &Client, name: &str) -> Result<PathBuf> {
    let png = client.screenshot().await.context("taking a screenshot")?;
    let path = artifacts_dir().join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    println!("screenshot: {}", path.display());
    Ok(path)
}

/// A 3×2 red PNG, the image the composer uploads.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGM4IScHQQxwFgBBAAYZPEVBlgAAAABJRU5ErkJggg==";

/// Attaches a PNG through the composer's file input (its change handler uploads it over the
/// `upload` command), sends it, and sees it render inline from the `isomux-file` scheme.
async fn upload_image(client: &Client, agent_id: &str) -> Result<()> {
    js(
        client,
        "const bin = atob(arguments[0]);
         const bytes = new Uint8Array(bin.length);
         for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
         const dt = new DataTransfer();
         dt.items.add(new File([bytes], 'red.png', {type: 'image/png'}));
         const input = document.querySelector('#attach-input');
         input.files = dt.files;
         input.dispatchEvent(new Event('change', {bubbles: true}));
         return true;",
        vec![json!(PNG_B64)],
    )
    .await
    .context("attaching a file through #attach-input")?;
    let stored = poll(
        client,
        "the uploaded attachment's stored name",
        "const c = document.querySelector('.attach-chip:not(.uploading)[data-name]');
         const failed = document.body.innerText.match(/red\\.png: .*/);
         return c && c.dataset.name ? c.dataset.name : (failed ? 'ERROR ' + failed[0] : null);",
        WAIT,
    )
    .await?;
    let stored = stored.as_str().context("data-name is a string")?.to_owned();
    ensure!(
        stored.ends_with(".png") && stored.len() == 68,
        "the upload failed or was not stored as a PNG: {stored}"
    );
    println!("uploaded red.png as {stored}");
    fill(client, "#composer", "see the picture").await?;
    click(client, "#send").await?;
    let img = poll(
        client,
        "the attached image rendered inline",
        &format!(
            "const i = [...document.querySelectorAll('#chat[data-agent-id=\"{agent_id}\"] \
                 .attachment-image img')].find(i => i.src.includes({stored:?}));
             return i && i.complete && i.naturalWidth > 0
                 ? {{src: i.src, w: i.naturalWidth, h: i.naturalHeight}} : null;"
        ),
        WAIT,
    )
    .await?;
    println!("inline image: {img}");
    let src = img["src"].as_str().unwrap_or_default();
    ensure!(
        src.starts_with("isomux-file:") || src.starts_with("http://isomux-file.localhost/"),
        "the image was not loaded from the isomux-file scheme: {img}"
    );
    ensure!(
        img["w"] == 3 && img["h"] == 2,
        "the image decoded to the wrong size: {img}"
    );
    Ok(())
}

/// The scenario; `listen` is the app's HTTP listener, which the page must never touch.
async fn scenario(client: &Client, listen: &str, cwd: &Path) -> Result<()> {
    let started = Instant::now();
    wait_css(client, "#office", STARTUP).await?;
    println!("office rendered after {:?}", started.elapsed());

    // The page runs in the Tauri webview from the app's own protocol, not from the listener.
    let page = js(
        client,
        "return {tauri: !!(window.__TAURI__ && window.__TAURI__.core && window.__TAURI__.event),
                 protocol: location.protocol, origin: location.origin, href: location.href};",
        vec![],
    )
    .await?;
    println!("page: {page}");
    ensure!(page["tauri"] == true, "window.__TAURI__ is missing: {page}");
    let href = page["href"].as_str().unwrap_or_default();
    ensure!(
        !href.starts_with("http://127.0.0.1") && !href.contains(listen),
        "the webview loaded the UI over HTTP: {page}"
    );
    ensure!(
        page["protocol"] == "tauri:",
        "the webview is not on Tauri's custom protocol (tauri://localhost): {page}"
    );

    // Any CSP violation from here on is a bug (the probe at the end makes one on purpose).
    js(
        client,
        "window.__deskTestViolations = [];
         document.addEventListener('securitypolicyviolation', e => window.__deskTestViolations
           .push(e.effectiveDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '')));
         return true;",
        vec![],
    )
    .await?;

    provider_keys(client).await?;

    // Spawn a demo agent at a free desk.
    click(client, ".desk.empty").await?;
    wait_css(client, "#spawn-dialog", WAIT).await?;
    fill(client, "#spawn-name", "DeskTest").await?;
    wait_css(client, "#spawn-backend", WAIT)
        .await?
        .select_by_value("demo")
        .await
        .context("choosing the demo backend")?;
    fill(client, "#spawn-cwd", &cwd.to_string_lossy()).await?;
    click(client, "#spawn-submit").await?;
    let agent_id = poll(
        client,
        "a desk with DeskTest",
        "const d = [...document.querySelectorAll('.desk[data-agent-id]')]
             .find(d => d.textContent.includes('DeskTest'));
         return d ? d.getAttribute('data-agent-id') : null;",
        WAIT,
    )
    .await?;
    let agent_id = agent_id.as_str().context("data-agent-id is a string")?;
    println!("spawned {agent_id}");

    // Open its chat and talk to it.
    click(client, &format!(".desk[data-agent-id=\"{agent_id}\"]")).await?;
    wait_css(
        client,
        &format!("#chat[data-agent-id=\"{agent_id}\"]"),
        WAIT,
    )
    .await?;
    // Record every text the live bubble shows, however fast it streams.
    js(
        client,
        "window.__deskTestStream = [];
         new MutationObserver(() => {
           for (const e of document.querySelectorAll('.entry.streaming')) {
             const t = e.textContent.trim();
             const seen = window.__deskTestStream;
             if (t && seen[seen.length - 1] !== t) seen.push(t);
           }
         }).observe(document.body, {subtree: true, childList: true, characterData: true});
         return true;",
        vec![],
    )
    .await?;
    fill(client, "#composer", MESSAGE).await?;
    let sent = Instant::now();
    click(client, "#send").await?;
    let reply = poll(
        client,
        "the demo agent's finished reply",
        &format!(
            "const e = [...document.querySelectorAll('.entry-assistant:not(.streaming)')]
                 .find(e => e.textContent.includes({MESSAGE:?}));
             return e ? e.textContent : null;"
        ),
        REPLY,
    )
    .await?;
    println!("reply after {:?}: {reply}", sent.elapsed());
    ensure!(
        reply.as_str().is_some_and(|r| r.contains("You said")),
        "unexpected reply: {reply}"
    );
    let stream = js(client, "return window.__deskTestStream;", vec![]).await?;
    let stream = stream.as_array().cloned().unwrap_or_default();
    println!(
        "streaming bubble showed {} intermediate texts, e.g. {:?}",
        stream.len(),
        stream.get(stream.len() / 2)
    );
    ensure!(
        stream.len() >= 2,
        "saw {} texts in the `.entry.streaming` bubble, expected it to grow: the reply did not \
         stream over IPC events",
        stream.len()
    );

    // An image uploaded through the composer renders inline (over IPC and the file scheme).
    upload_image(client, agent_id).await?;

    // Nothing the page loaded or fetched went to the HTTP listener.
    let resources = js(
        client,
        "return performance.getEntriesByType('resource').map(e => e.name)
             .concat(performance.getEntriesByType('navigation').map(e => e.name));",
        vec![],
    )
    .await?;
    let hits: Vec<&Value> = resources
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r.as_str().is_some_and(|r| r.contains(listen)))
                .collect()
        })
        .unwrap_or_default();
    ensure!(hits.is_empty(), "the page used the HTTP listener: {hits:?}");

    let violations = js(client, "return window.__deskTestViolations;", vec![]).await?;
    ensure!(
        violations.as_array().is_some_and(Vec::is_empty),
        "the app's CSP blocked something the UI does: {violations}"
    );

    // And it could not: the app's CSP (connect-src 'self' ipc:) blocks the listener.
    let probe = client
        .execute_async(
            "const [url, done] = arguments;
             const violations = [];
             document.addEventListener('securitypolicyviolation',
               e => violations.push(e.effectiveDirective + ' ' + e.blockedURI));
             fetch(url).then(r => 'fetched ' + r.status, e => 'failed: ' + e)
               .then(outcome => setTimeout(() => done({outcome, violations}), 200));",
            vec![json!(format!("http://{listen}/readyz"))],
        )
        .await
        .context("probing the CSP")?;
    println!("CSP probe: {probe}");
    ensure!(
        probe["violations"].as_array().is_some_and(|v| v
            .iter()
            .any(|v| v.as_str().is_some_and(|v| v.starts_with("connect-src")))),
        "the CSP did not block a fetch to the HTTP listener: {probe}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by cargo xtask test under xvfb-run + dbus-run-session"]
async fn desktop_app_talks_to_the_office_over_ipc() -> Result<()> {
    let app = desktop_bin()?;
    let tmp = tempfile::tempdir()?;
    let (home, data, isomux_home, cwd) = (
        tmp.path().join("home"),
        tmp.path().join("home/.local/share"),
        tmp.path().join("isomux-home"),
        tmp.path().join("project"),
    );
    for d in [&home, &data, &cwd] {
        std::fs::create_dir_all(d)?;
    }
    let listen = format!("127.0.0.1:{}", free_port()?);
    start_keyring(&home, &data)?;
    let driver = TauriDriver::start(
        &[
            ("HOME", &home),
            ("XDG_DATA_HOME", &data),
            ("XDG_CONFIG_HOME", &home.join(".config")),
            ("XDG_CACHE_HOME", &home.join(".cache")),
            ("ISOMUX_HOME", &isomux_home),
        ],
        &[("ISOMUX_DESKTOP_LISTEN", listen.clone())],
    )?;
    let client = driver.session(&app).await?;
    let result = scenario(&client, &listen, &cwd).await;
    let shot = save_screenshot(&client, "desktop").await;
    if result.is_err()
        && let Ok(html) = js(&client, "return document.body.outerHTML;", vec![]).await
    {
        let path = artifacts_dir().join("desktop.html");
        let _ = std::fs::write(&path, html.as_str().unwrap_or_default());
        println!("page source: {}", path.display());
    }
    // The in-process listener is up for agents and phones (design §1), though the page never
    // used it.
    let ready = reqwest::get(format!("http://{listen}/readyz")).await;
    let _ = client.close().await;
    let log = driver.log.clone();
    drop(driver);
    if result.is_err() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        println!("--- last lines of {} ---", log.display());
        for line in &lines[lines.len().saturating_sub(60)..] {
            println!("{line}");
        }
    }
    if result.is_err() {
        println!(
            "kept the app's HOME and ISOMUX_HOME for inspection: {}",
            tmp.keep().display()
        );
    }
    result?;
    shot?;
    let ready = ready.context("the desktop's HTTP listener did not answer /readyz")?;
    ensure!(
        ready.status().is_success(),
        "/readyz answered {}",
        ready.status()
    );
    Ok(())
}
