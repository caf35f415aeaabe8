//! Members, invites, device links, signed-in devices and API tokens over real HTTP/WS: who
//! may mint and revoke what, that a revoked session's socket closes within a second, that a
//! member limited to some rooms sees (and reaches) nothing else, and that API tokens are
//! shown once, attributed to their member and stop working when revoked.

use isomux_tests::{Client, TestOffice};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn invites_devices_sessions_and_roles() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;

    // The owner mints a member invite; the URL (with the token) is shown once.
    let made = owner
        .post("/api/invites", json!({"role": "member", "ttl_secs": 600}))
        .await?
        .ok()?;
    let url = made["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/i/", office.url())), "{url}");
    let token = url.rsplit('/').next().unwrap();
    assert_eq!(made["invite"]["status"], "open");
    let listed = owner.get("/api/invites").await?.ok()?;
    assert!(
        !listed.to_string().contains(token),
        "lists never show tokens"
    );
    // Bad shapes.
    let r = owner.post("/api/invites", json!({"role": "admin"})).await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"));
    let r = owner
        .post("/api/invites", json!({"role": "member", "ttl_secs": 0}))
        .await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"));

    let member = Client::accept(office.url(), &url, "Max").await?;
    let me = member.get("/api/me").await?.ok()?;
    assert_eq!(
        (me["me"]["role"].as_str(), me["me"]["name"].as_str()),
        (Some("member"), Some("Max"))
    );
    let member_id = me["me"]["member_id"].as_str().unwrap().to_owned();

    // Owner-only operations are 403 for the member; nothing is minted.
    for (m, p, b) in [
        ("POST", "/api/invites", Some(json!({"role": "owner"}))),
        ("GET", "/api/tokens", None),
        ("POST", "/api/tokens", Some(json!({"name": "x"}))),
        (
            "PATCH",
            &*format!("/api/members/{member_id}"),
            Some(json!({"role": "owner"})),
        ),
        ("DELETE", &*format!("/api/members/{member_id}"), None),
    ] {
        let r = member.request(m, p, b).await?;
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{m} {p}");
    }

    // A member mints a device link for themselves: the same member on a new device.
    let link = member.post("/api/invites/self", json!({})).await?.ok()?;
    let phone = Client::accept(office.url(), link["url"].as_str().unwrap(), "ignored").await?;
    let me2 = phone.get("/api/me").await?.ok()?;
    assert_eq!(me2["me"]["member_id"], member_id.as_str());
    // The member sees only their own devices; the owner sees everyone's.
    let mine = member.get("/api/sessions").await?.ok()?;
    assert_eq!(mine["sessions"].as_array().unwrap().len(), 2);
    let current: Vec<bool> = mine["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["current"] == true)
        .collect();
    assert_eq!(
        current,
        [false, true],
        "newest first; the laptop asked: {mine}"
    );
    let all = owner.get("/api/sessions").await?.ok()?;
    assert_eq!(all["sessions"].as_array().unwrap().len(), 3);
    let owner_prefix = all["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["member_id"] != member_id.as_str())
        .unwrap()["prefix"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = member
        .delete(&format!("/api/sessions/{owner_prefix}"))
        .await?;
    assert_eq!(
        (r.status, r.code()),
        (404, "not_found"),
        "not theirs to see"
    );
    assert_eq!(owner.get("/api/me").await?.status, 200);

    // Revoking the phone's session closes its socket within about a second.
    let mut ws = phone.ws().await?;
    assert_eq!(ws.next().await?["type"], "full_state");
    let phone_prefix = mine["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["prefix"].as_str().unwrap().to_owned())
        .next()
        .unwrap();
    let t0 = Instant::now();
    member
        .delete(&format!("/api/sessions/{phone_prefix}"))
        .await?
        .ok()?;
    let ev = ws
        .until("session_expired", |e| e["type"] == "session_expired")
        .await?;
    assert_eq!(ev["type"], "session_expired");
    let took = t0.elapsed();
    println!("revoked session's socket told after {took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(ws.next().await.is_err(), "then closed");
    assert_eq!(phone.get("/api/me").await?.status, 401);
    assert_eq!(member.get("/api/me").await?.status, 200);

    // Removing the member ends every session of theirs.
    owner
        .delete(&format!("/api/members/{member_id}"))
        .await?
        .ok()?;
    assert_eq!(member.get("/api/me").await?.status, 401);
    let members = owner.get("/api/members").await?.ok()?;
    assert_eq!(members["members"].as_array().unwrap().len(), 1);

    // An owner invite for someone else makes a second owner (not a sign-in as the first).
    let made = owner
        .post("/api/invites", json!({"role": "owner"}))
        .await?
        .ok()?;
    let co = Client::accept(office.url(), made["url"].as_str().unwrap(), "Co").await?;
    let me = co.get("/api/me").await?.ok()?;
    assert_eq!(me["me"]["role"], "owner");
    assert_eq!(me["me"]["name"], "Co");
    let members = owner.get("/api/members").await?.ok()?;
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn members_see_only_their_rooms() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;
    let cwd = office.dir.path().to_string_lossy().into_owned();
    let state = owner.get("/api/state").await?.ok()?;
    let lobby = state["rooms"][0]["id"].as_str().unwrap().to_owned();
    let secret = owner
        .post("/api/rooms", json!({"name": "Secret"}))
        .await?
        .ok()?;
    let secret = secret["room"]["id"].as_str().unwrap().to_owned();
    let hidden = owner
        .post(
            "/api/agents",
            json!({"name": "Hidden", "backend": "demo", "cwd": cwd, "room_id": secret}),
        )
        .await?
        .ok()?;
    let hidden = hidden["agent"]["id"].as_str().unwrap().to_owned();

    let invite = owner
        .post("/api/invites", json!({"role": "member"}))
        .await?
        .ok()?;
    let member = Client::accept(office.url(), invite["url"].as_str().unwrap(), "Max").await?;
    let member_id = member.get("/api/me").await?.ok()?["me"]["member_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Unknown rooms are refused.
    let r = owner
        .patch(
            &format!("/api/members/{member_id}"),
            json!({"rooms": ["rm_nope"]}),
        )
        .await?;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let m = owner
        .patch(
            &format!("/api/members/{member_id}"),
            json!({"rooms": [lobby]}),
        )
        .await?
        .ok()?;
    assert_eq!(m["member"]["rooms"], json!([lobby]));

    let st = member.get("/api/state").await?.ok()?;
    assert!(!st.to_string().contains(&hidden) && !st.to_string().contains(&secret));
    let agents = member.get("/api/agents").await?.ok()?;
    assert!(!agents.to_string().contains(&hidden));
    let rooms = member.get("/api/rooms").await?.ok()?;
    assert_eq!(rooms["rooms"].as_array().unwrap().len(), 1);
    for (m, p, b) in [
        ("GET", format!("/api/agents/{hidden}/logs"), None),
        (
            "POST",
            format!("/api/agents/{hidden}/messages"),
            Some(json!({"text": "hi"})),
        ),
        (
            "PATCH",
            format!("/api/agents/{hidden}"),
            Some(json!({"topic": "x"})),
        ),
        ("GET", format!("/api/rooms/{secret}/settings"), None),
        ("DELETE", format!("/api/rooms/{secret}"), None),
        (
            "POST",
            "/api/agents".to_owned(),
            Some(json!({"name": "Sneaky", "backend": "demo", "cwd": cwd, "room_id": secret})),
        ),
    ] {
        let r = member.request(m, &p, b).await?;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{m} {p}");
    }
    // Tasks for a hidden agent are not on the member's board, nor can they assign one.
    let secret_task = owner
        .post(
            "/api/tasks",
            json!({"title": "Secret work", "assignee": hidden}),
        )
        .await?
        .ok()?;
    let secret_task = secret_task["task"]["id"].as_str().unwrap().to_owned();
    owner
        .post("/api/tasks", json!({"title": "Open work"}))
        .await?
        .ok()?;
    let tasks = member.get("/api/tasks").await?.ok()?;
    assert_eq!(tasks["tasks"].as_array().unwrap().len(), 1, "{tasks}");
    assert!(!tasks.to_string().contains(&secret_task));
    let st = member.get("/api/state").await?.ok()?;
    assert!(!st.to_string().contains(&secret_task));
    let r = member
        .post("/api/tasks", json!({"title": "x", "assignee": hidden}))
        .await?;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    // A spawn without a room lands in one the member may use.
    let mine = member
        .post(
            "/api/agents",
            json!({"name": "Mine", "backend": "demo", "cwd": cwd}),
        )
        .await?
        .ok()?;
    assert_eq!(mine["agent"]["room_id"], lobby.as_str());

    // Events about the hidden room's agent never reach the member's socket.
    let mut ws = member.ws().await?;
    let first = ws.next().await?;
    assert_eq!(first["type"], "full_state");
    assert!(!first.to_string().contains(&hidden));
    owner
        .post(
            &format!("/api/agents/{hidden}/messages"),
            json!({"text": "psst"}),
        )
        .await?
        .ok()?;
    owner
        .post(
            "/api/tasks",
            json!({"title": "More secret work", "assignee": hidden}),
        )
        .await?
        .ok()?;
    let visible = member.agent_id("Mine").await?;
    member
        .post(
            &format!("/api/agents/{visible}/messages"),
            json!({"text": "hello"}),
        )
        .await?
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let Ok(ev) = tokio::time::timeout(Duration::from_millis(500), ws.next()).await else {
            continue;
        };
        let ev = ev?;
        assert!(!ev.to_string().contains(&hidden), "leaked: {ev}");
    }
    // Widening access resyncs the socket with the hidden room included.
    owner
        .patch(&format!("/api/members/{member_id}"), json!({"rooms": null}))
        .await?
        .ok()?;
    let st = ws
        .until("a wider full_state", |e| {
            e["type"] == "full_state" && e.to_string().contains(&hidden)
        })
        .await?;
    assert_eq!(st["rooms"].as_array().unwrap().len(), 2);
    assert_eq!(
        member
            .get(&format!("/api/agents/{hidden}/logs"))
            .await?
            .status,
        200
    );
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn api_tokens_are_shown_once_attributed_and_revocable() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;
    let made = owner
        .post(
            "/api/tokens",
            json!({"name": "ci-script", "ttl_secs": 3600}),
        )
        .await?
        .ok()?;
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("isx_pat_"));
    let prefix = made["token"]["prefix"].as_str().unwrap().to_owned();
    let list = owner.get("/api/tokens").await?.ok()?;
    assert!(
        !list.to_string().contains(&secret[8..]),
        "never shown again"
    );
    assert_eq!(list["tokens"][0]["prefix"], prefix.as_str());

    // Bearer from a script: no cookie, no Origin; attributed to the owner with the token's name.
    let http = reqwest::Client::new();
    let me: serde_json::Value = http
        .get(format!("{}/api/me", office.url()))
        .bearer_auth(&secret)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(me["me"]["role"], "owner");
    assert_eq!(me["me"]["device"], "ci-script");
    let room = http
        .post(format!("{}/api/rooms", office.url()))
        .bearer_auth(&secret)
        .header("origin", "http://elsewhere.example")
        .json(&json!({"name": "From CI"}))
        .send()
        .await?;
    assert_eq!(room.status(), 200, "bearer requests ignore Origin");

    owner.delete(&format!("/api/tokens/{prefix}")).await?.ok()?;
    let r = http
        .get(format!("{}/api/me", office.url()))
        .bearer_auth(&secret)
        .send()
        .await?;
    assert_eq!(r.status(), 401);
    let r = owner.delete(&format!("/api/tokens/{prefix}")).await?;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    office.running.stop().await?;
    Ok(())
}
