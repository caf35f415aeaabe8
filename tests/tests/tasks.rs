//! The task board over real HTTP and the WebSocket: create, assign, claim (50 concurrent claims
//! of one task give exactly one 200), done, edit, delete, the live `task_upserted` /
//! `task_deleted` events and the tasks in `full_state` (also after a restart).

use isomux_tests::{Client, TestOffice};
use serde_json::json;

#[tokio::test]
async fn fifty_concurrent_claims_give_exactly_one_winner() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;
    let task = owner
        .post("/api/tasks", json!({"title": "Race for it"}))
        .await?
        .ok()?;
    let id = task["task"]["id"].as_str().unwrap().to_owned();
    assert_eq!(task["task"]["status"], "open");

    let mut claims = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let c: Client = owner.clone();
        let path = format!("/api/tasks/{id}/claim");
        claims.spawn(async move { c.post(&path, json!({})).await });
    }
    let mut ok = 0;
    let mut conflicts = 0;
    while let Some(r) = claims.join_next().await {
        let r = r??;
        match r.status {
            200 => {
                ok += 1;
                assert_eq!(r.body["task"]["status"], "claimed");
                assert_eq!(r.body["task"]["claimed_by"], "Nil");
            }
            409 => {
                conflicts += 1;
                assert_eq!(r.code(), "conflict");
                assert_eq!(
                    r.body["error"]["details"]["claimed_by"], "Nil",
                    "{}",
                    r.body
                );
            }
            other => panic!("claim answered {other}: {}", r.body),
        }
    }
    println!("50 concurrent claims: {ok} won, {conflicts} got 409");
    assert_eq!((ok, conflicts), (1, 49));
    Ok(())
}

#[tokio::test]
async fn the_board_lifecycle_is_live_and_durable() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let running = TestOffice::start_in(home.clone()).await?;
    let owner = Client::accept(&running.url, running.owner_link.as_deref().unwrap(), "Nil").await?;
    let demo = owner.agent_id("Demo").await?;
    let mut ws = owner.ws().await?;
    let first = ws.next().await?;
    assert_eq!(first["type"], "full_state");
    assert_eq!(first["tasks"], json!([]));

    // Create, assigned by name (agents know names from the manifest): the id is stored.
    let t = owner
        .post(
            "/api/tasks",
            json!({"title": "  Write docs ", "description": "the README", "assignee": "demo"}),
        )
        .await?
        .ok()?["task"]
        .clone();
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(t["title"], "Write docs");
    assert_eq!(t["assignee"], demo.as_str());
    assert_eq!(t["created_by"], "Nil");
    let ev = ws
        .until("task_upserted", |e| e["type"] == "task_upserted")
        .await?;
    assert_eq!(ev["task"], t);

    // Bad bodies.
    let r = owner.post("/api/tasks", json!({"title": " "})).await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"));
    let r = owner
        .post("/api/tasks", json!({"title": "x", "assignee": "nobody"}))
        .await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"));
    let r = owner.get("/api/tasks/tk_nope").await?;
    assert_eq!((r.status, r.code()), (404, "not_found"));

    // Unassign, then claim, then done; a claim of a done task is 409.
    let t = owner
        .patch(&format!("/api/tasks/{id}"), json!({"assignee": null}))
        .await?
        .ok()?["task"]
        .clone();
    assert!(t.get("assignee").is_none(), "{t}");
    owner
        .post(&format!("/api/tasks/{id}/claim"), json!({}))
        .await?
        .ok()?;
    let done = owner
        .post(&format!("/api/tasks/{id}/done"), json!({}))
        .await?
        .ok()?;
    assert_eq!(done["task"]["status"], "done");
    let ev = ws
        .until("task done", |e| {
            e["type"] == "task_upserted" && e["task"]["status"] == "done"
        })
        .await?;
    assert_eq!(ev["task"]["id"], id.as_str());
    let r = owner
        .post(&format!("/api/tasks/{id}/claim"), json!({}))
        .await?;
    assert_eq!(r.status, 409);
    let r = owner
        .post(&format!("/api/tasks/{id}/done"), json!({}))
        .await?;
    assert_eq!(r.status, 409);

    // Reopen: claimable again.
    let t = owner
        .patch(&format!("/api/tasks/{id}"), json!({"status": "open"}))
        .await?
        .ok()?["task"]
        .clone();
    assert_eq!(t["status"], "open");
    assert!(t.get("claimed_by").is_none());

    let second = owner
        .post("/api/tasks", json!({"title": "Delete me"}))
        .await?
        .ok()?["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    owner.delete(&format!("/api/tasks/{second}")).await?.ok()?;
    let ev = ws
        .until("task_deleted", |e| e["type"] == "task_deleted")
        .await?;
    assert_eq!(ev["task_id"], second.as_str());
    let r = owner.delete(&format!("/api/tasks/{second}")).await?;
    assert_eq!(r.status, 404);

    // Durable: after a restart the board is in full_state.
    running.stop().await?;
    let running = TestOffice::start_in(home).await?;
    let owner = isomux_core::Caller::Human {
        member_id: "mb_test".into(),
        name: "Nil".into(),
        role: isomux_protocol::Role::Owner,
        device: None,
    };
    let state = running.office.snapshot(owner).await?;
    assert_eq!(state.tasks.len(), 1);
    assert_eq!(state.tasks[0].id.0, id);
    assert_eq!(state.tasks[0].status, isomux_protocol::TaskStatus::Open);
    running.stop().await?;
    Ok(())
}

/// Two real claude agents: Ada's model curls a task onto the board for Bob and messages him;
/// Bob's chat shows the message labelled as Ada, his next model request contains it, and his
/// model claims the task over REST (a later claim gets 409).
#[tokio::test]
async fn a_claude_agent_hands_a_task_to_another() -> anyhow::Result<()> {
    use isomux_tests::claude_office::ClaudeOffice;
    use isomux_tests::is;
    use isomux_tests::model_server::{Reply, Script};

    let auth =
        r#"-H "Authorization: Bearer $ISOMUX_AGENT_TOKEN" -H 'content-type: application/json'"#;
    // Ada finds Bob's id in the discovery manifest (pretty-printed: `id` above `name`).
    let office = ClaudeOffice::new(Script::new())?;
    let manifest = office.home().join("agents-summary.json");
    let manifest = manifest.display();
    let ada_turn = format!(
        "ID=$(curl -s -X POST \"$ISOMUX_URL/api/tasks\" {auth} \
         -d '{{\"title\":\"T-42 write the docs\",\"assignee\":\"Bob\"}}' \
         | sed -E 's/.*\"id\":\"([^\"]+)\".*/\\1/'); echo CREATED=$ID; \
         BOB=$(grep -B1 '\"name\": \"Bob\"' {manifest} | grep -o 'ag_[^\"]*'); echo BOB=$BOB; \
         echo SENT=$(curl -s -o /dev/null -w '%{{http_code}}' -X POST \
         \"$ISOMUX_URL/api/agents/$BOB/messages\" {auth} \
         -d \"{{\\\"text\\\":\\\"please take task $ID from the board\\\"}}\")"
    );
    let bob_turn = format!(
        "ID=$(curl -s \"$ISOMUX_URL/api/tasks\" {auth} | grep -o '\"id\":\"tk_[^\"]*\"' | head -1 \
         | cut -d'\"' -f4); \
         echo CLAIM=$(curl -s -o /dev/null -w '%{{http_code}}' -X POST \
         \"$ISOMUX_URL/api/tasks/$ID/claim\" {auth})"
    );
    let server = &office.server;
    server.set_script(
        Script::new()
            .on("kick off", Reply::shell(ada_turn))
            .on("please take task", Reply::shell(bob_turn))
            .otherwise(Reply::text("Done.")),
    );
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let mut ids = Vec::new();
    for name in ["Ada", "Bob"] {
        let a = c
            .post(
                "/api/agents",
                json!({"name": name, "backend": "claude", "cwd": work.to_string_lossy(),
                       "permission_mode": "auto"}),
            )
            .await?
            .ok()?;
        ids.push(a["agent"]["id"].as_str().unwrap().to_owned());
    }
    let (ada, bob) = (ids[0].clone(), ids[1].clone());
    let mut ws = c.ws().await?;
    c.post(
        &format!("/api/agents/{ada}/messages"),
        json!({"text": "kick off the docs work"}),
    )
    .await?
    .ok()?;
    let created = ws
        .until("the task", |ev| ev["type"] == "task_upserted")
        .await?;
    let task_id = created["task"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["task"]["created_by"], "Ada");
    assert_eq!(created["task"]["assignee"], bob.as_str());
    let delivered = match ws
        .until("Bob's user entry", |ev| {
            is(ev, "log_entry", &bob) && ev["entry"]["kind"] == "user"
        })
        .await
    {
        Ok(ev) => ev,
        Err(e) => anyhow::bail!("{e:#}\nAda: {:#?}", c.logs(&ada).await?),
    };
    let line = &delivered["entry"]["messages"][0];
    assert_eq!(line["sender"]["kind"], "agent");
    assert_eq!(line["sender"]["name"], "Ada");
    assert_eq!(
        line["text"],
        format!("please take task {task_id} from the board").as_str()
    );
    let claimed = ws
        .until("the claim", |ev| {
            ev["type"] == "task_upserted" && ev["task"]["status"] == "claimed"
        })
        .await;
    if let Err(e) = claimed {
        anyhow::bail!(
            "{e:#}\nAda: {:#?}\nBob: {:#?}",
            c.logs(&ada).await?,
            c.logs(&bob).await?
        );
    }
    let task = c.get(&format!("/api/tasks/{task_id}")).await?.ok()?;
    assert_eq!(task["task"]["claimed_by"], "Bob");
    assert!(
        server
            .model_requests()
            .iter()
            .any(|r| r.contains(&format!("[Ada] please take task {task_id} from the board"))),
        "Bob's model request carries Ada's labelled message"
    );
    let again = c
        .post(&format!("/api/tasks/{task_id}/claim"), json!({}))
        .await?;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["error"]["details"]["claimed_by"], "Bob");
    running.stop().await?;
    Ok(())
}
