//! The normalizer against every recorded `codex-*.jsonl` transcript (recv lines, in order),
//! plus thread filtering and garbage resistance.

use super::*;
use crate::codex::fixtures::{self, Dir};
use expect_test::{Expect as Snapshot, expect};
use serde_json::json;

/// Replay a transcript the way the backend will: every request we sent is registered with
/// `expect`, every received line is pushed. Returns all outputs except `Ignored`.
fn replay(name: &str) -> (Normalizer, Vec<Output>) {
    let mut n = Normalizer::new();
    let mut out = Vec::new();
    for (dir, msg) in fixtures::load(name) {
        match dir {
            Dir::Send => {
                let (Some(id), Some(method)) = (
                    msg.get("id")
                        .and_then(|v| serde_json::from_value::<RequestId>(v.clone()).ok()),
                    msg.get("method").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let what = match method {
                    "thread/start" | "thread/resume" | "thread/fork" => Expect::Thread,
                    "turn/start" => Expect::TurnStart,
                    _ => Expect::Other,
                };
                n.expect(id, what);
            }
            Dir::Recv => out.extend(n.push(&msg).into_iter().filter(|o| *o != Output::Ignored)),
        }
    }
    (n, out)
}

/// One line per output, short enough to read in a snapshot.
fn render(outputs: &[Output]) -> String {
    let mut s = String::new();
    for o in outputs {
        let line = match o {
            Output::Event(e) => format!("{e:?}"),
            Output::Approval(a) => format!("Approval {:?} -> {:?}", a.kind, a.to_event()),
            Output::Response { id, result: Ok(_) } => format!("Response {id} ok"),
            Output::Response { id, result: Err(e) } => format!("Response {id} error {}", e.message),
            other => format!("{other:?}"),
        };
        let line: String = line.chars().take(300).collect();
        s.push_str(&line);
        s.push('\n');
    }
    s
}

fn check(name: &str, snapshot: &Snapshot) {
    let (_, out) = replay(name);
    snapshot.assert_eq(&render(&out));
}

fn events(out: &[Output]) -> Vec<&NormalizedEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn every_transcript_replays_and_ends_its_turns() {
    let names = fixtures::transcripts();
    assert!(
        names.len() >= 8,
        "expected the 8 codex transcripts, found {names:?}"
    );
    for name in names {
        let (n, out) = replay(&name);
        let started = events(&out)
            .iter()
            .filter(|e| matches!(e, NormalizedEvent::TurnStarted))
            .count();
        let ended = events(&out)
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    NormalizedEvent::TurnCompleted { .. } | NormalizedEvent::TurnFailed { .. }
                )
            })
            .count();
        // A `turn/start` codex refuses (codex-errors: missing `input`) fails without starting.
        let refused = events(&out)
            .iter()
            .filter(|e| matches!(e, NormalizedEvent::TurnFailed { message, .. } if message.starts_with("codex refused")))
            .count();
        assert_eq!(
            started,
            ended - refused,
            "{name}: every started turn ends exactly once"
        );
        assert!(n.active_turn().is_none(), "{name}");
    }
}

#[test]
fn basic_turn_deltas_concatenate_to_the_final_message() {
    let (n, out) = replay("codex-basic-turn");
    assert_eq!(n.thread_id(), Some("01a21499-d1b1-7b41-82f4-594a200f6e7b"));
    let mut streamed = String::new();
    let mut finals = Vec::new();
    for e in events(&out) {
        match e {
            NormalizedEvent::TextDelta(d) => streamed.push_str(d),
            NormalizedEvent::AssistantText(t) => {
                assert_eq!(&streamed, t);
                finals.push(t.clone());
                streamed.clear();
            }
            _ => {}
        }
    }
    assert_eq!(
        finals,
        [
            "Hello from mock Responses API. You said: Hello codex, first turn",
            "Reasoned answer: 42."
        ]
    );
    check(
        "codex-basic-turn",
        &expect![[r#"
            Response 0 ok
            SessionId("01a21499-d1b1-7b41-82f4-594a200f6e7b")
            Response 1 ok
            Response 2 ok
            TurnStarted
            TextDelta("Hello from mock Responses API. Y")
            TextDelta("ou said: Hello codex, first turn")
            AssistantText("Hello from mock Responses API. You said: Hello codex, first turn")
            TurnCompleted { usage: Usage { input_tokens: 80, output_tokens: 10, cache_read_tokens: 20, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
            Response 3 ok
            TurnStarted
            ThinkingDelta("Considering the question.")
            Thinking("Considering the question.")
            TextDelta("Reasoned a")
            TextDelta("nswer: 42.")
            AssistantText("Reasoned answer: 42.")
            TurnCompleted { usage: Usage { input_tokens: 80, output_tokens: 10, cache_read_tokens: 20, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
        "#]],
    );
}

#[test]
fn interrupt_completes_the_turn_as_interrupted() {
    check(
        "codex-interrupt",
        &expect![[r#"
            Response 0 ok
            SessionId("01a21499-f170-7363-9655-3e98e935993c")
            Response 1 ok
            Response 2 ok
            TurnStarted
            TextDelta("part00 ")
            TextDelta("part01 ")
            TextDelta("part02 ")
            TextDelta("part03 ")
            TextDelta("part04 ")
            Response 3 ok
            TurnCompleted { usage: Usage { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: true }
            Response 4 ok
            TurnStarted
            TextDelta("Hello from mock Responses API. Yo")
            TextDelta("u said: after interrupt, continue")
            AssistantText("Hello from mock Responses API. You said: after interrupt, continue")
            TurnCompleted { usage: Usage { input_tokens: 80, output_tokens: 10, cache_read_tokens: 20, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
        "#]],
    );
    let (_, out) = replay("codex-interrupt");
    let ends: Vec<_> = events(&out)
        .into_iter()
        .filter_map(|e| match e {
            NormalizedEvent::TurnCompleted { interrupted, .. } => Some(*interrupted),
            _ => None,
        })
        .collect();
    assert_eq!(ends, [true, false]);
}

#[test]
fn exec_approval_carries_the_command() {
    check(
        "codex-exec-approval",
        &expect![[r#"
        Response 0 ok
        SessionId("01a21499-dbff-7140-8234-da589e2ad194")
        Response 1 ok
        Response 2 ok
        TurnStarted
        ToolStarted { call_id: "call_mock_001", tool: "shell", input: Object {"command": String("/bin/bash -lc 'touch codex-was-here.txt && echo hello-from-codex-shell'"), "cwd": String("$WORKDIR")} }
        Approval Exec { command: Shell("/bin/bash -lc 'touch codex-was-here.txt && echo hello-from-codex-shell'"), cwd: Some("$WORKDIR") } -> ApprovalRequest { request_id: "0", tool: "shell", input: Object {"command": String("/bin/bash -lc 'touch codex-was-here.txt && echo hello-from-codex-shell'"), "cwd": 
        ToolFinished { call_id: "call_mock_001", output: "hello-from-codex-shell\n", ok: true }
        TextDelta("Command finished. Output was: Chunk ID: 807ff7\nWall time: 0.0714 seconds\nProc")
        TextDelta("ess exited with code 0\nOriginal token count: 6\nOutput:\nhello-from-codex-shell\n")
        AssistantText("Command finished. Output was: Chunk ID: 807ff7\nWall time: 0.0714 seconds\nProcess exited with code 0\nOriginal token count: 6\nOutput:\nhello-from-codex-shell\n")
        TurnCompleted { usage: Usage { input_tokens: 160, output_tokens: 20, cache_read_tokens: 40, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
        Response 3 ok
        TurnStarted
        ToolStarted { call_id: "call_mock_003", tool: "shell", input: Object {"command": String("/bin/bash -lc 'touch codex-was-here.txt && echo hello-from-codex-shell'"), "cwd": String("$WORKDIR")} }
        Approval Exec { command: Shell("/bin/bash -lc 'touch codex-was-here.txt && echo hello-from-codex-shell'"), cwd: Some("$WORKDIR") } -> ApprovalRequest { request_id: "1", tool: "shell", input: Object {"command": String("/bin/bash -lc 'touch codex-was-here.txt && echo hello-from-codex-shell'"), "cwd": 
        ToolFinished { call_id: "call_mock_003", output: "declined by the user", ok: false }
        TextDelta("Command finished. Output was: exec_command failed: Crea")
        TextDelta("teProcess { message: \"Rejected(\\\"rejected by user\\\")\" }")
        AssistantText("Command finished. Output was: exec_command failed: CreateProcess { message: \"Rejected(\\\"rejected by user\\\")\" }")
        TurnCompleted { usage: Usage { input_tokens: 160, output_tokens: 20, cache_read_tokens: 40, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
    "#]],
    );
    let (_, out) = replay("codex-exec-approval");
    let approvals: Vec<&ApprovalRequestIn> = out
        .iter()
        .filter_map(|o| match o {
            Output::Approval(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(approvals.len(), 2);
    assert_eq!(approvals[0].rpc_id, RequestId::Int(0));
    assert_eq!(
        approvals[0].kind,
        ApprovalKind::Exec {
            command: Command::Shell(
                "/bin/bash -lc 'touch codex-was-here.txt && echo hello-from-codex-shell'".into()
            ),
            cwd: Some("$WORKDIR".into()),
        }
    );
    assert_eq!(
        approvals[1].answer(Decision::Decline),
        json!({"id":1,"result":{"decision":"decline"}})
    );
}

#[test]
fn patch_approval_carries_the_paths() {
    check(
        "codex-patch-approval",
        &expect![[r#"
        Response 0 ok
        SessionId("01a21499-e770-7cf3-b043-d9c6c0547218")
        Response 1 ok
        Response 2 ok
        TurnStarted
        ToolStarted { call_id: "call_mock_001", tool: "apply_patch", input: Object {"changes": Array [Object {"diff": String("written by apply_patch\n"), "kind": Object {"type": String("add")}, "path": String("$WORKDIR/patched.txt")}]} }
        Approval Patch { paths: ["$WORKDIR/patched.txt"], changes: [FileChange { path: "$WORKDIR/patched.txt", kind: Object {"type": String("add")}, diff: "written by apply_patch\n" }] } -> ApprovalRequest { request_id: "0", tool: "apply_patch", input: Object {"changes": Array [Object {"diff": String("writt
        ToolFinished { call_id: "call_mock_001", output: "updated $WORKDIR/patched.txt", ok: true }
        TextDelta("Command finished. Output was: Exit code: 0\nWall time: 0 second")
        TextDelta("s\nOutput:\nSuccess. Updated the following files:\nA patched.txt\n")
        AssistantText("Command finished. Output was: Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA patched.txt\n")
        TurnCompleted { usage: Usage { input_tokens: 160, output_tokens: 20, cache_read_tokens: 40, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
    "#]],
    );
    let (_, out) = replay("codex-patch-approval");
    let Some(Output::Approval(a)) = out.iter().find(|o| matches!(o, Output::Approval(_))) else {
        panic!("no approval in {out:?}");
    };
    let ApprovalKind::Patch { paths, changes } = &a.kind else {
        panic!("not a patch: {a:?}");
    };
    assert_eq!(paths, &["$WORKDIR/patched.txt"]);
    assert_eq!(changes[0].diff, "written by apply_patch\n");
}

#[test]
fn model_errors_fail_the_turn_with_hints() {
    check(
        "codex-model-error",
        &expect![[r#"
        Response 0 ok
        SessionId("01a2149a-1c04-7010-bbc9-ea198233bb08")
        Response 1 ok
        Response 2 ok
        TurnStarted
        TurnFailed { message: "We’re currently experiencing high demand, which may cause temporary errors.", hint: Some("The model provider is overloaded or failing; send the message again in a moment.") }
        Response 3 ok
        TurnStarted
        TurnFailed { message: "stream disconnected before completion: Mock failure inside the stream", hint: Some("The model's response stream broke off; send the message again.") }
        Response 4 ok
        TurnStarted
        TextDelta("Hello from mock Responses ")
        TextDelta("API. You said: all good now")
        AssistantText("Hello from mock Responses API. You said: all good now")
        TurnCompleted { usage: Usage { input_tokens: 80, output_tokens: 10, cache_read_tokens: 20, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
    "#]],
    );
}

#[test]
fn rpc_errors_are_responses_and_a_refused_turn_fails() {
    check(
        "codex-errors",
        &expect![[r#"
        Response 0 ok
        Response 1 error no rollout found for thread id 00000000-0000-0000-0000-000000000000
        Response 2 error Invalid request: unknown variant `no/such/method`, expected one of `initialize`, `server/diagnostics`, `userVerification/status`, `userVerification/enroll`, `userVerification/delete`, `userVerification/verify`, `userVerification/cancel`, `thread/start`, `thread/resume`, `thread/fork
        SessionId("01a2149a-12b4-70c1-90a9-d56f42b84c15")
        Response 3 ok
        TurnFailed { message: "codex refused the turn: Invalid request: missing field `input`", hint: Some("This is a bug in the office's codex driver or a codex version it does not know; restart the agent, and report it if it happens again.") }
        Response 4 error Invalid request: missing field `input`
        Response 5 error no active turn to interrupt
    "#]],
    );
}

#[test]
fn resume_keeps_the_thread_id() {
    check(
        "codex-resume",
        &expect![[r#"
        Response 0 ok
        SessionId("01a21499-d1b1-7b41-82f4-594a200f6e7b")
        Response 1 ok
        Response 2 ok
        TurnStarted
        TextDelta("Hello from mock Responses ")
        TextDelta("API. You said: resumed turn")
        AssistantText("Hello from mock Responses API. You said: resumed turn")
        TurnCompleted { usage: Usage { input_tokens: 80, output_tokens: 10, cache_read_tokens: 20, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
    "#]],
    );
}

#[test]
fn fork_gets_a_new_thread_id() {
    check(
        "codex-fork",
        &expect![[r#"
        Response 0 ok
        SessionId("01a2149a-08da-7291-be51-c3011cc46370")
        Response 1 ok
        Response 2 ok
        TurnStarted
        TextDelta("Hello from mock Responses ")
        TextDelta("API. You said: forked turn")
        AssistantText("Hello from mock Responses API. You said: forked turn")
        TurnCompleted { usage: Usage { input_tokens: 80, output_tokens: 10, cache_read_tokens: 20, cache_write_tokens: 0, cost_usd: 0.0, turns: 1 }, interrupted: false }
    "#]],
    );
    let (n, _) = replay("codex-fork");
    assert_eq!(n.thread_id(), Some("01a2149a-08da-7291-be51-c3011cc46370"));
}

#[test]
fn other_threads_produce_nothing() {
    let mut n = Normalizer::for_thread("mine");
    // Every recv line of a real transcript, re-tagged with a foreign thread id.
    for (dir, mut msg) in fixtures::load("codex-exec-approval") {
        if dir != Dir::Recv {
            continue;
        }
        let Some(params) = msg.get_mut("params").and_then(Value::as_object_mut) else {
            continue;
        };
        if params.contains_key("threadId") {
            params.insert("threadId".into(), json!("sub-agent"));
        } else if let Some(t) = params.get_mut("thread").and_then(Value::as_object_mut) {
            t.insert("id".into(), json!("sub-agent"));
        } else {
            continue;
        }
        for o in n.push(&msg) {
            assert!(
                matches!(o, Output::Ignored | Output::UnhandledRequest { .. }),
                "{o:?} from {msg}"
            );
        }
    }
    // A foreign turn/completed must not end our turn.
    n.push(&json!({"method":"turn/started","params":{"threadId":"mine","turn":{"id":"t1","status":"inProgress"}}}));
    let foreign = n.push(&json!({"method":"turn/completed","params":{"threadId":"other","turn":{"id":"t9","status":"completed"}}}));
    assert_eq!(foreign, [Output::Ignored]);
    let stale = n.push(&json!({"method":"turn/completed","params":{"threadId":"mine","turn":{"id":"t0","status":"completed"}}}));
    assert_eq!(stale, [Output::Ignored]);
    assert_eq!(n.active_turn(), Some("t1"));
}

#[test]
fn unknown_methods_are_reported_once() {
    let mut n = Normalizer::for_thread("t");
    let msg = json!({"method":"brand/new","params":{"threadId":"t"}});
    assert_eq!(n.push(&msg), [Output::Unknown("brand/new".into())]);
    assert_eq!(n.push(&msg), [Output::Ignored]);
}

#[test]
fn garbage_never_panics() {
    let mut n = Normalizer::for_thread("01a21499-dbff-7140-8234-da589e2ad194");
    let mut lines: Vec<Value> = vec![
        json!(null),
        json!(42),
        json!("text"),
        json!({}),
        json!({"id":null}),
        json!({"method":7}),
        json!({"method":"turn/completed"}),
        json!({"method":"turn/completed","params":{"turn":"nope"}}),
        json!({"method":"item/started","params":{"item":{"type":"commandExecution"}}}),
        json!({"method":"item/completed","params":{"item":null}}),
        json!({"method":"error","params":{"error":"x"}}),
        json!({"id":0,"method":"item/fileChange/requestApproval","params":[]}),
        json!({"id":{"x":1},"result":1}),
    ];
    // Every real line with each top-level member and each params member nulled in turn.
    for (_, msg) in fixtures::load("codex-exec-approval")
        .into_iter()
        .chain(fixtures::load("codex-basic-turn"))
    {
        if let Some(obj) = msg.as_object() {
            for k in obj.keys() {
                let mut m = msg.clone();
                m[k.as_str()] = Value::Null;
                lines.push(m);
            }
            if let Some(params) = obj.get("params").and_then(Value::as_object) {
                for k in params.keys() {
                    let mut m = msg.clone();
                    m["params"][k.as_str()] = json!([]);
                    lines.push(m);
                }
            }
        }
        // Truncated lines are not JSON; the reader reports those itself, but their prefixes
        // that still parse (e.g. a number) must be harmless.
        let text = msg.to_string();
        for cut in [1, text.len() / 3, text.len() / 2] {
            if let Ok(v) = serde_json::from_str::<Value>(&text[..cut.min(text.len())]) {
                lines.push(v);
            }
        }
    }
    for l in &lines {
        let _ = n.push(l);
    }
}

#[test]
fn hints_say_what_to_do() {
    let err = |info: Value| TurnError {
        message: "m".into(),
        codex_error_info: Some(info),
        additional_details: None,
    };
    assert!(hint_for(&err(json!("unauthorized"))).contains("codex login"));
    assert!(
        hint_for(&err(json!({"httpConnectionFailed":{"httpStatusCode":502}}))).contains("base_url")
    );
    assert!(hint_for(&err(json!("contextWindowExceeded"))).contains("new conversation"));
}
