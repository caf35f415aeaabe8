//! The route table drives the router: every row, with its path ids filled with real objects,
//! answers 401 without credentials (and never 401 with them), so no route can be added
//! without authentication.

use isomux_protocol::{ROUTES, ServerMessage, routes::path_params};
use isomux_tests::{Client, TestOffice};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn every_route_requires_authentication() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;
    let state = owner.get("/api/state").await?.ok()?;
    let agent = state["agents"][0]["id"].as_str().unwrap().to_owned();
    let room = state["rooms"][0]["id"].as_str().unwrap().to_owned();
    let fill = |path: &str| {
        let mut p = path.to_owned();
        for name in path_params(path) {
            let value = match name {
                "agent_id" => agent.clone(),
                "room_id" => room.clone(),
                "message_id" => "mg_unknown".into(),
                "approval_id" => "ap_unknown".into(),
                "entry_id" => "en_unknown".into(),
                "prefix" => "00000000".into(),
                "member_id" => "mb_unknown".into(),
                "task_id" => "tk_unknown".into(),
                other => panic!("no filler for path parameter {other}: add one"),
            };
            p = p.replace(&format!("{{{name}}}"), &value);
        }
        p
    };
    let anon = Client::anonymous(office.url());
    let mut seen = HashSet::new();
    for r in ROUTES {
        assert!(seen.insert(r.op_id), "duplicate op id {}", r.op_id);
        let path = fill(r.path);
        let body = (r.method.as_str() != "GET").then(|| json!({}));
        let res = anon.request(r.method.as_str(), &path, body.clone()).await?;
        assert_eq!(
            (res.status, res.code()),
            (401, "unauthorized"),
            "{} {} without credentials",
            r.method.as_str(),
            path
        );
        // The same request as the owner is routed to its op (never 401, never a router 405).
        if r.op_id == "delete_agent" || r.op_id == "delete_room" {
            continue;
        }
        let res = owner.request(r.method.as_str(), &path, body).await?;
        assert!(
            res.status != 401 && res.status != 405 && res.status < 500,
            "{} {} as owner gave {}: {}",
            r.method.as_str(),
            path,
            res.status,
            res.body
        );
    }
    office.running.stop().await?;
    Ok(())
}

#[test]
fn every_event_is_registered() {
    let mut names: Vec<_> = ServerMessage::TYPES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ServerMessage::TYPES.len());
    for required in [
        "full_state",
        "log_delta",
        "log_entry",
        "agent_state",
        "queue_updated",
    ] {
        assert!(ServerMessage::TYPES.contains(&required), "{required}");
    }
}
