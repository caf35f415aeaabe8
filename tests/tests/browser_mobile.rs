//! The phone layout and the PWA: headless Chromium at 390×844 against the real `isomux serve`
//! with the built UI. The office, the spawn dialog and a chat fit the width (no horizontal
//! scroll), touch targets are at least 40px, the chat fills the screen; the web manifest is
//! served with its PNG icons (192, 512, maskable), the service worker registers and controls
//! the page, and with the server gone a reload still serves the app shell from its cache.
//! Screenshots go to the test artifacts.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::browser::{
    self, ChromeDriver, accept_in_browser, emulate_viewport, js, screenshot, start_server_with_ui,
    wait_css, wait_true,
};
use serde_json::{Value, json};

const WIDTH: u32 = 390;
const HEIGHT: u32 = 844;

/// The page scrolls sideways by this much (0 when it fits the viewport); the page is never
/// wider than the phone.
async fn overflow_x(b: &Browser) -> anyhow::Result<i64> {
    let v = browser::overflow_x(b).await?;
    let width = js(b, "return document.documentElement.scrollWidth").await?;
    assert!(
        width.as_i64().is_some_and(|w| w <= i64::from(WIDTH)),
        "scrollWidth {width} > {WIDTH}"
    );
    Ok(v)
}

/// Visible elements matching `css` smaller than 40×40 px, as "selector text: w×h".
async fn small_targets(b: &Browser, css: &str) -> anyhow::Result<Vec<String>> {
    let v = js(
        b,
        &format!(
            "return [...document.querySelectorAll(\"{css}\")]\
               .filter(e => e.offsetParent !== null)\
               .map(e => [e.id || e.className || e.tagName, e.getBoundingClientRect()])\
               .filter(([, r]) => r.width < 40 || r.height < 40)\
               .map(([n, r]) => `${{n}}: ${{Math.round(r.width)}}x${{Math.round(r.height)}}`)"
        ),
    )
    .await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Width and height of a PNG from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

#[tokio::test]
async fn phone_layout_manifest_and_offline_shell() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let link = server.owner_link.clone().expect("owner link");
    let driver = ChromeDriver::start()?;
    let b = driver.session(WIDTH, HEIGHT).await?;
    // A window of 390px is wider inside (headless chromium has a minimum window width):
    // emulate the phone's viewport through chromedriver's DevTools bridge instead.
    emulate_viewport(&b, WIDTH, HEIGHT, true).await?;

    accept_in_browser(&b, &server.url, &link, "Phoebe").await?;
    screenshot(&b, "mobile-office").await?;
    // The page's viewport meta makes the layout viewport the phone's width.
    let inner = js(&b, "return window.innerWidth").await?;
    assert_eq!(inner, json!(WIDTH), "viewport width");

    // The office fits the width; the scene scales down instead of scrolling.
    assert_eq!(overflow_x(&b).await?, 0, "the office scrolls sideways");
    let scene_w = js(
        &b,
        "return document.querySelector('#office svg.scene').getBoundingClientRect().width",
    )
    .await?;
    assert!(
        scene_w.as_f64().is_some_and(|w| w <= f64::from(WIDTH)),
        "scene {scene_w}px wide"
    );
    let small = small_targets(&b, ".topbar button").await?;
    assert!(small.is_empty(), "touch targets under 40px: {small:?}");

    // The spawn dialog fills the phone and its controls are finger-sized.
    wait_css(&b, ".desk.empty").await?.click().await?;
    wait_css(&b, "#spawn-dialog").await?;
    assert_eq!(
        overflow_x(&b).await?,
        0,
        "the spawn dialog scrolls sideways"
    );
    let small = small_targets(
        &b,
        "#spawn-dialog button, #spawn-dialog select, #spawn-dialog input",
    )
    .await?;
    assert!(small.is_empty(), "touch targets under 40px: {small:?}");
    screenshot(&b, "mobile-spawn").await?;
    b.find(Locator::Css("#spawn-cancel")).await?.click().await?;

    // A chat is full-screen.
    wait_css(&b, ".desk[data-agent-id]").await?.click().await?;
    wait_css(&b, "#chat").await?;
    wait_css(&b, "#composer").await?;
    let rect = js(
        &b,
        "const r = document.querySelector('#chat').getBoundingClientRect(); \
         return [r.left, r.width, r.height]",
    )
    .await?;
    assert_eq!(rect[0].as_f64(), Some(0.0), "{rect}");
    assert!(
        rect[1]
            .as_f64()
            .is_some_and(|w| w >= f64::from(WIDTH) - 1.0),
        "chat width {rect}"
    );
    assert!(
        rect[2]
            .as_f64()
            .is_some_and(|h| h >= f64::from(HEIGHT) - 2.0),
        "chat height {rect}"
    );
    assert_eq!(overflow_x(&b).await?, 0, "the chat scrolls sideways");
    let small = small_targets(&b, "#chat button").await?;
    assert!(small.is_empty(), "touch targets under 40px: {small:?}");
    screenshot(&b, "mobile-chat").await?;
    b.find(Locator::Css("#back")).await?.click().await?;
    wait_css(&b, "#office").await?;

    // The manifest, linked from the page and served with its icons.
    let href = js(
        &b,
        "return document.querySelector('link[rel=manifest]').href",
    )
    .await?;
    assert_eq!(href, json!(format!("{}/manifest.webmanifest", server.url)));
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{}/manifest.webmanifest", server.url))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str()?,
        "application/manifest+json"
    );
    let manifest: Value = res.json().await?;
    assert_eq!(manifest["name"], json!("Isomux"));
    assert_eq!(manifest["display"], json!("standalone"));
    assert!(manifest["theme_color"].is_string());
    let icons = manifest["icons"].as_array().cloned().unwrap_or_default();
    let mut seen = Vec::new();
    for icon in &icons {
        let src = icon["src"].as_str().expect("icon src");
        let res = http.get(format!("{}{src}", server.url)).send().await?;
        assert_eq!(res.status(), 200, "{src}");
        assert_eq!(
            res.headers()["content-type"].to_str()?,
            "image/png",
            "{src}"
        );
        let bytes = res.bytes().await?;
        let (w, h) = png_size(&bytes).unwrap_or_else(|| panic!("{src} is not a PNG"));
        assert_eq!(icon["sizes"], json!(format!("{w}x{h}")), "{src}");
        seen.push((w, icon["purpose"].as_str().unwrap_or("any").to_owned()));
    }
    for want in [(192, "any"), (512, "any"), (512, "maskable")] {
        assert!(
            seen.iter().any(|(w, p)| *w == want.0 && p == want.1),
            "no {want:?} icon in {seen:?}"
        );
    }

    // The service worker registers (loader.js) and takes control of the page.
    let ready = b
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             navigator.serviceWorker.ready.then(r => done(r.active && r.active.scriptURL), \
             e => done('error: ' + e));",
            vec![],
        )
        .await?;
    assert_eq!(ready, json!(format!("{}/sw.js", server.url)));
    let scope = b
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             navigator.serviceWorker.getRegistration().then(r => done(r ? r.scope : null));",
            vec![],
        )
        .await?;
    assert_eq!(scope, json!(format!("{}/", server.url)));
    if js(&b, "return navigator.serviceWorker.controller !== null").await? != json!(true) {
        b.refresh().await?;
    }
    wait_true(
        &b,
        "the service worker to control the page",
        "return navigator.serviceWorker.controller !== null",
        15,
    )
    .await?;
    wait_css(&b, "#office").await?;
    // It never caches the API.
    let cached = b
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             caches.keys().then(async keys => { const urls = []; \
               for (const k of keys) { const c = await caches.open(k); \
                 for (const r of await c.keys()) urls.push(new URL(r.url).pathname); } \
               done(urls); });",
            vec![],
        )
        .await?;
    let cached: Vec<&str> = cached
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(cached.contains(&"/"), "the shell is not cached: {cached:?}");
    assert!(cached.iter().any(|p| p.ends_with(".wasm")), "{cached:?}");
    assert!(
        !cached
            .iter()
            .any(|p| p.starts_with("/api/") || p.starts_with("/ws")),
        "the API was cached: {cached:?}"
    );

    // Offline: with the server gone, a reload still boots the app from the cache.
    server.kill9()?;
    b.refresh().await?;
    wait_css(&b, "#connecting").await?;
    assert!(
        js(
            &b,
            "return document.querySelector('script[data-wasm]') !== null"
        )
        .await?
            == json!(true)
    );
    screenshot(&b, "mobile-offline-shell").await?;
    Ok(())
}
