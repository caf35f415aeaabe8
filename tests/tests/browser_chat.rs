//! The chat in the browser: headless Chromium (chromedriver, from Rust) against the real
//! `isomux serve` with the built UI and the demo agent. One test walks through what a team does
//! in a chat (markdown with a highlighted code block, slash autocomplete, queue with sender
//! labels, cancel, Send now, Stop and Esc, an approval answered with its outcome shown, tool
//! cards, drafts kept per agent across switching and reload, an uploaded image shown inline,
//! the attention chime when the tab is hidden); the other opens a 20,000-entry conversation
//! (seeded through the core's store before the server starts) and checks the log is
//! virtualized and pages older entries in as it scrolls up. Screenshots go to the artifacts.

use fantoccini::{Client as Browser, Locator};
use isomux_core::store::{NewEntry, Store};
use isomux_protocol::{
    ConversationId, EntryBody, EntryId, Sender, SenderKind, ToolStatus, Usage, UserLine,
};
use isomux_tests::browser::{
    ChromeDriver, PNG, console_log, open_chat, screenshot, send, set_composer, sign_in_owner,
    start_server_with_ui, wait_css, wait_for, wait_js,
};
use serde_json::json;
use std::time::{Duration, Instant};

const ESCAPE: &str = "\u{E00C}";
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ARROW_DOWN: &str = "\u{E015}";

async fn composer_value(b: &Browser) -> anyhow::Result<String> {
    Ok(
        b.execute("return document.querySelector('#composer').value;", vec![])
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn count(b: &Browser, css: &str) -> anyhow::Result<usize> {
    Ok(b.find_all(Locator::Css(css)).await?.len())
}

#[tokio::test]
async fn a_team_chats_with_an_agent() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;
    let b = driver.session(1280, 900).await?;
    let api = sign_in_owner(&b, &server, "Nil").await?;
    let demo = api.agent_id("Demo").await?;
    let cwd = dir.path().to_string_lossy().into_owned();
    let second = api
        .post(
            "/api/agents",
            json!({"name": "Second", "backend": "demo", "cwd": cwd}),
        )
        .await?
        .ok()?["agent"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    open_chat(&b, &server.url, &demo).await?;

    // Markdown with a highlighted code block (the demo echoes what it was told).
    send(
        &b,
        "Please explain:\n\n```rust\nfn main() { let answer = 42; }\n```",
    )
    .await?;
    let kw = "Array.from(document.querySelectorAll(\
              '.entry-assistant:not(.streaming) pre.code[data-lang=rust] .hl-kw'))\
              .map(e => e.textContent).join(' ')";
    let words = wait_js(&b, "a highlighted rust block", &format!("return {kw};"), 20).await?;
    let words = words.as_str().unwrap_or_default();
    assert!(
        words.contains("fn") && words.contains("let"),
        "keywords: {words}"
    );
    let num = b
        .execute(
            "return document.querySelector('.entry-assistant pre.code .hl-num')?.textContent;",
            vec![],
        )
        .await?;
    assert_eq!(num, json!("42"));
    screenshot(&b, "browser-chat-markdown").await?;

    // A tool card collapses and expands.
    let card = wait_css(&b, ".tool-card").await?;
    assert_eq!(card.attr("open").await?, None, "tool cards start collapsed");
    card.find(Locator::Css("summary")).await?.click().await?;
    wait_for(&b, ".tool-card[open] .tool-output", true, 5).await?;
    card.find(Locator::Css("summary")).await?.click().await?;
    wait_js(
        &b,
        "the card to collapse",
        "return !document.querySelector('.tool-card').open;",
        5,
    )
    .await?;

    // Slash autocomplete: shows, moves with the arrows, completes with Tab and Enter.
    let composer = b.find(Locator::Css("#composer")).await?;
    set_composer(&b, "").await?;
    composer.send_keys("/demo s").await?;
    wait_for(
        &b,
        "#slash-menu .slash-item[data-command='/demo slow']",
        true,
        5,
    )
    .await?;
    screenshot(&b, "browser-chat-slash").await?;
    composer.send_keys(TAB).await?;
    assert_eq!(composer_value(&b).await?, "/demo slow ");
    wait_for(&b, "#slash-menu", false, 5).await?;
    set_composer(&b, "").await?;
    composer.send_keys("/isomux").await?;
    wait_for(
        &b,
        "#slash-menu .slash-item.active[data-command='/isomux-system-prompt']",
        true,
        5,
    )
    .await?;
    composer.send_keys(ARROW_DOWN).await?;
    wait_for(
        &b,
        "#slash-menu .slash-item.active[data-command='/isomux-diff']",
        true,
        5,
    )
    .await?;
    composer.send_keys(ENTER).await?;
    assert_eq!(
        composer_value(&b).await?,
        "/isomux-diff ",
        "Enter completes instead of sending"
    );
    set_composer(&b, "").await?;

    // Queue while busy: labelled with the sender; cancel one; Send now delivers the rest.
    send(&b, "/demo slow").await?;
    wait_css(&b, "#stop").await?;
    send(&b, "first queued note").await?;
    send(&b, "second queued note").await?;
    wait_js(
        &b,
        "two queued messages",
        "return document.querySelectorAll('#queue .queued').length === 2;",
        10,
    )
    .await?;
    let labels = b
        .execute(
            "return Array.from(document.querySelectorAll('#queue .queued .sender'))\
             .map(e => e.textContent);",
            vec![],
        )
        .await?;
    assert_eq!(labels, json!(["[Nil]", "[Nil]"]));
    screenshot(&b, "browser-chat-queue").await?;
    b.find(Locator::Css("#queue .queued .cancel"))
        .await?
        .click()
        .await?;
    wait_js(
        &b,
        "one queued message left",
        "const q = document.querySelectorAll('#queue .queued'); \
         return q.length === 1 && q[0].textContent.includes('second queued note');",
        10,
    )
    .await?;
    b.find(Locator::Css("#send-now")).await?.click().await?;
    wait_for(&b, "#queue", false, 10).await?;
    wait_js(
        &b,
        "the queued note delivered as a user turn",
        "return Array.from(document.querySelectorAll('.entry-user'))\
         .some(e => e.textContent.includes('second queued note'));",
        10,
    )
    .await?;
    let cancelled = b
        .execute(
            "return Array.from(document.querySelectorAll('.entry-user'))\
             .some(e => e.textContent.includes('first queued note'));",
            vec![],
        )
        .await?;
    assert_eq!(
        cancelled,
        json!(false),
        "the cancelled message was not sent"
    );
    wait_for(&b, "#stop", false, 20).await?;

    // Interrupt with the Stop button, then with Esc in the composer (which stays in the chat).
    for how in ["button", "escape"] {
        send(&b, "/demo slow").await?;
        wait_css(&b, "#stop").await?;
        let started = Instant::now();
        if how == "button" {
            b.find(Locator::Css("#stop")).await?.click().await?;
        } else {
            b.find(Locator::Css("#composer"))
                .await?
                .send_keys(ESCAPE)
                .await?;
        }
        wait_for(&b, "#stop", false, 6).await?;
        println!("interrupt by {how}: idle after {:?}", started.elapsed());
        assert!(
            count(&b, &format!("#chat[data-agent-id='{demo}']")).await? == 1,
            "still in the chat after {how}"
        );
    }

    // An approval answered here; the card says who answered.
    send(&b, "/demo approval").await?;
    let approve = wait_css(&b, ".approval:not(.approval-resolved) .approve").await?;
    screenshot(&b, "browser-chat-approval").await?;
    approve.click().await?;
    let outcome = wait_css(&b, ".approval-resolved.allowed .approval-outcome").await?;
    assert_eq!(outcome.text().await?, "Approved by Nil");
    wait_for(&b, ".approval:not(.approval-resolved)", false, 5).await?;
    wait_for(&b, "#stop", false, 20).await?;

    // Drafts are kept per agent, across switching and a reload.
    set_composer(&b, "a draft for Demo").await?;
    open_chat(&b, &server.url, &second).await?;
    assert_eq!(
        composer_value(&b).await?,
        "",
        "Second has its own (empty) draft"
    );
    set_composer(&b, "a draft for Second").await?;
    open_chat(&b, &server.url, &demo).await?;
    assert_eq!(composer_value(&b).await?, "a draft for Demo");
    b.refresh().await?;
    wait_css(&b, &format!("#chat[data-agent-id='{demo}']")).await?;
    wait_js(
        &b,
        "the draft after a reload",
        "return document.querySelector('#composer')?.value === 'a draft for Demo';",
        10,
    )
    .await?;
    open_chat(&b, &server.url, &second).await?;
    assert_eq!(composer_value(&b).await?, "a draft for Second");
    open_chat(&b, &server.url, &demo).await?;
    set_composer(&b, "").await?;

    // Attach an image: uploaded at once (a chip), sent with the message, shown inline.
    let png = dir.path().join("pixels.png");
    std::fs::write(&png, PNG)?;
    b.execute(
        "document.querySelector('#attach-input').hidden = false;",
        vec![],
    )
    .await?;
    b.find(Locator::Css("#attach-input"))
        .await?
        .send_keys(&png.to_string_lossy())
        .await?;
    wait_for(&b, ".attach-chip[data-name$='.png']", true, 10).await?;
    send(&b, "what is in this picture?").await?;
    wait_for(&b, ".attach-chip", false, 5).await?;
    let loaded = wait_js(
        &b,
        "the image inline",
        "const i = document.querySelector('.entry-user .attachment-image img'); \
         return i && i.complete && i.naturalWidth;",
        10,
    )
    .await?;
    assert_eq!(loaded, json!(2), "the 2×2 image loaded");
    wait_js(
        &b,
        "the demo to see the attachment",
        "return Array.from(document.querySelectorAll('.entry-assistant:not(.streaming)'))\
         .some(e => e.textContent.includes('I see 1 attachment'));",
        20,
    )
    .await?;
    screenshot(&b, "browser-chat-image").await?;

    // The chime: with the tab hidden, an agent that needs someone plays it (once per event).
    b.execute(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});",
        vec![],
    )
    .await?;
    api.post(
        &format!("/api/agents/{second}/messages"),
        json!({"text": "ping"}),
    )
    .await?
    .ok()?;
    wait_js(
        &b,
        "the attention sound",
        "return document.documentElement.getAttribute('data-attention-sounds');",
        20,
    )
    .await?;

    let log = console_log(&b).await.unwrap_or_default();
    let bad: Vec<_> = log
        .iter()
        .filter(|l| {
            l.contains("Content Security Policy")
                || l.contains("Refused to")
                || l.contains("panicked")
        })
        .collect();
    assert!(bad.is_empty(), "console errors: {bad:?}");
    b.close().await?;
    Ok(())
}

const SEEDED: usize = 20_000;

/// 20,000 entries in the demo agent's conversation, through the core's store.
fn seed(data_dir: &std::path::Path) -> anyhow::Result<String> {
    let mut store = Store::open(&data_dir.join("isomux.db"))?;
    let agent = store
        .load_agents()?
        .into_iter()
        .find(|a| a.name == "Demo")
        .ok_or_else(|| anyhow::anyhow!("no Demo agent"))?;
    let conv: ConversationId = agent.conversation_id.clone();
    let started = Instant::now();
    let sender = Sender {
        kind: SenderKind::Human,
        id: "mb_seed".into(),
        name: "Seeder".into(),
        device: None,
    };
    let entries: Vec<NewEntry> = (0..SEEDED)
        .map(|i| {
            let body = match i % 4 {
                0 => EntryBody::User {
                    messages: vec![UserLine {
                        sender: sender.clone(),
                        text: format!("Question #{i}: what does step {i} do?"),
                        attachments: vec![],
                    }],
                },
                1 => EntryBody::Assistant {
                    text: format!(
                        "Answer #{i}: step **{i}** runs\n\n```sh\necho step {i}\n```\n\nand \
                         then it is done."
                    ),
                },
                2 => EntryBody::ToolCall {
                    call_id: format!("call-{i}"),
                    tool: "Bash".into(),
                    input: json!({"command": format!("ls step-{i}")}),
                    output: Some(format!("file-{i}.txt")),
                    status: ToolStatus::Ok,
                },
                _ => EntryBody::TurnEnd {
                    usage: Usage::default(),
                },
            };
            NewEntry {
                id: EntryId(format!("en_seed{i:06}")),
                conversation_id: conv.clone(),
                ts: 1_700_000_000_000 + i as i64,
                body,
                position: None,
            }
        })
        .collect();
    store.insert_entries(&entries)?;
    println!(
        "seeded {SEEDED} entries in {:?} through the store",
        started.elapsed()
    );
    Ok(agent.id.to_string())
}

/// The smallest `#N` of the rendered entries (seeded texts carry their index).
const MIN_INDEX_JS: &str = "let m = Infinity; \
    for (const e of document.querySelectorAll('#chat .log [data-entry-id]')) { \
      const r = /#(\\d+)/.exec(e.textContent); if (r) m = Math.min(m, +r[1]); } \
    return m === Infinity ? -1 : m;";

/// Like [`MIN_INDEX_JS`] but leaves the result in `m` (-1: none) for a following expression.
const MIN_INDEX_JS_FN: &str = "let m = Infinity; \
    for (const e of document.querySelectorAll('#chat .log [data-entry-id]')) { \
      const r = /#(\\d+)/.exec(e.textContent); if (r) m = Math.min(m, +r[1]); } \
    if (m === Infinity) m = -1;";

#[tokio::test]
async fn a_20k_entry_conversation_is_virtualized_and_pages_in_older_entries() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    // A first start creates the office (and its Demo agent); seed it while it is stopped.
    drop(start_server_with_ui(&home, &[])?);
    let demo = seed(&home)?;
    let server = start_server_with_ui(&home, &[])?;
    let driver = ChromeDriver::start()?;
    let b = driver.session(1280, 900).await?;
    sign_in_owner(&b, &server, "Nil").await?;
    let opened = Instant::now();
    open_chat(&b, &server.url, &demo).await?;
    wait_for(&b, "#chat .log [data-entry-id]", true, 20).await?;
    // The newest entries are shown, at the bottom.
    let newest = wait_js(
        &b,
        "the newest entry",
        &format!(
            "return Array.from(document.querySelectorAll('#chat .log [data-entry-id]'))\
             .some(e => e.textContent.includes('#{}'));",
            SEEDED - 3
        ),
        10,
    )
    .await?;
    assert_eq!(newest, json!(true));
    println!("chat open with the last page in {:?}", opened.elapsed());
    let nodes = count(&b, "#chat .log [data-entry-id]").await?;
    println!("entry nodes in the DOM: {nodes}");
    assert!(nodes > 5 && nodes < 300, "{nodes} entry nodes");
    screenshot(&b, "browser-chat-20k-bottom").await?;

    // Scroll to the top again and again: older pages come in, the DOM stays small.
    let first = b
        .execute(MIN_INDEX_JS, vec![])
        .await?
        .as_i64()
        .unwrap_or(-1);
    // The oldest loaded entry is at the top; entries are numbered by index and the first page
    // holds the last 100, so before round k the oldest is #(19900 - 200k), a user line.
    let log_js = "const l = document.querySelector('#chat .log');";
    for round in 0..5 {
        let anchor = format!("en_seed{:06}", SEEDED - 100 - 200 * round);
        let height = b
            .execute(&format!("{log_js} return l.scrollHeight;"), vec![])
            .await?
            .as_f64()
            .unwrap_or(0.0);
        b.execute(&format!("{log_js} l.scrollTop = 0;"), vec![])
            .await?;
        wait_js(
            &b,
            &format!("round {round}: an older page"),
            &format!("{log_js} return l.scrollHeight > {height} + 1000;"),
            15,
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        // The rows that were in view stayed in view: the anchor is still near the top.
        let offset = b
            .execute(
                &format!(
                    "{log_js} const r = l.querySelector(\"[data-row='{anchor}']\"); \
                     return r ? r.getBoundingClientRect().top - l.getBoundingClientRect().top \
                     : null;"
                ),
                vec![],
            )
            .await?;
        let nodes = count(&b, "#chat .log [data-entry-id]").await?;
        println!("round {round}: {anchor} at {offset} px from the top, {nodes} entry nodes");
        let offset = offset.as_f64();
        assert!(
            offset.is_some_and(|o| o.abs() < 150.0),
            "round {round}: the view jumped ({anchor} at {offset:?})"
        );
        assert!(nodes < 300, "round {round}: {nodes} entry nodes");
    }
    b.execute(&format!("{log_js} l.scrollTop = 0;"), vec![])
        .await?;
    let min = wait_js(
        &b,
        "the oldest loaded entries at the top",
        &format!(
            "{MIN_INDEX_JS_FN} return (m >= 0 && m <= {}) ? m : null;",
            SEEDED - 100 - 200 * 4
        ),
        10,
    )
    .await?
    .as_i64()
    .unwrap_or(-1);
    println!("smallest shown at the top: #{min}");
    assert!(
        first - min >= 4 * 200,
        "several older pages were fetched (#{first} → #{min})"
    );
    screenshot(&b, "browser-chat-20k-scrolled").await?;

    // The reader scrolled up: new output does not yank the view down.
    let top_before = b
        .execute(
            "return document.querySelector('#chat .log').scrollTop;",
            vec![],
        )
        .await?;
    b.execute(
        "document.querySelector('#chat .log').scrollTop = 20000;",
        vec![],
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mid = b
        .execute(
            "return document.querySelector('#chat .log').scrollTop;",
            vec![],
        )
        .await?
        .as_f64()
        .unwrap_or(0.0);
    println!("scrollTop: {top_before} → {mid}");
    let composer = b.find(Locator::Css("#composer")).await?;
    composer.send_keys("hello at the bottom").await?;
    composer.send_keys(ENTER).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = b
        .execute(
            "const l = document.querySelector('#chat .log'); \
             return [l.scrollTop, l.scrollHeight - l.clientHeight];",
            vec![],
        )
        .await?;
    let after_top = after[0].as_f64().unwrap_or(0.0);
    let bottom = after[1].as_f64().unwrap_or(0.0);
    assert!(
        (after_top - mid).abs() < 400.0 && bottom - after_top > 1000.0,
        "the view stayed where the reader was ({mid} → {after_top}, bottom {bottom})"
    );
    b.close().await?;
    Ok(())
}
