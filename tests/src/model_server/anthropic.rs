//! The Anthropic Messages API as Claude Code uses it (mock-model-servers.md, part A).

use super::script::{Part, Reply, Turn, Usage, halves, split_text};
use super::server::{Exchange, Frame};
use axum::response::Response;
use serde_json::{Value, json};

/// The signature sent with every thinking block (the CLI sends it back with the history).
pub const THINKING_SIGNATURE: &str = "c2lnX21vY2s=";

/// `HEAD /` (the CLI's preflight), `POST /v1/messages[?beta=true]`,
/// `POST /v1/messages/count_tokens`; everything else is a 404.
pub(crate) fn route(ex: &Exchange) -> Response {
    match (ex.req.method.as_str(), ex.req.route()) {
        ("HEAD" | "GET", "/") => ex.empty(200),
        ("POST", "/v1/messages/count_tokens") => {
            ex.json(200, json!({"input_tokens": ex.count_tokens()}), &[])
        }
        ("POST", "/v1/messages") => messages(ex),
        _ => ex.json(404, error_body(404, "Not mocked", ex.req.n), &[]),
    }
}

fn messages(ex: &Exchange) -> Response {
    let (reply, usage, _) = ex.next_reply();
    let n = ex.req.n;
    let request_id = [("request-id", format!("req_mock_{n}"))];
    let model = ex.req.body["model"]
        .as_str()
        .unwrap_or("claude-mock")
        .to_owned();
    let streaming = ex.req.is_streaming();
    match reply {
        Reply::Error { status, body } => {
            let body = body.unwrap_or_else(|| error_body(status, "Mock error", n));
            ex.json(status, body, &request_id)
        }
        Reply::StreamError(message) if !streaming => {
            ex.json(529, error_body(529, &message, n), &request_id)
        }
        Reply::StreamError(message) => {
            let frames = vec![
                message_start(n, &model, usage),
                Frame::new(
                    "error",
                    json!({"type": "error", "error": {"type": "overloaded_error", "message": message}}),
                ),
            ];
            ex.sse(frames, &request_id)
        }
        Reply::Raw(events) => ex.sse(
            events
                .into_iter()
                .map(|e| Frame::new(&e.event, e.data))
                .collect(),
            &request_id,
        ),
        Reply::Turn(turn) if !streaming => {
            ex.json(200, message_json(&turn, n, &model, usage), &request_id)
        }
        Reply::Turn(turn) => ex.sse(stream_frames(&turn, n, &model, usage), &request_id),
        Reply::Echo => unreachable!("Script::next_reply resolves Echo"),
    }
}

/// The error body the real API sends for `status`.
fn error_body(status: u16, message: &str, n: usize) -> Value {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": format!("req_mock_{n}")})
}

/// A content block: how it starts, its deltas, and the complete block.
struct Block {
    start: Value,
    deltas: Vec<Value>,
    complete: Value,
}

fn blocks(turn: &Turn, n: usize) -> Vec<Block> {
    let per_word = !turn.delta_delay.is_zero();
    turn.parts
        .iter()
        .enumerate()
        .map(|(idx, part)| match part {
            Part::Text(text) => Block {
                start: json!({"type": "text", "text": ""}),
                deltas: split_text(text, per_word)
                    .into_iter()
                    .map(|t| json!({"type": "text_delta", "text": t}))
                    .collect(),
                complete: json!({"type": "text", "text": text}),
            },
            Part::Thinking(thinking) => {
                let mut deltas: Vec<Value> = split_text(thinking, per_word)
                    .into_iter()
                    .map(|t| json!({"type": "thinking_delta", "thinking": t}))
                    .collect();
                deltas.push(json!({"type": "signature_delta", "signature": THINKING_SIGNATURE}));
                Block {
                    start: json!({"type": "thinking", "thinking": "", "signature": ""}),
                    deltas,
                    complete: json!({"type": "thinking", "thinking": thinking, "signature": THINKING_SIGNATURE}),
                }
            }
            Part::ToolUse { name, input } => tool_use(n, idx, name, input),
            Part::Shell(command) => tool_use(
                n,
                idx,
                "Bash",
                &json!({"command": command, "description": "Run a shell command"}),
            ),
            Part::CustomToolCall { name, input } => {
                tool_use(n, idx, name, &json!({ "input": input }))
            }
        })
        .collect()
}

fn tool_use(n: usize, idx: usize, name: &str, input: &Value) -> Block {
    let id = format!("toolu_mock_{n:03}_{idx}");
    Block {
        start: json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
        deltas: halves(&input.to_string())
            .into_iter()
            .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
            .collect(),
        complete: json!({"type": "tool_use", "id": id, "name": name, "input": input}),
    }
}

fn stop_reason(turn: &Turn) -> &'static str {
    if turn.parts.iter().any(Part::is_tool_call) {
        "tool_use"
    } else {
        "end_turn"
    }
}

fn final_usage(usage: Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
    })
}

fn message_start(n: usize, model: &str, usage: Usage) -> Frame {
    Frame::new(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": format!("msg_mock_{n:03}"), "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {
                "input_tokens": usage.input_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": usage.cached_input_tokens,
                "output_tokens": 1,
            },
        }}),
    )
}

/// `message_start`, per block `content_block_start` / `content_block_delta`* /
/// `content_block_stop`, then `message_delta` (stop reason, usage) and `message_stop`.
fn stream_frames(turn: &Turn, n: usize, model: &str, usage: Usage) -> Vec<Frame> {
    let mut frames = vec![message_start(n, model, usage)];
    for (index, block) in blocks(turn, n).into_iter().enumerate() {
        frames.push(Frame::new(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": block.start}),
        ));
        for delta in block.deltas {
            frames.push(
                Frame::new(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": index, "delta": delta}),
                )
                .delayed(turn.delta_delay),
            );
        }
        frames.push(Frame::new(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
    }
    frames.push(Frame::new(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason(turn), "stop_sequence": null}, "usage": final_usage(usage)}),
    ));
    frames.push(Frame::new("message_stop", json!({"type": "message_stop"})));
    frames
}

/// The non-streaming answer (the CLI's fallback after failed streams).
fn message_json(turn: &Turn, n: usize, model: &str, usage: Usage) -> Value {
    json!({
        "id": format!("msg_mock_{n:03}"), "type": "message", "role": "assistant", "model": model,
        "content": blocks(turn, n).into_iter().map(|b| b.complete).collect::<Vec<_>>(),
        "stop_reason": stop_reason(turn), "stop_sequence": null,
        "usage": final_usage(usage),
    })
}
