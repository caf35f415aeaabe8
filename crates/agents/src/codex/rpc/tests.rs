//! Builders against the fixtures' `send` lines: what we write must be what codex accepted.

use super::*;
use crate::codex::fixtures::{self, Dir};
use serde_json::json;

fn id(n: i64) -> RequestId {
    RequestId::Int(n)
}

fn client() -> ClientInfo {
    ClientInfo {
        name: "agent_office".into(),
        title: "Agent Office".into(),
        version: "0.1.0".into(),
    }
}

#[test]
fn ids_count_from_zero() {
    let mut ids = RequestIds::default();
    assert_eq!(ids.next_id(), id(0));
    assert_eq!(ids.next_id(), id(1));
}

#[test]
fn handshake_matches_every_fixture() {
    for name in fixtures::transcripts() {
        assert_eq!(
            fixtures::sent(&name, "initialize"),
            vec![initialize(&id(0), &client())],
            "{name}"
        );
        assert_eq!(
            fixtures::sent(&name, "initialized"),
            vec![initialized()],
            "{name}"
        );
    }
}

#[test]
fn thread_start_shapes() {
    let plain = ThreadParams {
        cwd: Some("$WORKDIR".into()),
        ..ThreadParams::default()
    };
    assert_eq!(
        fixtures::sent("codex-basic-turn", "thread/start"),
        vec![thread_start(&id(1), &plain)]
    );
    assert_eq!(
        fixtures::sent("codex-errors", "thread/start"),
        vec![thread_start(&id(3), &plain)]
    );

    let office = ThreadParams::office("$WORKDIR", false);
    assert_eq!(
        fixtures::sent("codex-exec-approval", "thread/start"),
        vec![thread_start(&id(1), &office)]
    );
    let read_only = ThreadParams {
        sandbox: Some(SandboxMode::ReadOnly),
        ..ThreadParams::office("$WORKDIR", false)
    };
    assert_eq!(
        fixtures::sent("codex-patch-approval", "thread/start"),
        vec![thread_start(&id(1), &read_only)]
    );

    // Network access (design §12) rides on a config override; not in any fixture.
    assert_eq!(
        thread_start(&id(7), &ThreadParams::office("/w", true)),
        json!({"method":"thread/start","id":7,"params":{
            "cwd":"/w","approvalPolicy":"untrusted","sandbox":"workspace-write",
            "config":{"sandbox_workspace_write.network_access":true}}})
    );
}

#[test]
fn resume_and_fork_shapes() {
    let basic = "01a21499-d1b1-7b41-82f4-594a200f6e7b";
    assert_eq!(
        fixtures::sent("codex-resume", "thread/resume"),
        vec![thread_resume(
            &id(1),
            basic,
            false,
            &ThreadParams::default()
        )]
    );
    assert_eq!(
        fixtures::sent("codex-fork", "thread/fork"),
        vec![thread_fork(&id(1), basic, true, &ThreadParams::default())]
    );
}

#[test]
fn a_fork_at_a_turn_names_it_as_last_turn_id() {
    let v = thread_fork_through(&id(3), "th", Some("tu"), true, &ThreadParams::default());
    assert_eq!(
        v,
        json!({"method":"thread/fork","id":3,"params":{"threadId":"th","lastTurnId":"tu",
            "excludeTurns":true}})
    );
}

#[test]
fn turn_start_matches_every_fixture() {
    for name in fixtures::transcripts() {
        for msg in fixtures::sent(&name, "turn/start") {
            let params = &msg["params"];
            // codex-errors deliberately omits `input`; nothing we build does that.
            let Some(input) = params["input"].as_array() else {
                continue;
            };
            let texts: Vec<UserInput> = input
                .iter()
                .map(|i| UserInput::Text(i["text"].as_str().unwrap().to_owned()))
                .collect();
            let n = msg["id"].as_i64().unwrap();
            let built = turn_start(&id(n), params["threadId"].as_str().unwrap(), &texts);
            assert_eq!(built, msg, "{name}");
        }
    }
}

#[test]
fn turn_start_images_and_network() {
    let msg = turn_start_with_network(
        &id(2),
        "t",
        &[
            UserInput::Text("look".into()),
            UserInput::LocalImage("/a.png".into()),
            UserInput::ImageUrl("data:x".into()),
        ],
    );
    assert_eq!(
        msg,
        json!({"method":"turn/start","id":2,"params":{"threadId":"t","input":[
            {"type":"text","text":"look","text_elements":[]},
            {"type":"localImage","path":"/a.png"},
            {"type":"image","url":"data:x"}],
            "sandboxPolicy":{"type":"workspaceWrite","networkAccess":true}}})
    );
}

#[test]
fn turn_steer_names_the_running_turn() {
    let msg = turn_steer(&id(5), "t", "u", &[UserInput::Text("why".into())]);
    assert_eq!(
        msg,
        json!({"method":"turn/steer","id":5,"params":{"threadId":"t","expectedTurnId":"u",
            "input":[{"type":"text","text":"why","text_elements":[]}]}})
    );
}

#[test]
fn turn_interrupt_matches_fixtures() {
    for name in ["codex-interrupt", "codex-errors"] {
        for msg in fixtures::sent(name, "turn/interrupt") {
            let p = &msg["params"];
            let built = turn_interrupt(
                &id(msg["id"].as_i64().unwrap()),
                p["threadId"].as_str().unwrap(),
                p["turnId"].as_str().unwrap(),
            );
            assert_eq!(built, msg, "{name}");
        }
    }
}

#[test]
fn approval_answers_match_fixtures() {
    let answers = |name: &str| -> Vec<serde_json::Value> {
        fixtures::load(name)
            .into_iter()
            .filter(|(d, m)| *d == Dir::Send && m.get("method").is_none())
            .map(|(_, m)| m)
            .collect()
    };
    assert_eq!(
        answers("codex-exec-approval"),
        vec![
            approval_answer(&id(0), Decision::Accept),
            approval_answer(&id(1), Decision::Decline)
        ]
    );
    assert_eq!(
        answers("codex-patch-approval"),
        vec![approval_answer(&id(0), Decision::Accept)]
    );
    assert_eq!(
        approval_answer(&id(3), Decision::AcceptForSession),
        json!({"id":3,"result":{"decision":"acceptForSession"}})
    );
    assert_eq!(
        legacy_approval_answer(&id(3), Decision::Cancel),
        json!({"id":3,"result":{"decision":"abort"}})
    );
    assert_eq!(
        error_response(&id(4), -32601, "unsupported"),
        json!({"id":4,"error":{"code":-32601,"message":"unsupported"}})
    );
}
