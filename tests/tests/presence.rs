//! Presence over real HTTP/WS: every WebSocket is its own ghost (two tabs of one person are two
//! ghosts with distinct connection ids), `presence_update` moves a ghost and sets its device, a
//! member limited to some rooms never sees a ghost in a room or a chat they cannot see (not even
//! one that claims a visible room while chatting with a hidden agent), and a closed socket's
//! ghost is gone.

use isomux_tests::{Client, TestOffice, Ws};
use serde_json::{Value, json};

/// The ghosts of a `presence_list` (or a `full_state`).
fn ghosts(ev: &Value) -> Vec<Value> {
    ev["presence"].as_array().cloned().unwrap_or_default()
}

fn with_device<'a>(list: &'a [Value], device: &str) -> Option<&'a Value> {
    list.iter().find(|p| p["device"] == json!(device))
}

/// Waits for a `presence_list` whose ghosts satisfy `pred`; returns them.
async fn presence_until(
    ws: &mut Ws,
    what: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Vec<Value>> {
    let ev = ws
        .until(what, |ev| {
            ev["type"] == "presence_list" && pred(&ghosts(ev))
        })
        .await?;
    Ok(ghosts(&ev))
}

#[tokio::test]
async fn ghosts_per_socket_and_only_where_a_member_may_look() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;
    let cwd = office.dir.path().to_string_lossy().into_owned();
    let state = owner.get("/api/state").await?.ok()?;
    let lobby = state["rooms"][0]["id"].as_str().unwrap().to_owned();
    let demo = owner.agent_id("Demo").await?;
    let secret = owner
        .post("/api/rooms", json!({"name": "Secret"}))
        .await?
        .ok()?["room"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hidden = owner
        .hire_with(json!({"name": "Hidden", "backend": "demo", "cwd": cwd, "room_id": secret}))
        .await?;

    let invite = owner
        .post("/api/invites", json!({"role": "member"}))
        .await?
        .ok()?;
    let member = Client::accept(office.url(), invite["url"].as_str().unwrap(), "Max").await?;
    let member_id = member.get("/api/me").await?.ok()?["me"]["member_id"]
        .as_str()
        .unwrap()
        .to_owned();
    owner
        .patch(
            &format!("/api/members/{member_id}"),
            json!({"rooms": [lobby]}),
        )
        .await?
        .ok()?;

    let mut max = member.ws().await?;
    let first = max.next().await?;
    assert_eq!(first["type"], "full_state", "{first}");

    // Two tabs of the owner: two ghosts with their own connection ids.
    let mut laptop = owner.ws().await?;
    let mut phone = owner.ws().await?;
    let list = presence_until(&mut max, "two owner ghosts", |l| {
        l.iter()
            .filter(|p| p["member_id"] != json!(member_id))
            .count()
            >= 2
    })
    .await?;
    let owner_ghosts: Vec<&Value> = list
        .iter()
        .filter(|p| p["member_id"] != json!(member_id))
        .collect();
    assert_eq!(owner_ghosts.len(), 2, "{list:?}");
    assert_ne!(
        owner_ghosts[0]["connection_id"],
        owner_ghosts[1]["connection_id"]
    );
    assert!(
        list.iter().any(|p| p["member_id"] == json!(member_id)),
        "Max's own socket is a ghost too: {list:?}"
    );

    // The phone tab chats with the hidden agent while claiming the lobby (a stale room).
    phone
        .send(
            json!({"type": "presence_update", "room_id": lobby, "agent_id": hidden,
                     "view": "chat", "device": "Phone"}),
        )
        .await?;
    presence_until(&mut laptop, "the phone at the hidden agent", |l| {
        with_device(l, "Phone").is_some_and(|p| p["agent_id"] == json!(hidden))
    })
    .await?;
    // The laptop tab chats with the demo agent in the lobby.
    laptop
        .send(
            json!({"type": "presence_update", "room_id": lobby, "agent_id": demo,
                     "view": "chat", "device": "Laptop"}),
        )
        .await?;
    let mut lists = Vec::new();
    loop {
        let ev = max.next().await?;
        if ev["type"] != "presence_list" {
            continue;
        }
        let list = ghosts(&ev);
        lists.push(list.clone());
        if with_device(&list, "Laptop").is_some_and(|p| p["agent_id"] == json!(demo)) {
            break;
        }
    }
    for list in &lists {
        assert!(
            !list.iter().any(|p| p["agent_id"] == json!(hidden)
                || p["room_id"] == json!(secret)
                || p["device"] == json!("Phone")),
            "Max sees no ghost at the hidden agent: {list:?}"
        );
    }
    let last = lists.last().unwrap();
    let laptop_ghost = with_device(last, "Laptop").unwrap();
    assert_eq!(laptop_ghost["view"], "chat");
    assert_eq!(laptop_ghost["room_id"], json!(lobby));

    // The snapshot agrees.
    let st = member.get("/api/state").await?.ok()?;
    let snap = ghosts(&st);
    assert!(with_device(&snap, "Laptop").is_some(), "{st}");
    assert!(
        !snap.iter().any(|p| p["agent_id"] == json!(hidden)),
        "{snap:?}"
    );
    // The owner (every room) does see the phone.
    let st = owner.get("/api/state").await?.ok()?;
    assert!(with_device(&ghosts(&st), "Phone").is_some(), "{st}");

    // Closing the laptop tab removes its ghost.
    drop(laptop);
    presence_until(&mut max, "the laptop ghost gone", |l| {
        with_device(l, "Laptop").is_none()
    })
    .await?;
    drop(phone);
    Ok(())
}
