//! Skills over REST: the autocomplete list for an agent (office commands, user skills from the
//! agent's HOME, project skills from its cwd, the bundled collaboration skills) with sources in
//! priority order, and a human's `/skill args` delivered as the skill's body plus arguments.

use isomux_tests::{TestOffice, is};
use serde_json::{Value, json};

/// The text of a delivered user line of `agent` satisfying `pred` (queued messages may be
/// coalesced into one turn of several lines).
fn user_line(ev: &Value, agent: &str, pred: impl Fn(&str) -> bool) -> Option<String> {
    if !(is(ev, "log_entry", agent) && ev["entry"]["kind"] == "user") {
        return None;
    }
    ev["entry"]["messages"]
        .as_array()?
        .iter()
        .filter_map(|m| m["text"].as_str())
        .find(|t| pred(t))
        .map(str::to_owned)
}

fn write_skill(dir: &std::path::Path, name: &str, body: &str) -> anyhow::Result<()> {
    let d = dir.join(".claude/skills").join(name);
    std::fs::create_dir_all(&d)?;
    std::fs::write(
        d.join("SKILL.md"),
        format!(
            "---\nname: {name}\ndescription: {name} here\nargument-hint: <target>\n---\n{body}\n"
        ),
    )?;
    Ok(())
}

#[tokio::test]
async fn skills_are_listed_with_their_source_and_run_with_arguments() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;
    let home = office.dir.path().join("cli-home");
    let cwd = office.dir.path().join("project");
    write_skill(&home, "peer-review", "The user's own review.")?;
    write_skill(&cwd, "deploy", "Deploy the service carefully.")?;
    write_skill(&cwd, "isomux-diff", "Shadowed by the office command.")?;
    owner
        .request(
            "PUT",
            "/api/office/settings",
            Some(json!({"env": {"HOME": home.to_string_lossy()}})),
        )
        .await?
        .ok()?;
    let agent = owner
        .post(
            "/api/agents",
            json!({"name": "Sky", "backend": "demo", "cwd": cwd.to_string_lossy()}),
        )
        .await?
        .ok()?;
    let id = agent["agent"]["id"].as_str().unwrap().to_owned();

    let list = owner.get(&format!("/api/agents/{id}/skills")).await?.ok()?;
    let skills = list["skills"].as_array().unwrap();
    let source = |name: &str| -> Value {
        skills
            .iter()
            .find(|s| s["name"] == name)
            .map_or(Value::Null, |s| s["source"].clone())
    };
    assert_eq!(source("isomux-diff"), "office");
    assert_eq!(source("isomux-system-prompt"), "office");
    assert_eq!(
        source("peer-review"),
        "user",
        "the user's skill shadows the bundled one"
    );
    assert_eq!(source("deploy"), "project");
    for bundled in ["pair-programming", "second-opinion", "soft-handoff"] {
        assert_eq!(source(bundled), "bundled", "{bundled}");
    }
    let deploy = skills.iter().find(|s| s["name"] == "deploy").unwrap();
    assert_eq!(deploy["arguments"], "<target>");
    let order: Vec<&str> = skills
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    let rank = |s: &str| {
        ["office", "user", "project", "plugin", "bundled"]
            .iter()
            .position(|x| *x == s)
    };
    assert!(
        order.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "{order:?}"
    );

    // Running a skill: its body with the arguments is the user turn.
    let mut ws = owner.ws().await?;
    owner
        .post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "/deploy staging now"}),
        )
        .await?
        .ok()?;
    let ev = ws
        .until("the delivered skill", |ev| {
            user_line(ev, &id, |_| true).is_some()
        })
        .await?;
    assert_eq!(
        user_line(&ev, &id, |_| true).unwrap(),
        "Deploy the service carefully.\n\nARGUMENTS: staging now"
    );
    // A bundled collaboration skill.
    owner
        .post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "/second-opinion Demo is the cache safe?"}),
        )
        .await?
        .ok()?;
    let second = |t: &str| t.starts_with("Get a second opinion");
    let ev = ws
        .until("the second-opinion turn", |ev| {
            user_line(ev, &id, second).is_some()
        })
        .await?;
    let text = user_line(&ev, &id, second).unwrap();
    assert!(
        text.ends_with("ARGUMENTS: Demo is the cache safe?"),
        "{text}"
    );
    // An unknown command goes to the agent as typed.
    owner
        .post(
            &format!("/api/agents/{id}/messages"),
            json!({"text": "/compact please"}),
        )
        .await?
        .ok()?;
    ws.until("the unknown command as typed", |ev| {
        user_line(ev, &id, |t| t == "/compact please").is_some()
    })
    .await?;
    Ok(())
}
