//! Chat affordances with the real `claude` CLI against the scripted model server: the model's
//! `curl` shows a PNG (an inline image card whose bytes are served back), is refused a path
//! outside the allowed roots and a symlink pointing out of them (clear errors), may not post to
//! another agent's chat, offers a command and a file, and shows a diff card of a file it just
//! wrote; a human's `/isomux-diff` drops the same card.

use isomux_tests::claude_office::ClaudeOffice;
use isomux_tests::model_server::{Reply, Script};
use isomux_tests::{Ws, is};
use serde_json::{Value, json};

const AUTH: &str =
    r#"-H "Authorization: Bearer $ISOMUX_AGENT_TOKEN" -H 'content-type: application/json'"#;

/// A shell line printing `NAME=<status>` of a POST to one of the agent's own affordances.
fn status_of(name: &str, route: &str, body: &str) -> String {
    format!(
        "echo {name}=$(curl -s -o /dev/null -w '%{{http_code}}' -X POST \
         \"$ISOMUX_URL/api/agents/$ISOMUX_AGENT_ID/{route}\" {AUTH} -d '{body}')"
    )
}

/// A shell line printing `NAME=<body>` of such a POST.
fn body_of(name: &str, route: &str, body: &str) -> String {
    format!(
        "echo {name}=$(curl -s -X POST \"$ISOMUX_URL/api/agents/$ISOMUX_AGENT_ID/{route}\" \
         {AUTH} -d '{body}')"
    )
}

async fn card(ws: &mut Ws, id: &str, kind: &str) -> anyhow::Result<Value> {
    let ev = ws
        .until(kind, |ev| {
            is(ev, "log_entry", id) && ev["entry"]["kind"] == kind
        })
        .await?;
    Ok(ev["entry"].clone())
}

fn git(dir: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .status()?
        .success();
    anyhow::ensure!(ok, "git {args:?} failed");
    Ok(())
}

#[tokio::test]
async fn a_claude_agent_shows_files_diffs_and_commands_in_its_chat() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(Script::new().otherwise(Reply::text("Done.")))?;
    let server = &office.server;
    let work = office.work("work")?.canonicalize()?;
    git(&work, &["init", "-q"])?;
    std::fs::write(work.join("README.md"), "hello\n")?;
    git(&work, &["add", "README.md"])?;
    git(&work, &["commit", "-qm", "init"])?;
    let png: Vec<u8> = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 64]].concat();
    std::fs::write(work.join("plot.png"), &png)?;
    std::os::unix::fs::symlink("/etc/passwd", work.join("leak.txt"))?;

    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let demo = c.agent_id("Demo").await?;
    let ada = c
        .post(
            "/api/agents",
            json!({"name": "Ada", "backend": "claude", "cwd": work.to_string_lossy(),
                   "permission_mode": "auto"}),
        )
        .await?
        .ok()?;
    let id = ada["agent"]["id"].as_str().unwrap().to_owned();
    let script = [
        status_of("READ", "read-file", r#"{"path":"plot.png"}"#),
        body_of("OUTSIDE", "read-file", r#"{"path":"/etc/passwd"}"#),
        body_of("SYMLINK", "read-file", r#"{"path":"leak.txt"}"#),
        format!(
            "echo OTHER=$(curl -s -o /dev/null -w '%{{http_code}}' -X POST \
             \"$ISOMUX_URL/api/agents/{demo}/terminal-command\" {AUTH} -d '{{\"command\":\"ls\"}}')"
        ),
        "echo 'fresh words' > notes.txt".to_owned(),
        status_of("DIFF", "diff", "{}"),
        status_of("TERM", "terminal-command", r#"{"command":"cargo test"}"#),
        status_of("EDIT", "edit-file", r#"{"path":"notes.txt"}"#),
    ]
    .join("; ");
    server.push_reply(Reply::shell(script));
    server.push_reply(Reply::text("Shown."));
    let mut ws = c.ws().await?;
    c.post(
        &format!("/api/agents/{id}/messages"),
        json!({"text": "show me the plot and your changes"}),
    )
    .await?
    .ok()?;

    // The image card, with the bytes served back as an image.
    let file = card(&mut ws, &id, "file").await?;
    assert_eq!(file["image"], true, "{file}");
    assert_eq!(file["mime"], "image/png");
    assert_eq!(file["size"], png.len());
    assert_eq!(file["by"], "Ada");
    assert_eq!(
        file["path"],
        work.join("plot.png").to_string_lossy().as_ref()
    );
    let name = file["name"].as_str().unwrap();
    let served = c.get(&format!("/api/agents/{id}/files/{name}")).await?;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["content-type"], "image/png");

    // The baseline taught the model the manifest and the affordances (in claude's system
    // prompt as the model server received it).
    let system = server.model_requests()[0].system_text().unwrap_or_default();
    let manifest = office.home().join("agents-summary.json");
    for want in [
        format!("read {}", manifest.display()),
        "$ISOMUX_URL/api/agents/$ISOMUX_AGENT_ID/read-file".to_owned(),
        "$ISOMUX_URL/api/tasks/<task_id>/claim".to_owned(),
    ] {
        assert!(
            system.contains(&want),
            "system prompt lacks {want}: {system}"
        );
    }

    // The diff card shows the file the model just wrote.
    let diff = card(&mut ws, &id, "diff").await?;
    assert_eq!(diff["dir"], work.to_string_lossy().as_ref());
    let files = diff["files"].as_array().unwrap();
    let notes = files
        .iter()
        .find(|f| f["path"] == "notes.txt")
        .unwrap_or_else(|| panic!("notes.txt in {diff}"));
    assert_eq!(notes["status"], "untracked");
    assert_eq!(notes["hunks"][0]["lines"][0]["text"], "fresh words");
    assert_eq!(notes["hunks"][0]["lines"][0]["kind"], "add");

    let term = card(&mut ws, &id, "terminal_command").await?;
    assert_eq!(term["command"], "cargo test");
    let edit = card(&mut ws, &id, "edit_file").await?;
    assert_eq!(
        edit["path"],
        work.join("notes.txt").to_string_lossy().as_ref()
    );

    let tool = ws
        .until("the tool result", |ev| {
            is(ev, "log_entry", &id)
                && ev["entry"]["kind"] == "tool_call"
                && ev["entry"]["status"] != "running"
        })
        .await?;
    let out = tool["entry"]["output"].as_str().unwrap_or_default();
    for want in [
        "READ=200",
        "OTHER=403",
        "DIFF=200",
        "TERM=200",
        "EDIT=200",
        "outside the allowed roots",
    ] {
        assert!(out.contains(want), "{want} missing in: {out}");
    }
    let line = |k: &str| out.lines().find(|l| l.starts_with(k)).unwrap_or_default();
    assert!(
        line("OUTSIDE=").contains("/etc/passwd is outside the allowed roots"),
        "{out}"
    );
    assert!(
        line("SYMLINK=").contains("outside the allowed roots"),
        "{out}"
    );
    assert!(line("SYMLINK=").contains("\"forbidden\""), "{out}");

    // A human's /isomux-diff drops the same card, attributed to them, and reaches no model.
    let asked = server.model_requests().len();
    ws.until("idle", |ev| {
        is(ev, "agent_state", &id) && ev["state"] == "idle"
    })
    .await?;
    let asked_idle = server.model_requests().len();
    c.post(
        &format!("/api/agents/{id}/messages"),
        json!({"text": "/isomux-diff"}),
    )
    .await?
    .ok()?;
    let human = card(&mut ws, &id, "diff").await?;
    assert_eq!(human["by"], "Nil");
    assert!(asked_idle >= asked);
    assert_eq!(
        server.model_requests().len(),
        asked_idle,
        "no model request"
    );
    // Outside the allowed roots for a human too.
    let r = c
        .post(
            &format!("/api/agents/{id}/read-file"),
            json!({"path": "/etc/passwd"}),
        )
        .await?;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    running.stop().await?;
    Ok(())
}
