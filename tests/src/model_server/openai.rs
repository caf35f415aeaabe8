//! The OpenAI Responses API as codex uses it (mock-model-servers.md, part B).

use super::script::{Part, Reply, Turn, Usage, halves, split_text};
use super::server::{Exchange, Frame};
use axum::response::Response;
use serde_json::{Map, Value, json};

/// `POST /v1/responses` (SSE), `GET /v1/models` (an empty list); everything else, including
/// the WebSocket upgrade `GET /v1/responses`, is a 404.
pub(crate) fn route(ex: &Exchange) -> Response {
    match (ex.req.method.as_str(), ex.req.route()) {
        ("POST", "/v1/responses") => responses(ex),
        ("GET", "/v1/models") => ex.json(
            200,
            json!({"object": "list", "data": [], "models": []}),
            &[],
        ),
        _ => ex.json(404, error_body(404, "Not mocked"), &[]),
    }
}

fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        400..=499 => "invalid_request_error",
        _ => "server_error",
    };
    json!({"error": {"message": message, "type": kind, "code": null}})
}

/// Builds the events of one response: every event's data carries its `type` and a
/// `sequence_number`.
struct Events {
    frames: Vec<Frame>,
}

impl Events {
    fn push(&mut self, event: &str, data: Value) -> &mut Frame {
        let mut obj = match data {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        obj.insert("type".into(), event.into());
        obj.insert("sequence_number".into(), self.frames.len().into());
        self.frames.push(Frame::new(event, Value::Object(obj)));
        self.frames.last_mut().expect("just pushed")
    }
}

fn responses(ex: &Exchange) -> Response {
    let (reply, usage, _) = ex.next_reply();
    let n = ex.req.n;
    let request_id = [("x-request-id", format!("req_mock_{n}"))];
    let model = ex.req.body["model"]
        .as_str()
        .unwrap_or("mock-model")
        .to_owned();
    let created_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let base = json!({
        "id": format!("resp_mock_{n:03}"), "object": "response", "created_at": created_at,
        "status": "in_progress", "model": model, "output": [],
    });
    let mut events = Events { frames: Vec::new() };
    match reply {
        Reply::Error { status, body } => {
            let body = body.unwrap_or_else(|| error_body(status, "Mock error"));
            return ex.json(status, body, &request_id);
        }
        Reply::StreamError(message) => {
            events.push("response.created", json!({ "response": base }));
            let mut failed = base;
            failed["status"] = "failed".into();
            failed["error"] = json!({"code": "server_error", "message": message});
            events.push("response.failed", json!({ "response": failed }));
        }
        Reply::Raw(raw) => {
            let frames = raw
                .into_iter()
                .map(|e| Frame::new(&e.event, e.data))
                .collect();
            return ex.sse(frames, &request_id);
        }
        Reply::Turn(turn) => turn_events(&mut events, &turn, ex, base, usage),
        Reply::Echo => unreachable!("Script::next_reply resolves Echo"),
    }
    ex.sse(events.frames, &request_id)
}

/// `response.created`, `response.in_progress`, one output item per part
/// (`output_item.added`, its deltas, `output_item.done`), then `response.completed` with the
/// outputs and usage.
fn turn_events(events: &mut Events, turn: &Turn, ex: &Exchange, base: Value, usage: Usage) {
    let n = ex.req.n;
    let per_word = !turn.delta_delay.is_zero();
    let delay = turn.delta_delay;
    events.push("response.created", json!({ "response": base }));
    events.push("response.in_progress", json!({ "response": base }));
    let mut outputs = Vec::new();
    for (idx, part) in turn.parts.iter().enumerate() {
        let item = match part {
            Part::Text(text) => {
                let id = format!("msg_mock_{n:03}_{idx}");
                let at = json!({"item_id": id, "output_index": idx, "content_index": 0});
                let with = |extra: Value| merge(&at, extra);
                events.push(
                    "response.output_item.added",
                    json!({"output_index": idx, "item": {"id": id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}}),
                );
                events.push(
                    "response.content_part.added",
                    with(json!({"part": {"type": "output_text", "text": "", "annotations": []}})),
                );
                for piece in split_text(text, per_word) {
                    events
                        .push(
                            "response.output_text.delta",
                            with(json!({ "delta": piece })),
                        )
                        .delay_after = delay;
                }
                events.push("response.output_text.done", with(json!({ "text": text })));
                events.push(
                    "response.content_part.done",
                    with(json!({"part": {"type": "output_text", "text": text, "annotations": []}})),
                );
                json!({"id": id, "type": "message", "status": "completed", "role": "assistant",
                       "content": [{"type": "output_text", "text": text, "annotations": []}]})
            }
            Part::Thinking(summary) => {
                let id = format!("rs_mock_{n:03}_{idx}");
                let at = json!({"item_id": id, "output_index": idx, "summary_index": 0});
                let with = |extra: Value| merge(&at, extra);
                events.push(
                    "response.output_item.added",
                    json!({"output_index": idx, "item": {"id": id, "type": "reasoning", "summary": []}}),
                );
                events.push(
                    "response.reasoning_summary_part.added",
                    with(json!({"part": {"type": "summary_text", "text": ""}})),
                );
                for piece in split_text(summary, per_word) {
                    events
                        .push(
                            "response.reasoning_summary_text.delta",
                            with(json!({ "delta": piece })),
                        )
                        .delay_after = delay;
                }
                events.push(
                    "response.reasoning_summary_text.done",
                    with(json!({ "text": summary })),
                );
                events.push(
                    "response.reasoning_summary_part.done",
                    with(json!({"part": {"type": "summary_text", "text": summary}})),
                );
                json!({"id": id, "type": "reasoning", "summary": [{"type": "summary_text", "text": summary}], "encrypted_content": null})
            }
            Part::ToolUse { name, input } => {
                function_call(events, n, idx, name, &input.to_string(), delay)
            }
            Part::Shell(command) => {
                let (name, args) = shell_call(&ex.req.body, command);
                function_call(events, n, idx, name, &args.to_string(), delay)
            }
            Part::CustomToolCall { name, input } => {
                let id = format!("ctc_mock_{n:03}_{idx}");
                let call_id = format!("call_mock_{n:03}_{idx}");
                let at = json!({"item_id": id, "output_index": idx});
                events.push(
                    "response.output_item.added",
                    json!({"output_index": idx, "item": {"id": id, "type": "custom_tool_call", "status": "in_progress", "name": name, "input": "", "call_id": call_id}}),
                );
                for piece in halves(input) {
                    events
                        .push(
                            "response.custom_tool_call_input.delta",
                            merge(&at, json!({ "delta": piece })),
                        )
                        .delay_after = delay;
                }
                events.push(
                    "response.custom_tool_call_input.done",
                    merge(&at, json!({ "input": input })),
                );
                json!({"id": id, "type": "custom_tool_call", "status": "completed", "name": name, "input": input, "call_id": call_id})
            }
        };
        events.push(
            "response.output_item.done",
            json!({"output_index": idx, "item": item}),
        );
        outputs.push(item);
    }
    let mut done = base;
    done["status"] = "completed".into();
    done["output"] = Value::Array(outputs);
    done["usage"] = json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_output_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    });
    events.push("response.completed", json!({ "response": done }));
}

fn function_call(
    events: &mut Events,
    n: usize,
    idx: usize,
    name: &str,
    arguments: &str,
    delay: std::time::Duration,
) -> Value {
    let id = format!("fc_mock_{n:03}_{idx}");
    let call_id = format!("call_mock_{n:03}_{idx}");
    let at = json!({"item_id": id, "output_index": idx});
    events.push(
        "response.output_item.added",
        json!({"output_index": idx, "item": {"id": id, "type": "function_call", "status": "in_progress", "name": name, "arguments": "", "call_id": call_id}}),
    );
    for piece in halves(arguments) {
        events
            .push(
                "response.function_call_arguments.delta",
                merge(&at, json!({ "delta": piece })),
            )
            .delay_after = delay;
    }
    events.push(
        "response.function_call_arguments.done",
        merge(&at, json!({ "arguments": arguments })),
    );
    json!({"id": id, "type": "function_call", "status": "completed", "name": name, "arguments": arguments, "call_id": call_id})
}

/// The shell tool the request offers, with arguments running `command`.
fn shell_call(body: &Value, command: &str) -> (&'static str, Value) {
    let offered = |name: &str| {
        body["tools"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["name"] == name))
    };
    if offered("shell_command") && !offered("exec_command") {
        ("shell_command", json!({ "command": command }))
    } else if offered("shell") && !offered("exec_command") {
        ("shell", json!({"command": ["bash", "-lc", command]}))
    } else {
        (
            "exec_command",
            json!({"cmd": command, "yield_time_ms": 10000}),
        )
    }
}

/// `base` with the fields of `extra` added.
fn merge(base: &Value, extra: Value) -> Value {
    let mut out = base.clone();
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        o.extend(e);
    }
    out
}
