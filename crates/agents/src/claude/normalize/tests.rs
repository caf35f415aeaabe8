//! Fixture-driven tests of the normalizer: every captured `claude-*.jsonl` transcript is fed
//! through it and snapshotted (`snapshots/normalized.txt`, update with `UPDATE_EXPECT=1`), then
//! the behaviours the office relies on are asserted one by one.

use super::{ControlKind, Normalizer, Output};
use crate::claude::test_fixtures::{Transcript, claude_transcripts};
use isomux_core::backend::NormalizedEvent;
use std::fmt::Write as _;

/// All outputs of a transcript's `recv` lines.
fn run(name: &str) -> (Normalizer, Vec<Output>) {
    let mut n = Normalizer::new();
    let t = Transcript::load(name);
    let out = t.recv().into_iter().flat_map(|l| n.push(l)).collect();
    (n, out)
}

fn events(out: &[Output]) -> Vec<&NormalizedEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn short(s: &str) -> String {
    const MAX: usize = 100;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

fn render(o: &Output) -> String {
    match o {
        Output::Event(e) => match e {
            NormalizedEvent::ToolStarted {
                call_id,
                tool,
                input,
            } => format!("ToolStarted {call_id} {tool} {}", short(&input.to_string())),
            NormalizedEvent::ToolFinished {
                call_id,
                output,
                ok,
            } => format!("ToolFinished {call_id} ok={ok} {}", short(output)),
            NormalizedEvent::TurnCompleted { usage, interrupted } => format!(
                "TurnCompleted interrupted={interrupted} in={} out={} cache_read={} cache_write={} cost={:.6}",
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_write_tokens,
                usage.cost_usd
            ),
            NormalizedEvent::TurnFailed { message, hint } => format!(
                "TurnFailed {} hint={}",
                short(message),
                short(hint.as_deref().unwrap_or("-"))
            ),
            NormalizedEvent::AssistantText(t) => format!("AssistantText {}", short(t)),
            NormalizedEvent::Thinking(t) => format!("Thinking {}", short(t)),
            NormalizedEvent::TextDelta(t) => format!("TextDelta {}", short(t)),
            NormalizedEvent::ThinkingDelta(t) => format!("ThinkingDelta {}", short(t)),
            other => format!("{other:?}"),
        },
        Output::Control(c) => {
            let kind = match &c.kind {
                ControlKind::CanUseTool {
                    tool_name, input, ..
                } => format!("CanUseTool {tool_name} {}", short(&input.to_string())),
                ControlKind::HookCallback {
                    callback_id,
                    hook_event,
                    tool_name,
                    ..
                } => format!("HookCallback {callback_id} {hook_event:?} {tool_name:?}"),
                ControlKind::McpMessage {
                    server_name,
                    message,
                } => format!(
                    "McpMessage {server_name} {}",
                    message["method"].as_str().unwrap_or("?")
                ),
                ControlKind::Other { subtype, .. } => format!("Other {subtype}"),
            };
            format!("Control {} {kind}", c.request_id)
        }
        Output::ControlResponse { request_id, result } => match result {
            Ok(_) => format!("ControlResponse {request_id} ok"),
            Err(e) => format!("ControlResponse {request_id} error {}", short(e)),
        },
        Output::ControlCancelled { request_id } => format!("ControlCancelled {request_id}"),
        Output::Ignored => "-".into(),
        Output::Unknown(k) => format!("Unknown {k}"),
        Output::Malformed { kind, error } => format!("MALFORMED {kind}: {error}"),
    }
}

/// `type/subtype` of a recv line, for the snapshot's left column.
fn label(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
    let sub = v["subtype"]
        .as_str()
        .or_else(|| v["event"]["type"].as_str())
        .or_else(|| v["request"]["subtype"].as_str())
        .map(|s| format!("/{s}"))
        .unwrap_or_default();
    format!("{}{sub}", v["type"].as_str().unwrap_or("?"))
}

#[test]
fn every_claude_transcript_normalizes_as_snapshotted() {
    let mut snapshot = String::new();
    for name in claude_transcripts() {
        let _ = writeln!(snapshot, "== {name}");
        let mut n = Normalizer::new();
        for line in Transcript::load(&name).recv() {
            let outs: Vec<String> = n.push(line).iter().map(render).collect();
            assert!(
                !outs.iter().any(|o| o.starts_with("MALFORMED")),
                "{name}: {outs:?}"
            );
            let _ = writeln!(snapshot, "{:<34} {}", label(line), outs.join(" | "));
        }
        let _ = writeln!(
            snapshot,
            "   session={:?} total_cost_usd={} in_turn={}",
            n.session_id(),
            n.last_total_cost_usd(),
            n.in_turn()
        );
    }
    expect_test::expect_file!["snapshots/normalized.txt"].assert_eq(&snapshot);
}

/// Asserts the turn bracketing invariant: one `TurnStarted`, then one end, per turn.
fn assert_turns_bracketed(name: &str, evs: &[&NormalizedEvent]) -> usize {
    let mut open = false;
    let mut turns = 0;
    for e in evs {
        match e {
            NormalizedEvent::TurnStarted => {
                assert!(!open, "{name}: TurnStarted twice");
                open = true;
            }
            NormalizedEvent::TurnCompleted { .. } | NormalizedEvent::TurnFailed { .. } => {
                assert!(open, "{name}: turn ended without starting");
                open = false;
                turns += 1;
            }
            NormalizedEvent::SessionId(_) => {}
            other => assert!(open, "{name}: {other:?} outside a turn"),
        }
    }
    assert!(!open, "{name}: turn left open");
    turns
}

#[test]
fn every_transcript_brackets_its_turns() {
    for name in claude_transcripts() {
        let (_, out) = run(&name);
        assert_turns_bracketed(&name, &events(&out));
    }
}

#[test]
fn basic_turn_deltas_concatenate_to_the_assistant_text() {
    let (n, out) = run("claude-basic-turn");
    let evs = events(&out);
    assert_eq!(assert_turns_bracketed("basic", &evs), 2);
    // Split into turns and check each: deltas == final text, one TurnStarted, real usage.
    let mut turns: Vec<Vec<&NormalizedEvent>> = Vec::new();
    for e in evs {
        if matches!(e, NormalizedEvent::TurnStarted) {
            turns.push(Vec::new());
        }
        if let Some(t) = turns.last_mut() {
            t.push(e);
        }
    }
    assert_eq!(turns.len(), 2);
    for turn in &turns {
        let deltas: String = turn
            .iter()
            .filter_map(|e| match e {
                NormalizedEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        let text: String = turn
            .iter()
            .filter_map(|e| match e {
                NormalizedEvent::AssistantText(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert!(!text.is_empty());
        assert_eq!(deltas, text);
        let Some(NormalizedEvent::TurnCompleted { usage, interrupted }) = turn.last() else {
            panic!("turn does not end with TurnCompleted: {turn:?}");
        };
        assert!(!interrupted);
        assert!(
            usage.input_tokens > 0 && usage.output_tokens > 0,
            "{usage:?}"
        );
        assert!(usage.cost_usd > 0.0);
    }
    assert!(turns[1].contains(&&NormalizedEvent::ThinkingDelta(
        "Let me think about this briefly.".into()
    )));
    assert!(turns[1].contains(&&NormalizedEvent::Thinking(
        "Let me think about this briefly.".into()
    )));
    assert_eq!(n.session_id(), Some("84b909ad-4238-4642-b5c3-08bfa05b3df4"));
}

fn completed(out: &[Output]) -> Vec<(isomux_protocol::Usage, bool)> {
    events(out)
        .into_iter()
        .filter_map(|e| match e {
            NormalizedEvent::TurnCompleted { usage, interrupted } => Some((*usage, *interrupted)),
            _ => None,
        })
        .collect()
}

#[test]
fn per_turn_costs_sum_to_the_cumulative_total() {
    for name in claude_transcripts() {
        let (n, out) = run(&name);
        let sum: f64 = completed(&out).iter().map(|(u, _)| u.cost_usd).sum();
        assert!(
            (sum - n.last_total_cost_usd()).abs() < 1e-12,
            "{name}: {sum} vs {}",
            n.last_total_cost_usd()
        );
    }
}

#[test]
fn interrupt_completes_the_turn_as_interrupted() {
    for name in ["claude-interrupt", "claude-interrupt-permission"] {
        let (_, out) = run(name);
        let turns = completed(&out);
        assert_eq!(turns.len(), 2, "{name}");
        assert!(turns[0].1, "{name}: first turn not interrupted");
        assert!(!turns[1].1, "{name}: the next turn is normal");
    }
    // The partial text streamed before the interrupt is kept as the turn's text.
    let (_, out) = run("claude-interrupt");
    assert!(events(&out).contains(&&NormalizedEvent::AssistantText(
        "chunk00 chunk01 chunk02 chunk03 chunk04 ".into()
    )));
    // A pending permission prompt is withdrawn by the CLI.
    let (_, out) = run("claude-interrupt-permission");
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::ControlCancelled { request_id } if request_id == "08c4fff0-333a-46be-8fa4-ce14184c8055")));
}

#[test]
fn permission_prompts_become_can_use_tool_requests() {
    let (_, out) = run("claude-permission");
    let prompts: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Control(c) => match &c.kind {
                ControlKind::CanUseTool {
                    tool_name,
                    input,
                    tool_use_id,
                    ..
                } => Some((
                    c.request_id.as_str(),
                    tool_name.as_str(),
                    input,
                    tool_use_id,
                )),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(prompts.len(), 2);
    let (id, tool, input, use_id) = prompts[0];
    assert_eq!(id, "70c6e956-088c-4fad-ad58-e1bf0cee8365");
    assert_eq!(tool, "Bash");
    assert_eq!(
        input["command"],
        "touch bash-was-here.txt && echo hello-from-bash"
    );
    assert_eq!(use_id.as_deref(), Some("toolu_mock_bash_002"));
    assert_eq!(prompts[1].1, "Write");
    let evs = events(&out);
    assert!(evs.contains(&&NormalizedEvent::ToolFinished {
        call_id: "toolu_mock_bash_002".into(),
        output: "hello-from-bash".into(),
        ok: true,
    }));
    assert!(evs.contains(&&NormalizedEvent::ToolFinished {
        call_id: "toolu_mock_write_004".into(),
        output: "User declined this write".into(),
        ok: false,
    }));
}

#[test]
fn hook_denial_becomes_a_hook_callback_request() {
    let (_, out) = run("claude-tool-denied-by-hook");
    let hooks: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Control(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].request_id, "43859c81-b3f2-4282-9894-cf2c7ace321f");
    let ControlKind::HookCallback {
        callback_id,
        hook_event,
        tool_name,
        tool_input,
        tool_use_id,
        ..
    } = &hooks[0].kind
    else {
        panic!("not a hook callback: {:?}", hooks[0]);
    };
    assert_eq!(callback_id, "hook_0");
    assert_eq!(hook_event.as_deref(), Some("PreToolUse"));
    assert_eq!(tool_name.as_deref(), Some("Bash"));
    assert!(tool_input["command"].is_string());
    assert_eq!(tool_use_id.as_deref(), Some("toolu_mock_bash_002"));
    assert!(events(&out).contains(&&NormalizedEvent::ToolFinished {
        call_id: "toolu_mock_bash_002".into(),
        output: "Bash is disabled by Agent Office policy".into(),
        ok: false,
    }));
}

#[test]
fn api_errors_fail_the_turn_with_a_hint() {
    let (_, out) = run("claude-api-error");
    let evs = events(&out);
    let failures: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            NormalizedEvent::TurnFailed { message, hint } => Some((message, hint)),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 2, "500 then 400");
    assert!(failures[0].0.starts_with("API Error: 500"));
    assert!(failures[0].1.as_deref().unwrap_or("").contains("again"));
    assert!(failures[1].0.starts_with("API Error: 400"));
    assert!(failures[1].1.is_some());
    // The synthetic error message is not repeated as assistant text.
    assert!(
        !evs.iter()
            .any(|e| matches!(e, NormalizedEvent::AssistantText(t) if t.starts_with("API Error")))
    );
    assert_eq!(
        completed(&out).len(),
        2,
        "stream fallback and the normal turn"
    );
}

#[test]
fn queued_messages_are_two_turns() {
    let (n, out) = run("claude-queued-messages");
    assert_eq!(
        assert_turns_bracketed("queued", &events(&out)),
        2,
        "two turns"
    );
    assert_eq!(completed(&out).len(), 2);
    assert_eq!(n.session_id(), Some("4f7d5c2a-1b3e-4c6d-8e9f-0a1b2c3d4e5f"));
}

fn session_ids(name: &str) -> Vec<String> {
    let (_, out) = run(name);
    events(&out)
        .into_iter()
        .filter_map(|e| match e {
            NormalizedEvent::SessionId(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn resume_keeps_and_fork_changes_the_session_id() {
    let basic = session_ids("claude-basic-turn");
    assert_eq!(basic.len(), 1, "announced once for two turns");
    assert_eq!(session_ids("claude-resume"), basic);
    let fork = session_ids("claude-fork");
    assert_eq!(fork.len(), 1);
    assert_ne!(fork, basic);
}

#[test]
fn unknown_types_are_reported_once_and_control_extras_pass_through() {
    let mut n = Normalizer::new();
    assert_eq!(
        n.push(r#"{"type":"tool_progress","x":1}"#),
        vec![Output::Unknown("tool_progress".into())]
    );
    assert_eq!(n.push(r#"{"type":"tool_progress"}"#), vec![Output::Ignored]);
    assert_eq!(n.push(r#"{"type":"keep_alive"}"#), vec![Output::Ignored]);
    assert_eq!(
        n.push(r#"{"type":"system","subtype":"brand_new","foo":1}"#),
        vec![Output::Ignored]
    );
    let out = n.push(
        r#"{"type":"control_request","request_id":"q","request":{"subtype":"elicitation","x":1}}"#,
    );
    assert!(
        matches!(&out[..], [Output::Control(c)] if matches!(&c.kind, ControlKind::Other { subtype, .. } if subtype == "elicitation"))
    );
    let (_, out) = run("claude-control-misc");
    assert!(out.iter().any(|o| matches!(o,
        Output::ControlResponse { request_id, result: Err(e) }
            if request_id == "req_17_0f51e53e" && e.contains("no_such_subtype"))));
    let (_, out) = run("claude-sdk-mcp");
    let mcp = out
        .iter()
        .filter(
            |o| matches!(o, Output::Control(c) if matches!(c.kind, ControlKind::McpMessage { .. })),
        )
        .count();
    assert_eq!(mcp, 4);
}

#[test]
fn garbage_never_panics() {
    let mut n = Normalizer::new();
    let mut inputs: Vec<String> = [
        "",
        "   ",
        "not json",
        "{",
        "[]",
        "null",
        "42",
        r#"{"type":42}"#,
        r#"{"type":"result"}"#,
        r#"{"type":"assistant","message":{"content":"oops"}}"#,
        r#"{"type":"user","message":{"content":[{"type":"tool_result"}]}}"#,
        r#"{"type":"stream_event","event":{"type":"content_block_delta","delta":{}}}"#,
        r#"{"type":"control_request","request":{}}"#,
        r#"{"type":"control_response","response":{"subtype":"success"}}"#,
        "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"\u{1F600}\"}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Every prefix of every real line (on char boundaries, step 7 to keep it quick).
    for name in claude_transcripts() {
        for line in Transcript::load(&name).recv() {
            let cuts: Vec<usize> = line.char_indices().map(|(i, _)| i).step_by(7).collect();
            inputs.extend(cuts.into_iter().map(|i| line[..i].to_owned()));
        }
    }
    for input in &inputs {
        let out = n.push(input);
        assert!(!out.is_empty(), "{input:?}");
    }
}
