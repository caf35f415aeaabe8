//! Why a codex tool call was declined reaches the model. codex's own decline only tells the
//! model "rejected by user"; the driver steers the reason into the running turn, so the next
//! model request carries the safety rule's message and hint, or the human's reason. Real
//! pinned `codex` against the scripted OpenAI Responses server.

use isomux_tests::codex_office::CodexOffice;
use isomux_tests::model_server::{RecordedRequest, Reply, Script};
use isomux_tests::{Client, Ws, is};
use serde_json::{Value, json};

/// The request after the one that asked for the shell call: the call's output, and the text
/// of the user message right after it (codex places steered input there), if any.
fn after_the_call(office: &CodexOffice, asked: &str) -> (RecordedRequest, String, Option<String>) {
    let requests = office.server.model_requests();
    let i = requests
        .iter()
        .position(|r| r.last_user_text().is_some_and(|t| t.contains(asked)))
        .unwrap_or_else(|| panic!("no request for {asked}: {}", office.server.summary()));
    let next = requests
        .get(i + 1)
        .unwrap_or_else(|| panic!("no request after {asked}: {}", office.server.summary()))
        .clone();
    let items = next.body["input"].as_array().cloned().unwrap_or_default();
    let at = items
        .iter()
        .rposition(|item| item["type"] == "function_call_output")
        .unwrap_or_else(|| panic!("no tool output in {}", next.body));
    let output = items[at]["output"].to_string();
    let note = items.get(at + 1).filter(|m| m["role"] == "user").map(|m| {
        m["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["text"].as_str())
            .collect::<String>()
    });
    (next, output, note)
}

/// Waits for the turn to end (idle), explaining a timeout with the logs.
async fn until_idle(office: &CodexOffice, c: &Client, ws: &mut Ws, id: &str) -> anyhow::Result<()> {
    let r = ws
        .until("the end of the turn", |ev| {
            is(ev, "agent_state", id) && ev["state"] == "idle"
        })
        .await;
    office.explain(c, id, r).await?;
    Ok(())
}

#[tokio::test]
async fn the_model_learns_why_a_codex_call_was_declined() -> anyhow::Result<()> {
    let office = CodexOffice::new(
        Script::new()
            .on("RESET", Reply::shell("git reset --hard"))
            .on("TOUCH", Reply::shell("touch declined.txt"))
            .otherwise(Reply::text("Understood.")),
    )?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = office.hire(&c, "Ada", &work).await?;
    let mut ws = c.ws().await?;

    // The safety rules decline without asking anyone: the model reads the rule's message.
    c.say(&id, "RESET the tree").await?;
    until_idle(&office, &c, &mut ws, &id).await?;
    let (next, output, note) = after_the_call(&office, "RESET the tree");
    assert!(
        output.contains("rejected by user"),
        "codex's own words: {output}"
    );
    let note = note.unwrap_or_else(|| panic!("a note after the output: {}", next.body));
    assert!(
        note.starts_with("[Isomux] The office's safety rules declined that tool call: "),
        "{note}"
    );
    for needle in [
        "`git reset --hard` throws away uncommitted work for good (safety rule git_reset_hard)",
        "use `git reset --soft`/`--mixed`",
    ] {
        assert!(note.contains(needle), "the note carries {needle:?}: {note}");
    }

    // A human declines with a reason: the model reads it, and the command did not run.
    c.say(&id, "TOUCH a file").await?;
    let r = ws.approval(&id).await;
    let approval = office.explain(&c, &id, r).await?;
    c.answer(
        &id,
        &approval,
        json!({"allow": false, "reason": "Release freeze FR-2290: no new files today."}),
    )
    .await?;
    let resolved = ws
        .until("the resolution", |ev| {
            ev["type"] == "approval_resolved" && ev["approval_id"] == approval.as_str()
        })
        .await?;
    assert_eq!(resolved["allow"], false);
    until_idle(&office, &c, &mut ws, &id).await?;
    let (next, output, note) = after_the_call(&office, "TOUCH a file");
    assert!(
        output.contains("rejected by user"),
        "codex's own words: {output}"
    );
    assert_eq!(
        note.as_deref(),
        Some(
            "[Isomux] The office declined that tool call: Release freeze FR-2290: no new files today."
        ),
        "the human's reason right after the output: {}",
        next.body
    );
    assert!(!work.join("declined.txt").exists(), "the command never ran");

    // Without a reason nothing is added: codex's "rejected by user" says it all.
    c.say(&id, "TOUCH it again").await?;
    let r = ws.approval(&id).await;
    let approval = office.explain(&c, &id, r).await?;
    c.answer(&id, &approval, json!({"allow": false})).await?;
    until_idle(&office, &c, &mut ws, &id).await?;
    let (next, _, note) = after_the_call(&office, "TOUCH it again");
    assert_eq!(note, None, "no note: {}", next.body);
    assert_eq!(
        next.occurrences("[Isomux] The office declined"),
        1,
        "only the earlier reason: {}",
        next.body
    );
    let logs: Vec<Value> = c.logs(&id).await?;
    assert!(
        !logs.iter().any(|e| e["kind"] == "error"),
        "no error entries: {logs:#?}"
    );
    running.stop().await?;
    Ok(())
}
