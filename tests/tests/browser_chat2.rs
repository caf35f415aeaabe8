//! The chat, part 2, in headless Chromium against the real `isomux serve` with demo agents:
//! editing a past message forks the conversation (the open chat reloads into the fork, the
//! original stays listed; an edit while the agent is busy shows the office's 409), and the
//! affordance cards posted over REST as a human render: an inline image and a download chip
//! (`read-file`), a side-by-side diff of a temporary git repository with line numbers, colours,
//! collapsible files and the "truncated" notice (`diff`), "Open in editor" and "Copy to
//! terminal" (both copy and say "Copied"); the slash autocomplete lists the office commands and
//! the agent's skills with their source (a project skill in its cwd, the bundled ones).
//! Screenshots go to the artifacts.

use fantoccini::{Client as Browser, Locator};
use isomux_tests::browser::{
    ChromeDriver, PNG, open_chat, screenshot, sign_in_owner, start_server_with_ui, wait_css,
    wait_js,
};
use isomux_tests::{Client, Ws, is};
use serde_json::{Value, json};
use std::path::Path;

/// The text of everything matching `css`, in document order.
async fn texts(b: &Browser, css: &str) -> anyhow::Result<Vec<String>> {
    let v = b
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);",
            vec![json!(css)],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Sends a message over REST and waits for the demo agent's turn to end.
async fn turn(api: &Client, ws: &mut Ws, agent: &str, text: &str) -> anyhow::Result<()> {
    api.say(agent, text).await?;
    ws.until("the turn's end", |ev| {
        is(ev, "agent_state", agent) && ev["state"] == "idle"
    })
    .await?;
    Ok(())
}

/// Opens the editor of a user entry, types `text` and saves.
async fn edit(b: &Browser, entry: &str, text: &str) -> anyhow::Result<()> {
    let row = format!(".entry-user[data-entry-id='{entry}']");
    wait_css(b, &format!("{row} .entry-edit"))
        .await?
        .click()
        .await?;
    wait_css(b, &format!("{row} .edit-text")).await?;
    b.execute(
        "const t = document.querySelector(arguments[0]); t.value = arguments[1]; \
         t.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(format!("{row} .edit-text")), json!(text)],
    )
    .await?;
    b.find(Locator::Css(&format!("{row} .edit-save")))
        .await?
        .click()
        .await?;
    Ok(())
}

#[tokio::test]
async fn editing_a_past_message_forks_the_conversation() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;
    let b = driver.session(1200, 900).await?;
    let api = sign_in_owner(&b, &server, "Nil").await?;
    let agent = api.agent_id("Demo").await?;
    let mut ws = api.ws().await?;
    for text in ["alpha-one", "bravo-two", "charlie-three"] {
        turn(&api, &mut ws, &agent, text).await?;
    }
    let original = api.logs(&agent).await?;
    let original_conv = original[0]["conversation_id"].as_str().unwrap().to_owned();
    let users: Vec<String> = original
        .iter()
        .filter(|e| e["kind"] == "user")
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(users.len(), 3, "{original:?}");

    open_chat(&b, &server.url, &agent).await?;
    wait_js(
        &b,
        "the three messages",
        "return document.querySelectorAll('.entry-user').length === 3;",
        15,
    )
    .await?;
    // The demo backend forks at any message: every user entry offers Edit.
    assert_eq!(
        b.find_all(Locator::Css(".entry-user .entry-edit"))
            .await?
            .len(),
        3
    );

    // While the agent is busy the office refuses (409) and the editor says why.
    api.say(&agent, "/demo slow").await?;
    ws.until("the slow turn", |ev| {
        is(ev, "agent_state", &agent) && ev["state"] != "idle"
    })
    .await?;
    edit(&b, &users[1], "too early").await?;
    let refused = wait_js(
        &b,
        "the busy refusal",
        &format!(
            "const e = document.querySelector(\".entry-user[data-entry-id='{}'] .edit-error\"); \
             return e && !e.hidden && e.textContent;",
            users[1]
        ),
        10,
    )
    .await?;
    println!("busy edit refused with: {refused}");
    screenshot(&b, "browser-chat2-edit-busy").await?;
    b.find(Locator::Css(".edit-cancel")).await?.click().await?;
    api.post(&format!("/api/agents/{agent}/abort"), json!({}))
        .await?
        .ok()?;
    ws.until("the abort", |ev| {
        is(ev, "agent_state", &agent) && ev["state"] == "idle"
    })
    .await?;
    let still = api
        .get(&format!("/api/agents/{agent}/sessions"))
        .await?
        .ok()?;
    assert_eq!(
        still["sessions"].as_array().map(Vec::len),
        Some(1),
        "a refused edit forks nothing: {still}"
    );

    // Edit the second message: the chat reloads into the fork.
    edit(&b, &users[1], "delta-edited").await?;
    wait_js(
        &b,
        "the edited message's reply",
        "return Array.from(document.querySelectorAll('.entry-assistant:not(.streaming)'))\
         .some(e => e.textContent.includes('delta-edited'));",
        20,
    )
    .await?;
    // Its queue has been delivered: nothing is left waiting.
    wait_js(
        &b,
        "the queue delivered",
        "return !document.querySelector('#queue');",
        10,
    )
    .await?;
    let user_texts = texts(&b, ".entry-user .text").await?;
    assert_eq!(user_texts, ["alpha-one", "delta-edited"], "{user_texts:?}");
    let log = b.find(Locator::Css("#chat .log")).await?.text().await?;
    assert!(log.contains("alpha-one"), "{log}");
    for gone in ["bravo-two", "charlie-three", "demo slow"] {
        assert!(!log.contains(gone), "{gone} is not in the fork: {log}");
    }
    let replies = texts(&b, ".entry-assistant").await?;
    assert!(
        replies.iter().any(|r| r.contains("alpha-one")),
        "the first exchange is kept: {replies:?}"
    );
    screenshot(&b, "browser-chat2-forked").await?;

    // The original conversation is still listed, beside the fork that is now current.
    let now = api.get("/api/agents").await?.ok()?;
    let current = now["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == agent.as_str()))
        .map(|a| a["conversation_id"].clone())
        .unwrap_or_default();
    assert_ne!(current, json!(original_conv));
    let sessions = api
        .get(&format!("/api/agents/{agent}/sessions"))
        .await?
        .ok()?;
    let list = sessions["sessions"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{sessions}");
    let orig = list
        .iter()
        .find(|s| s["id"] == original_conv.as_str())
        .expect("the original conversation is listed");
    assert_eq!(orig["current"], json!(false));
    let fork = list
        .iter()
        .find(|s| s["id"] == current)
        .expect("the fork is listed");
    assert_eq!(fork["forked_from"], json!(original_conv));
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .status()?
        .success();
    anyhow::ensure!(ok, "git {args:?} failed (is git installed?)");
    Ok(())
}

/// Posts a card as the human and waits for its `log_entry`.
async fn card(
    api: &Client,
    ws: &mut Ws,
    agent: &str,
    route: &str,
    body: Value,
) -> anyhow::Result<Value> {
    api.post(&format!("/api/agents/{agent}/{route}"), body)
        .await?
        .ok()?;
    let ev = ws.until(route, |ev| is(ev, "log_entry", agent)).await?;
    Ok(ev["entry"].clone())
}

#[tokio::test]
async fn affordance_cards_render_in_the_chat() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work)?;
    let work = work.canonicalize()?;
    git(&work, &["init", "-q"])?;
    let readme: String = (1..=8).map(|i| format!("line {i}\n")).collect();
    std::fs::write(work.join("README.md"), &readme)?;
    std::fs::write(work.join(".gitignore"), "big/\n.claude/\n")?;
    let skill = work.join(".claude/skills/deploy-site");
    std::fs::create_dir_all(&skill)?;
    std::fs::write(
        skill.join("SKILL.md"),
        "---\nname: deploy-site\ndescription: Deploy the site to staging\nargument-hint: <env>\n---\nDeploy it.\n",
    )?;
    git(&work, &["add", "README.md", ".gitignore"])?;
    git(&work, &["commit", "-qm", "init"])?;
    std::fs::write(
        work.join("README.md"),
        readme.replace("line 3\n", "line three\n"),
    )?;
    std::fs::write(work.join("new.txt"), "fresh\n")?;
    let long: String = (1..=450).map(|i| format!("row {i}\n")).collect();
    std::fs::write(work.join("long.txt"), long)?;
    std::fs::write(work.join("plot.png"), PNG)?;
    std::fs::write(work.join("notes.txt"), "some notes\n")?;
    // A second repository with more files than a card holds (its diff is truncated).
    let big = work.join("big");
    std::fs::create_dir_all(&big)?;
    git(&big, &["init", "-q"])?;
    for i in 0..205 {
        std::fs::write(big.join(format!("f{i:03}.txt")), "x\n")?;
    }

    let server = start_server_with_ui(&dir.path().join("home"), &[])?;
    let driver = ChromeDriver::start()?;
    let b = driver.session(1200, 900).await?;
    let api = sign_in_owner(&b, &server, "Nil").await?;
    let agent = api.hire("Carder", "demo", &work).await?;
    let mut ws = api.ws().await?;
    open_chat(&b, &server.url, &agent).await?;

    // read-file: an image inline, anything else a download chip; both say who showed them.
    let png = card(
        &api,
        &mut ws,
        &agent,
        "read-file",
        json!({"path": "plot.png"}),
    )
    .await?;
    assert_eq!(png["kind"], "file", "{png}");
    let img = format!(
        ".card-file[data-entry-id='{}'] img",
        png["id"].as_str().unwrap()
    );
    wait_js(
        &b,
        "the image card loaded",
        &format!("const i = document.querySelector(\"{img}\"); return i && i.complete && i.naturalWidth === 2;"),
        10,
    )
    .await?;
    let txt = card(
        &api,
        &mut ws,
        &agent,
        "read-file",
        json!({"path": "notes.txt"}),
    )
    .await?;
    let chip = format!(
        ".card-file[data-entry-id='{}'] a.card-download",
        txt["id"].as_str().unwrap()
    );
    let chip = wait_css(&b, &chip).await?;
    assert_eq!(chip.attr("download").await?.as_deref(), Some("notes.txt"));
    let href = chip.attr("href").await?.unwrap_or_default();
    assert!(
        href.starts_with(&format!("/api/agents/{agent}/files/")),
        "{href}"
    );
    let served = api.get(&href).await?;
    assert_eq!(served.status, 200);
    let bys = texts(&b, ".card-file .card-by").await?;
    assert!(bys.iter().all(|t| t.contains("Nil")), "{bys:?}");

    // diff: side by side, numbered and coloured, one collapsible section per file.
    let diff = card(&api, &mut ws, &agent, "diff", json!({})).await?;
    assert_eq!(diff["kind"], "diff", "{diff}");
    let d = format!(
        ".card-diff[data-entry-id='{}']",
        diff["id"].as_str().unwrap()
    );
    wait_css(&b, &format!("{d} .diff-file[data-path='README.md']")).await?;
    wait_css(&b, &format!("{d} .diff-file[data-path='new.txt']")).await?;
    let row = b
        .execute(
            "const r = Array.from(document.querySelectorAll(arguments[0] + \" .diff-file[data-path='README.md'] tr.diff-row\"))\
             .find(r => r.querySelector('td.code-new.add')); \
             return r && [r.querySelector('td.ln-old').textContent, r.querySelector('td.code-old').textContent, \
             r.querySelector('td.code-old').className, r.querySelector('td.ln-new').textContent, \
             r.querySelector('td.code-new').textContent, getComputedStyle(r.querySelector('td.code-new')).backgroundColor, \
             getComputedStyle(r.querySelector('td.code-old')).backgroundColor];",
            vec![json!(d)],
        )
        .await?;
    let row: Vec<String> = serde_json::from_value(row)?;
    assert_eq!(
        row[..5],
        ["3", "line 3", "code code-old del", "3", "line three"],
        "{row:?}"
    );
    assert_ne!(
        row[5], row[6],
        "added and removed lines differ in colour: {row:?}"
    );
    assert_ne!(
        row[5], "rgba(0, 0, 0, 0)",
        "added lines are coloured: {row:?}"
    );
    assert!(
        b.find_all(Locator::Css(&format!("{d} .diff-truncated")))
            .await?
            .is_empty(),
        "a small diff is not truncated"
    );
    let summary = b
        .find(Locator::Css(&format!(
            "{d} .diff-file[data-path='README.md'] > summary"
        )))
        .await?;
    summary.click().await?;
    let open = b
        .execute(
            "return document.querySelector(arguments[0] + \" .diff-file[data-path='README.md']\").open;",
            vec![json!(d)],
        )
        .await?;
    assert_eq!(open, json!(false), "a file section collapses");
    let readme_rows = format!("{d} .diff-file[data-path='README.md'] tr.diff-row");
    wait_js(
        &b,
        "a collapsed file's rows leave the DOM",
        &format!("return document.querySelectorAll(\"{readme_rows}\").length === 0;"),
        5,
    )
    .await?;
    summary.click().await?;
    wait_js(
        &b,
        "the rows back when reopened",
        &format!("return document.querySelectorAll(\"{readme_rows}\").length === 6;"),
        5,
    )
    .await?;
    // A long file starts collapsed, its rows drawn only once opened.
    let long = format!("{d} .diff-file[data-path='long.txt']");
    let closed = b
        .execute(
            &format!(
                "const f = document.querySelector(\"{long}\"); \
                 return [f.open, f.querySelectorAll('tr.diff-row').length];"
            ),
            vec![],
        )
        .await?;
    assert_eq!(
        closed,
        json!([false, 0]),
        "a 450-line file starts collapsed"
    );
    b.find(Locator::Css(&format!("{long} > summary")))
        .await?
        .click()
        .await?;
    wait_js(
        &b,
        "the long file's rows",
        &format!("return document.querySelectorAll(\"{long} tr.diff-row\").length === 450;"),
        5,
    )
    .await?;
    b.find(Locator::Css(&format!("{long} > summary")))
        .await?
        .click()
        .await?;
    assert!(
        texts(&b, &format!("{d} .card-by")).await?[0].contains("Nil"),
        "the diff card says who posted it"
    );
    screenshot(&b, "browser-chat2-diff").await?;

    let big = card(&api, &mut ws, &agent, "diff", json!({"dir": "big"})).await?;
    assert_eq!(big["truncated"], json!(true), "{}", big["truncated"]);
    let bd = format!(
        ".card-diff[data-entry-id='{}']",
        big["id"].as_str().unwrap()
    );
    wait_css(&b, &format!("{bd} .diff-truncated")).await?;

    // Open in editor: the path with a copy button.
    let ed = card(
        &api,
        &mut ws,
        &agent,
        "edit-file",
        json!({"path": "notes.txt"}),
    )
    .await?;
    let e = format!(
        ".card-edit-file[data-entry-id='{}']",
        ed["id"].as_str().unwrap()
    );
    let path = wait_css(&b, &format!("{e} .card-path"))
        .await?
        .text()
        .await?;
    assert!(path.ends_with("notes.txt"), "{path}");
    wait_css(&b, &format!("{e} .copy-path"))
        .await?
        .click()
        .await?;
    wait_js(
        &b,
        "the path copied",
        &format!("return document.querySelector(\"{e} .copy-path\").textContent === 'Copied';"),
        5,
    )
    .await?;

    // Copy to terminal.
    let tc = card(
        &api,
        &mut ws,
        &agent,
        "terminal-command",
        json!({"command": "cargo test -p isomux-ui"}),
    )
    .await?;
    let t = format!(
        ".card-terminal[data-entry-id='{}']",
        tc["id"].as_str().unwrap()
    );
    let cmd = wait_css(&b, &format!("{t} .terminal-command"))
        .await?
        .text()
        .await?;
    assert!(cmd.contains("cargo test -p isomux-ui"), "{cmd}");
    assert!(
        texts(&b, &format!("{t} .card-by")).await?[0].contains("Nil"),
        "the command card says who posted it"
    );
    wait_css(&b, &format!("{t} .copy-terminal"))
        .await?
        .click()
        .await?;
    wait_js(
        &b,
        "the command copied",
        &format!("return document.querySelector(\"{t} .copy-terminal\").textContent === 'Copied';"),
        5,
    )
    .await?;
    let copied = b
        .execute(
            "return navigator.clipboard.readText().then(t => t, e => 'unreadable: ' + e);",
            vec![],
        )
        .await?;
    println!("clipboard after Copy to terminal: {copied}");
    screenshot(&b, "browser-chat2-cards").await?;

    // Slash autocomplete: office commands first, then the agent's skills with their source.
    let composer = wait_css(&b, "#composer").await?;
    composer.send_keys("/").await?;
    for (command, source) in [
        ("/isomux-system-prompt", "office"),
        ("/isomux-diff", "office"),
        ("/deploy-site", "project"),
        ("/pair-programming", "bundled"),
    ] {
        let item =
            format!("#slash-menu .slash-item[data-command='{command}'][data-source='{source}']");
        let el = wait_css(&b, &item).await?;
        assert!(
            // Rendered text: the badge is upper-cased by CSS.
            el.text().await?.to_lowercase().contains(source),
            "{command} shows {source}"
        );
    }
    let order = texts(&b, "#slash-menu .slash-item .slash-name").await?;
    assert_eq!(
        order[..2],
        ["/isomux-system-prompt", "/isomux-diff"],
        "{order:?}"
    );
    let at = |name: &str| order.iter().position(|o| o == name).expect(name);
    assert!(
        at("/deploy-site") < at("/pair-programming"),
        "project before bundled: {order:?}"
    );
    assert!(
        at("/pair-programming") < at("/demo slow"),
        "skills before the CLI's: {order:?}"
    );
    composer.send_keys("dep").await?;
    let shown = texts(&b, "#slash-menu .slash-item .slash-name").await?;
    assert_eq!(shown, ["/deploy-site"], "{shown:?}");
    let args = texts(&b, "#slash-menu .slash-args").await?;
    assert_eq!(args, ["<env>"]);
    screenshot(&b, "browser-chat2-skills").await?;
    Ok(())
}
